"""The long-running loop (`govmedia schedule`) and its twin, the crontab (`govmedia cron`).

The timetable is one readable block, built from config `schedule:` in the ledger's time zone:

- a full cycle (crawl, check, reports when due, notify) at each of `crawl_at`;
- the weekly job (check, weekly report when due, notify) on `weekly_report.day` at `.at`;
- the notice job (check, notice when due, notify) on `notice.day` of each month or quarter.

What a job does is decided from the store (a report is rendered once its period has closed and
it has not been rendered yet), so the timetable only says when to look: a restart neither skips
nor repeats a report. Jobs run on a `schedule.Scheduler()` instance, each wrapped so that a
failure is logged and the loop goes on. SIGTERM or SIGINT stops the loop within seconds: while
idle at once (exit 0); during a job the job is interrupted (its crawl child stopped, the cycle
lock released; what it had not finished is done by the next run) and the loop exits 143 (130 for
SIGINT). A heartbeat line goes to the log.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import schedule

from registry.constants import JobKind
from registry.i18n import N_, _
from registry.models import WEEKDAYS, ScheduleSettings

log = logging.getLogger("govmedia.schedule")

_CRON_DOW = {day: (i + 1) % 7 for i, day in enumerate(WEEKDAYS)}  # cron: Sunday is 0
QUARTER_MONTHS = (1, 4, 7, 10)
# How an entry reads, in English (logs) or in the reader's language (the crontab's comments).
_EVERY_WEEKDAY = {
    "monday": N_("every monday at {at}"),
    "tuesday": N_("every tuesday at {at}"),
    "wednesday": N_("every wednesday at {at}"),
    "thursday": N_("every thursday at {at}"),
    "friday": N_("every friday at {at}"),
    "saturday": N_("every saturday at {at}"),
    "sunday": N_("every sunday at {at}"),
}
_EVERY_MONTH = N_("day {day} of every month at {at}")
_EVERY_QUARTER = N_("day {day} of every quarter (Jan, Apr, Jul, Oct) at {at}")
_EVERY_DAY = N_("every day at {at}")
_JOB_COMMENT = {
    JobKind.CYCLE: N_("# cycle: {when}"),
    JobKind.WEEKLY: N_("# weekly: {when}"),
    JobKind.NOTICE: N_("# notice: {when}"),
}


@dataclass(frozen=True)
class Entry:
    """One line of the timetable."""

    job: JobKind
    at: str  # HH:MM local
    weekday: str | None = None  # weekly job: monday … sunday
    month_day: int | None = None  # notice job: day of the month
    months: tuple[int, ...] | None = None  # notice job: months it runs in (None: every month)

    def describe(self, tz_name: str, shown: Callable[[str], str] = str) -> str:
        """When it runs; `shown` is `_` for a reader, English (the default) for the log."""
        if self.weekday:
            template = _EVERY_WEEKDAY[self.weekday]
        elif self.month_day:
            template = _EVERY_MONTH if self.months is None else _EVERY_QUARTER
        else:
            template = _EVERY_DAY
        when = shown(template).format(at=self.at, day=self.month_day)
        return f"{when} {tz_name}"

    def cron_fields(self) -> str:
        hour, minute = (int(part) for part in self.at.split(":"))
        day = str(self.month_day) if self.month_day else "*"
        month = ",".join(str(m) for m in self.months) if self.months else "*"
        dow = str(_CRON_DOW[self.weekday]) if self.weekday else "*"
        return f"{minute} {hour} {day} {month} {dow}"

    def runs_on(self, day: dt.date) -> bool:
        """Whether a daily-triggered entry is meant for this local date (the notice job)."""
        if self.month_day and day.day != self.month_day:
            return False
        return not (self.months and day.month not in self.months)


def timetable(settings: ScheduleSettings) -> list[Entry]:
    """The timetable of config `schedule:`, in the order it is logged and printed."""
    entries = [Entry(JobKind.CYCLE, at) for at in settings.crawl_at]
    weekly = settings.weekly_report
    entries.append(Entry(JobKind.WEEKLY, weekly.at, weekday=weekly.day))
    if settings.notice is not None:
        notice = settings.notice
        months = QUARTER_MONTHS if notice.period == "quarter" else None
        entries.append(Entry(JobKind.NOTICE, notice.at, month_day=notice.day, months=months))
    return entries


def job_args(job: JobKind) -> list[str]:
    """The `govmedia` arguments that run `job` (shared by cron lines and the loop's log)."""
    return ["run"] if job is JobKind.CYCLE else ["run", "--skip-crawl"]


def crontab(entries: list[Entry], *, tz_name: str, executable: str, config: str) -> list[str]:
    """The timetable as crontab lines, running `executable` (govmedia) on `config`."""
    lines = [
        _("# govmedia timetable, from config `schedule:` (times in {zone}).").format(zone=tz_name),
        _("# Secrets (GOVMEDIA_SMTP_PASSWORD, …) must be in cron's environment; see README.md."),
        f"CRON_TZ={tz_name}",
    ]
    for entry in entries:
        args = " ".join(job_args(entry.job))
        lines.append(_(_JOB_COMMENT[entry.job]).format(when=entry.describe(tz_name, _)))
        lines.append(f"{entry.cron_fields()} {executable} {args} -c {config} --quiet")
    return lines


def guarded(name: str, func: Callable[[], Any]) -> Callable[[], None]:
    """`func` as a job: its start, end and any failure are logged, and nothing escapes."""

    def job() -> None:
        started = time.monotonic()
        log.info("job start", extra={"job": name})
        try:
            outcome = func()
        except (Exception, SystemExit) as exc:  # SystemExit: a command helper exited
            from govmedia.interrupt import write_failure

            refused = write_failure(exc, for_log=True)  # a full disk: its one line, not a traceback
            log.error(
                "job failed; the loop goes on",
                exc_info=not isinstance(exc, SystemExit) and refused is None,
                extra={"job": name, "error": refused or f"{type(exc).__name__}: {exc}"},
            )
            return
        log.info(
            "job done",
            extra={
                "job": name,
                "seconds": round(time.monotonic() - started, 1),
                "outcome": outcome if isinstance(outcome, str | int) else None,
            },
        )

    return job


def build_scheduler(
    settings: ScheduleSettings,
    tz_name: str,
    run_job: Callable[[JobKind], Any],
    *,
    today: Callable[[], dt.date] | None = None,
) -> schedule.Scheduler:
    """A `schedule.Scheduler()` holding the timetable, each job wrapped by `guarded`."""
    tz = ZoneInfo(tz_name)
    local_today = today or (lambda: dt.datetime.now(tz).date())
    scheduler = schedule.Scheduler()
    for entry in timetable(settings):
        name = f"{entry.job.value}@{entry.at}"
        if entry.weekday:
            every = getattr(scheduler.every(), entry.weekday)
        else:
            every = scheduler.every().day

        def run(entry: Entry = entry) -> Any:
            if entry.month_day and not entry.runs_on(local_today()):
                return "not today"
            return run_job(entry.job)

        every.at(entry.at, tz_name).do(guarded(name, run)).tag(entry.job.value, "timetable")
    scheduler.every(settings.heartbeat_minutes).minutes.do(lambda: heartbeat(scheduler, tz)).tag(
        "heartbeat"
    )
    return scheduler


def heartbeat(scheduler: schedule.Scheduler, tz: ZoneInfo) -> None:
    upcoming = [job for job in scheduler.get_jobs("timetable") if job.next_run]
    nearest = min(upcoming, key=lambda job: job.next_run, default=None)
    log.info(
        "heartbeat",
        extra={
            "next_job": ",".join(sorted(t for t in nearest.tags if t != "timetable"))
            if nearest
            else None,
            "next_run": _local(nearest.next_run, tz) if nearest else None,
        },
    )


def _local(naive_local: dt.datetime, tz: ZoneInfo) -> str:
    """`schedule` keeps naive times in the machine's zone; show them in the ledger's."""
    return naive_local.astimezone().astimezone(tz).isoformat(timespec="seconds")


def _next_run(entry: Entry, job: schedule.Job, tz: ZoneInfo) -> str | None:
    """The job's next run; for the notice job, the next day it is meant for, not the next check."""
    if job.next_run is None:
        return None
    when = job.next_run
    if entry.month_day:
        for _ in range(400):
            if entry.runs_on(when.astimezone().astimezone(tz).date()):
                break
            when += dt.timedelta(days=1)
    return _local(when, tz)


def log_timetable(settings: ScheduleSettings, tz_name: str, scheduler: schedule.Scheduler) -> None:
    tz = ZoneInfo(tz_name)
    jobs = scheduler.get_jobs("timetable")
    for entry, job in zip(timetable(settings), jobs, strict=True):
        log.info(
            "timetable",
            extra={
                "job": entry.job.value,
                "when": entry.describe(tz_name),
                "runs": "govmedia " + " ".join(job_args(entry.job)),
                "next_run": _next_run(entry, job, tz),
            },
        )
    log.info("heartbeat every %d minutes", settings.heartbeat_minutes)


class _Stop(Exception):
    """Raised by the signal handler while the loop is idle: wakes it at once."""


class Loop:
    """Runs a scheduler until SIGTERM or SIGINT.

    While idle, a signal ends the wait at once and `run` returns 0. During a job it interrupts
    the job (`Interrupted`, which `guarded` does not catch) and `run` returns 128 + signal: a
    systemd stop or a cron-era `kill` must not wait for a crawl that may hang.
    """

    def __init__(self, scheduler: schedule.Scheduler, *, max_idle_seconds: float = 60.0) -> None:
        self.scheduler = scheduler
        self.max_idle_seconds = max_idle_seconds
        self.stopping = False
        self._in_job = False

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        from govmedia.interrupt import raise_interrupted

        name = signal.Signals(signum).name
        self.stopping = True
        if not self._in_job:
            log.info("%s received: stopping", name)
            raise _Stop
        log.warning("%s received during a job: interrupting it and stopping", name)
        raise_interrupted(signum, frame)  # raises Interrupted (and stops forked workers)

    def _run_pending(self) -> None:
        """Like `Scheduler.run_pending`, but a stop request is honoured between two due jobs."""
        for job in sorted(job for job in self.scheduler.jobs if job.should_run):
            if self.stopping:
                return
            self._in_job = True
            try:
                job.run()
            finally:
                self._in_job = False

    def run(self) -> int:
        from govmedia.interrupt import Interrupted

        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        log.info("schedule loop started")
        code = 0
        try:
            while not self.stopping:
                self._run_pending()
                if self.stopping:
                    break
                idle = self.scheduler.idle_seconds
                wait = self.max_idle_seconds if idle is None else max(0.0, idle)
                time.sleep(min(wait, self.max_idle_seconds))
        except _Stop:
            pass
        except Interrupted as exc:
            code = exc.exit_code
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("schedule loop stopped", extra={"exit": code})
        return code
