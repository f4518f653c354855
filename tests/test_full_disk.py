"""A full disk, for real: the command runs with RLIMIT_FSIZE, so the operating system refuses
every write past the limit (EFBIG, as a full disk refuses with ENOSPC). Whatever fails, the
command exits non-zero with one line naming the path, prints no traceback, and never says it
stored what it did not.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.fixtures.simulator import SIM_ENV, SIM_NOW

GOVMEDIA = [sys.executable, "-c", "from govmedia.cli import main; main()"]
NOW = ["--now", SIM_NOW.isoformat()]


def limited(*args: str, limit: int, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`govmedia ARGS` with files capped at `limit` bytes (SIGXFSZ ignored: writes fail)."""

    def cap() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}
    return subprocess.run(
        [*GOVMEDIA, *args],
        capture_output=True,
        text=True,
        env={**env, **SIM_ENV},
        cwd=cwd,
        preexec_fn=cap,
        timeout=180,
        check=False,
    )


def unlimited(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return limited(*args, limit=resource.RLIM_INFINITY, cwd=cwd)


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_a_crawl_that_could_not_store_everything_says_so_and_exits_1(crawl_config, tmp_path):
    config = crawl_config()
    result = limited("crawl", "--json", "-c", str(config), *NOW, limit=300_000, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    [line] = errors(result.stderr)
    assert line.startswith(f"error: cannot write {tmp_path / 'govmedia.sqlite3'}: ")
    assert "observations were not stored" in line
    claimed = {
        r["account"]
        for r in json.loads(result.stdout)
        if not r["detail"].startswith(("not stored", "not observed"))
    }
    with sqlite3.connect(tmp_path / "govmedia.sqlite3") as conn:
        stored = {row[0] for row in conn.execute("SELECT account_id FROM observations")}
    assert claimed == stored  # nothing claimed that was not stored
    assert len(stored) < len(json.loads(result.stdout))  # the limit did cut the crawl short


def test_run_on_a_full_disk_is_one_line_and_exit_1(crawl_config, tmp_path):
    config = crawl_config()
    result = limited(
        "run", "-c", str(config), "--now", SIM_NOW.isoformat(), limit=40_000, cwd=tmp_path
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = errors(result.stderr)
    assert line.startswith(f"error: cannot write {tmp_path / 'govmedia.sqlite3'}: ")
    assert line.endswith("the command stopped there")


def test_a_report_that_cannot_be_written_names_the_file_and_records_nothing(crawl_config, tmp_path):
    config = crawl_config()
    assert unlimited("crawl", "-c", str(config), *NOW, cwd=tmp_path).returncode == 0
    week = ["report", "weekly", "-c", str(config), "--week", "2026-W47", *NOW]
    # Once without a limit, elsewhere, to learn the size of the largest file it writes.
    sizing = tmp_path / "sizing"
    assert unlimited(*week, "--out", str(sizing), cwd=tmp_path).returncode == 0
    html = sizing / "weekly" / "2026-W47" / "report.html"
    with sqlite3.connect(tmp_path / "govmedia.sqlite3") as conn:
        conn.execute("DELETE FROM reports")

    out = tmp_path / "site"
    result = limited(*week, "--out", str(out), limit=html.stat().st_size - 1, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert errors(result.stderr) == [
        f"error: cannot write {out / 'weekly' / '2026-W47' / 'report.html'}: File too large; "
        "the command stopped there"
    ]
    assert result.stdout == ""  # it claims nothing
    assert not list(out.rglob("*.tmp"))
    with sqlite3.connect(tmp_path / "govmedia.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM reports").fetchone() == (0,)


def test_register_on_a_full_disk_names_the_ledger_and_changes_nothing(crawl_config, tmp_path):
    config = crawl_config()
    before = config.read_bytes()
    result = limited(
        "register",
        "-c",
        str(config),
        "--department",
        "gaj",
        "--id",
        "gaj-new",
        "--name",
        "新账号",
        "--platform",
        "weibo",
        "--uid",
        "5550001",
        "--owner-name",
        "李四",
        "--owner-phone",
        "13800000000",
        "--opened-on",
        "2026-01-01",
        "--filed-on",
        "2026-01-02",
        "--exception-basis",
        "试点",
        limit=len(before) // 2,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert errors(result.stderr) == [
        f"error: cannot write {config}: File too large; the command stopped there"
    ]
    assert config.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_line_names_the_target_not_our_temporary_file_and_a_read_is_not_a_write():
    import errno

    from govmedia.interrupt import write_failure

    full = OSError(errno.ENOSPC, "No space left on device")
    full.filename = "/srv/out/weekly/.report.html.ab12cd_4.tmp"
    assert (
        write_failure(full) == "cannot write /srv/out/weekly/report.html: No space left on device"
    )
    denied = PermissionError(errno.EACCES, "Permission denied", "/srv/templates/x.docx")
    assert write_failure(denied) == "cannot access /srv/templates/x.docx: Permission denied"
    assert write_failure(ValueError("not a write")) is None


def test_a_log_file_that_cannot_grow_is_one_line_and_exit_1(crawl_config, tmp_path):
    config = crawl_config()
    log = tmp_path / "data" / "govmedia.log"
    log.parent.mkdir()
    limit = 2_000_000
    log.write_bytes(b"x" * limit)  # full: the next line of log is refused
    result = limited("run", "--skip-crawl", "-c", str(config), *NOW, limit=limit, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "Logging error" not in result.stderr
    assert errors(result.stderr) == [
        f"error: cannot write the log file {log}: File too large; logging to stderr only"
    ]
    assert "cycle done" in result.stderr  # the cycle itself went on, logged to stderr
