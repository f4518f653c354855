"""The timetable, its crontab twin, and the loop in a real process: start, a failing job, SIGTERM.

The loop runs in a child process with a travelled clock: every job's next run is moved to the
past, so the first pass runs them all. Tests wait on log lines, never on time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from govmedia.scheduler import Entry, build_scheduler, crontab, log_timetable, timetable
from registry.constants import JobKind
from registry.models import ScheduleSettings
from tests.fixtures.cycle import ledger_data, wait_for, wait_for_line, write_ledger

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------------------------
# The timetable


def test_the_timetable_of_the_defaults():
    assert timetable(ScheduleSettings()) == [
        Entry(JobKind.CYCLE, "08:30"),
        Entry(JobKind.CYCLE, "17:30"),
        Entry(JobKind.WEEKLY, "09:00", weekday="monday"),
        Entry(JobKind.NOTICE, "09:00", month_day=1),
    ]


def test_crontab_lines_name_the_zone_and_the_absolute_config():
    settings = ScheduleSettings(
        crawl_at=["17:30", "8:05"],
        weekly_report={"day": "sunday", "at": "20:00"},
        notice={"period": "quarter", "day": 5, "at": "10:15"},
    )
    lines = crontab(
        timetable(settings),
        tz_name="Asia/Shanghai",
        executable="/srv/govmedia/.venv/bin/govmedia",
        config="/srv/govmedia/config.yaml",
    )
    command = "/srv/govmedia/.venv/bin/govmedia run"
    config = "-c /srv/govmedia/config.yaml --quiet"
    assert lines[2:] == [
        "CRON_TZ=Asia/Shanghai",
        "# cycle: every day at 08:05 Asia/Shanghai",
        f"5 8 * * * {command} {config}",
        "# cycle: every day at 17:30 Asia/Shanghai",
        f"30 17 * * * {command} {config}",
        "# weekly: every sunday at 20:00 Asia/Shanghai",
        f"0 20 * * 0 {command} --skip-crawl {config}",
        "# notice: day 5 of every quarter (Jan, Apr, Jul, Oct) at 10:15 Asia/Shanghai",
        f"15 10 5 1,4,7,10 * {command} --skip-crawl {config}",
    ]


@pytest.mark.parametrize(
    ("day", "expected"),
    [(dt.date(2026, 1, 5), True), (dt.date(2026, 2, 5), False), (dt.date(2026, 4, 6), False)],
)
def test_the_quarterly_notice_job_runs_on_its_day_only(day, expected):
    entry = Entry(JobKind.NOTICE, "10:15", month_day=5, months=(1, 4, 7, 10))
    assert entry.runs_on(day) is expected


def test_cron_prints_the_configured_timetable(tmp_path):
    config = write_ledger(tmp_path, ledger_data(schedule={"crawl_at": ["07:45"], "notice": None}))
    from click.testing import CliRunner

    from govmedia.cli import main

    result = CliRunner().invoke(main, ["cron", "-c", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "CRON_TZ=Asia/Shanghai" in lines
    assert [line for line in lines if not line.startswith(("#", "CRON_TZ"))] == [
        f"45 7 * * * {lines[4].split()[5]} run -c {config} --quiet",
        f"0 9 * * 1 {lines[4].split()[5]} run --skip-crawl -c {config} --quiet",
    ]


# ---------------------------------------------------------------------------------------------
# The loop, in a real process

LOOP = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from pathlib import Path
    from registry.models import ScheduleSettings
    from registry.constants import JobKind
    from govmedia.logging_setup import configure_logging
    from govmedia.scheduler import Loop, build_scheduler, log_timetable

    folder = Path(sys.argv[1])
    configure_logging(level="info")

    def run_job(job):
        if job is JobKind.WEEKLY:
            raise RuntimeError("the report renderer broke")
        (folder / f"{job.value}.ran").write_text("ran")
        if (folder / "block").exists():  # a long job: it ends when the test says so
            deadline = time.monotonic() + 60
            while not (folder / "release").exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        return "exit 0"

    settings = ScheduleSettings(crawl_at=["08:30"], notice=None, heartbeat_minutes=1)
    scheduler = build_scheduler(settings, "Asia/Shanghai", run_job)
    log_timetable(settings, "Asia/Shanghai", scheduler)
    for job in scheduler.get_jobs():  # travel: everything is due now, the cycle first
        job.next_run = dt.datetime.now() - dt.timedelta(seconds=2 if "cycle" in job.tags else 1)
    sys.exit(Loop(scheduler).run())
    """
)


def start_loop(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "loop.log"
    process = subprocess.Popen(
        [sys.executable, "-c", LOOP, str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        cwd=ROOT,
    )
    return process, log


def records(log: Path) -> list[str]:
    return [line for line in log.read_text(encoding="utf-8").splitlines() if line]


def test_the_loop_logs_its_timetable_survives_a_failing_job_and_stops_on_sigterm(tmp_path):
    process, log = start_loop(tmp_path)
    try:
        timetable_line = wait_for_line(log, "msg=timetable job=weekly")
        assert 'when="every monday at 09:00 Asia/Shanghai"' in timetable_line
        assert 'runs="govmedia run --skip-crawl"' in timetable_line
        failed = wait_for_line(log, 'msg="job failed; the loop goes on"')
        assert "job=weekly@09:00" in failed
        assert 'error="RuntimeError: the report renderer broke"' in failed
        done = wait_for_line(log, 'msg="job done" job=cycle@08:30')
        assert 'outcome="exit 0"' in done
        wait_for_line(log, "msg=heartbeat")
        assert (tmp_path / "cycle.ran").exists()
        assert process.poll() is None  # the failure did not stop the loop

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    lines = records(log)
    assert 'msg="SIGTERM received: stopping"' in lines[-2]
    assert 'msg="schedule loop stopped"' in lines[-1]


def test_one_sigterm_during_a_job_interrupts_it_and_stops_within_seconds(tmp_path):
    """A job that would run a minute (a hung crawl) does not hold the stop: exit 143 at once."""
    import time

    (tmp_path / "block").write_text("")
    process, log = start_loop(tmp_path)
    try:
        wait_for(lambda: (tmp_path / "cycle.ran").exists(), what="the cycle job to start")
        process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        assert process.wait(timeout=10) == 128 + signal.SIGTERM
        assert time.monotonic() - sent < 5
    finally:
        if process.poll() is None:
            process.kill()
    text = log.read_text(encoding="utf-8")
    assert "SIGTERM received during a job: interrupting it and stopping" in text
    assert 'msg="job done" job=cycle@08:30' not in text  # it was cut short, not finished
    assert "job=weekly@09:00" not in text.split("SIGTERM received")[1]  # nothing after it ran
    assert records(log)[-1].endswith('msg="schedule loop stopped" exit=143')


def test_govmedia_schedule_starts_logs_its_timetable_and_stops_on_sigterm(tmp_path):
    config = write_ledger(tmp_path, ledger_data())
    env = {**os.environ, "GOVMEDIA_LOG_FORMAT": "json"}
    stderr = tmp_path / "stderr.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from govmedia.cli import main; main()",
            "schedule",
            "-c",
            str(config),
        ],
        stdout=subprocess.DEVNULL,
        stderr=stderr.open("w"),
        env=env,
        cwd=tmp_path,
    )
    try:
        wait_for_line(stderr, '"msg": "schedule loop started"')
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    lines = [json.loads(line) for line in stderr.read_text(encoding="utf-8").splitlines()]
    table = [(r["job"], r["when"]) for r in lines if r["msg"] == "timetable"]
    assert table == [
        ("cycle", "every day at 08:30 Asia/Shanghai"),
        ("cycle", "every day at 17:30 Asia/Shanghai"),
        ("weekly", "every monday at 09:00 Asia/Shanghai"),
        ("notice", "day 1 of every month at 09:00 Asia/Shanghai"),
    ]
    assert lines[-1]["msg"] == "schedule loop stopped"
    assert (tmp_path / "data" / "govmedia.log").read_text(encoding="utf-8").count("timetable") == 4


def test_the_timetable_log_shows_times_in_the_ledgers_zone(caplog):
    """A ledger in another zone (config `timezone`) reads its next runs in that zone."""
    settings = ScheduleSettings(crawl_at=["08:30"], notice=None)
    scheduler = build_scheduler(settings, "Asia/Urumqi", lambda job: "ok")
    with caplog.at_level(logging.INFO, logger="govmedia.schedule"):
        log_timetable(settings, "Asia/Urumqi", scheduler)
    runs = {r.job: r.next_run for r in caplog.records if r.getMessage() == "timetable"}
    assert runs and all(run.endswith("+06:00") for run in runs.values())
    assert runs["cycle"][11:19] == "08:30:00"
