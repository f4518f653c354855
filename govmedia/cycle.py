"""One full monitoring cycle, for cron (`govmedia run`) and the schedule loop alike.

1. Sync the ledger into the store.
2. Crawl, as a child process (`govmedia crawl --json`): Scrapy's reactor cannot restart, so a
   long-running loop never crawls in its own process. The child's log lines are relayed into ours.
3. Check every account at now.
4. Render the weekly report when one is due, and 5. the monthly or quarterly notice when one is
   due. What is due is decided from the store's `reports` table, never from memory: a period's
   report is due once the period has closed and the configured day and time have come, and it is
   due until a rendering made after that moment is recorded. A restart therefore neither skips
   nor repeats a report; after downtime the missed periods are caught up (at most
   `CATCH_UP` of them). A fresh store renders only the latest due period, never the history.
6. Notify: queue alerts for status changes, summaries for rendered reports, and a warning when a
   source failed as a whole; then deliver what is pending.

Everything is idempotent: a second cycle at the same instant records no new status change,
renders nothing new and queues no new message. One cycle runs at a time (`govmedia.locking`).

Exit codes: 0 ok; 1 partial — a source failed as a whole (every account of that source crawled
this cycle came back blocked, auth_expired or network_error), or the crawl did not run, or a
notification could not be sent — or another cycle held the lock; 2 bad config.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from govmedia.login_health import credentials_file
from registry.config import LoadedConfig, output_dir, store_url
from registry.constants import AlertKind, Outcome, ReportKind, Source, VerdictStatus
from registry.i18n import N_, _, ngettext
from registry.models import NoticeAt, WeeklyAt
from registry.weeks import IsoWeek

log = logging.getLogger("govmedia.cycle")

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_BAD_CONFIG = 2

# Outcomes that say the source, not the account, is the problem when all of a source's
# accounts share them: the platform blocked us, the login expired, or the network is down.
SOURCE_FAILURE_OUTCOMES = frozenset({Outcome.BLOCKED, Outcome.AUTH_EXPIRED, Outcome.NETWORK_ERROR})
CATCH_UP = 4  # missed periods rendered after downtime, newest first


# ---------------------------------------------------------------------------------------------
# What is due: pure functions of now, the timetable and what the store says was rendered


def _at(day: dt.date, hhmm: str, tz: ZoneInfo) -> dt.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


def weekly_due_at(week: IsoWeek, when: WeeklyAt, tz: ZoneInfo) -> dt.datetime:
    """When `week`'s report falls due: the configured day and time of the week after it."""
    return _at(week.next().monday() + dt.timedelta(days=when.weekday), when.at, tz)


def notice_due_at(period: Any, when: NoticeAt, tz: ZoneInfo) -> dt.datetime:
    """When a month's or quarter's notice falls due: day `when.day` of the month after it."""
    first_after = period.last_day + dt.timedelta(days=1)
    return _at(first_after.replace(day=when.day), when.at, tz)


def _due(
    latest_due: Any,
    previous: Callable[[Any], Any],
    parse: Callable[[str], Any],
    due_at: Callable[[Any], dt.datetime],
    rendered: Mapping[str, dt.datetime],
) -> list[Any]:
    """Periods to render, oldest first.

    A period counts as rendered when a rendering made after it fell due is recorded (one made
    before, of a week still open, is rendered again). Due are: the latest due period, and the
    periods missed since the newest rendered one (at most CATCH_UP). A fresh store renders the
    latest due period only, never the history.
    """
    complete = {parse(text) for text, at in rendered.items() if at >= due_at(parse(text))}
    if latest_due in complete:
        return []
    if not complete:
        return [latest_due]
    newest = max(complete)
    out: list[Any] = []
    period = latest_due
    while period > newest and len(out) < CATCH_UP:
        if period not in complete:
            out.append(period)
        period = previous(period)
    return out[::-1]


def due_weeks(
    now: dt.datetime, when: WeeklyAt, rendered: Mapping[str, dt.datetime], tz: ZoneInfo
) -> list[IsoWeek]:
    """The weeks whose report is due at `now` and not yet rendered (completely), oldest first.

    `rendered` maps a week (`2026-W48`) to when its report was rendered.
    """
    latest = IsoWeek.containing(now, tz).previous()
    if weekly_due_at(latest, when, tz) > now:
        latest = latest.previous()

    def due_at(week: IsoWeek) -> dt.datetime:
        return weekly_due_at(week, when, tz)

    relevant = {p: at for p, at in rendered.items() if _parses(IsoWeek.parse, p)}
    return _due(latest, IsoWeek.previous, IsoWeek.parse, due_at, relevant)


def due_notices(
    now: dt.datetime, when: NoticeAt, rendered: Mapping[str, dt.datetime], tz: ZoneInfo
) -> list[Any]:
    """The notice periods due at `now` and not yet rendered (completely), oldest first."""
    from reports.periods import Period

    parse = Period.month if when.period == "month" else Period.quarter
    latest = Period.containing(now.astimezone(tz).date(), when.period).previous()
    if notice_due_at(latest, when, tz) > now:
        latest = latest.previous()

    def due_at(period: Any) -> dt.datetime:
        return notice_due_at(period, when, tz)

    relevant = {p: at for p, at in rendered.items() if _parses(parse, p)}
    return _due(latest, lambda p: p.previous(), parse, due_at, relevant)


def _parses(parse: Callable[[str], Any], text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def rendered_periods(engine: Engine, kind: ReportKind) -> dict[str, dt.datetime]:
    """What the store's `reports` table says was rendered, and when."""
    from registry.store import reports

    with engine.connect() as conn:
        rows = conn.execute(
            select(reports.c.period, reports.c.rendered_at).where(reports.c.kind == kind.value)
        ).all()
    return {row.period: row.rendered_at for row in rows}


# ---------------------------------------------------------------------------------------------
# Sources that failed as a whole


@dataclass(frozen=True)
class SourceFailure:
    source: Source
    outcome: Outcome  # the most common failure among its accounts
    accounts: int
    detail: str


def failed_sources(results: Iterable[Any], source_of: Mapping[str, Source]) -> list[SourceFailure]:
    """Sources none of whose crawled accounts got through, for a reason of the source's own."""
    by_source: dict[Source, list[Any]] = {}
    for result in results:
        source = result.source or source_of.get(result.account)
        if source is not None:
            by_source.setdefault(source, []).append(result)
    out = []
    for source, items in by_source.items():
        if items and all(r.outcome in SOURCE_FAILURE_OUTCOMES for r in items):
            outcome = Counter(r.outcome for r in items).most_common(1)[0][0]
            detail = next((r.detail for r in items if r.outcome is outcome and r.detail), "")
            out.append(SourceFailure(source, outcome, len(items), detail))
    return sorted(out, key=lambda f: f.source.value)


# ---------------------------------------------------------------------------------------------
# The crawl, in a child process


@dataclass
class CrawlOutcome:
    results: list[Any] = field(default_factory=list)
    error: str | None = None  # the child did not run to the end


def crawl_child(
    config_path: Path,
    *,
    now: dt.datetime | None,
    env: Mapping[str, str] | None,
    timeout: float,
) -> CrawlOutcome:
    """`govmedia crawl --json` as a child process; its log lines are relayed into ours."""
    from govmedia.crawling import CrawlFailed, crawl_in_subprocess

    started = time.monotonic()
    try:
        results = crawl_in_subprocess(
            config_path, now=now, env=env, timeout=timeout, relay_logs=True
        )
    except CrawlFailed as exc:
        return CrawlOutcome(error=str(exc))
    seconds = round(time.monotonic() - started, 1)
    log.info("crawl done", extra={"accounts": len(results), "seconds": seconds})
    return CrawlOutcome(results=results)


# ---------------------------------------------------------------------------------------------
# The cycle


@dataclass(frozen=True)
class RenderedReport:
    kind: ReportKind
    period: str
    path: Path


@dataclass
class CycleResult:
    """What one cycle did, for the exit code, the printed summary and `run --json`."""

    now: dt.datetime
    crawled: bool
    crawl: CrawlOutcome = field(default_factory=CrawlOutcome)
    failures: list[SourceFailure] = field(default_factory=list)
    verdicts: list[Any] = field(default_factory=list)
    rendered: list[RenderedReport] = field(default_factory=list)
    filings: list[Path] = field(default_factory=list)
    queued: int = 0
    delivery: Any = None
    errors: list[str] = field(default_factory=list)  # steps that failed (the cycle went on)
    sweep: dict[str, Any] | None = None  # the scheduled sweep's `discover --json`, if one ran
    sweep_error: str | None = None  # the sweep did not run to the end
    login_reminders: list[str] = field(default_factory=list)  # to notify.operators (text)

    @property
    def sweep_failed(self) -> bool:
        """The scheduled sweep did not run, or some of its searches were refused."""
        return self.sweep_error is not None or bool(self.sweep and self.sweep.get("failed"))

    @property
    def exit_code(self) -> int:
        sends_failed = self.delivery is not None and self.delivery.failed > 0
        partial = self.failures or self.crawl.error or sends_failed or self.errors
        if partial or self.sweep_failed:
            return EXIT_PARTIAL
        return EXIT_OK

    def status_counts(self) -> Counter[str]:
        return Counter(v.status.value for v in self.verdicts)

    def outcome_counts(self) -> Counter[str]:
        return Counter(r.outcome.value for r in self.crawl.results)

    def to_json(self) -> dict[str, Any]:
        delivery = self.delivery
        return {
            "at": self.now.isoformat(),
            "exit": self.exit_code,
            "crawled": self.crawled,
            "crawl_error": self.crawl.error,
            "outcomes": dict(self.outcome_counts()),
            "failed_sources": [
                {"source": f.source.value, "outcome": f.outcome.value, "accounts": f.accounts}
                for f in self.failures
            ],
            "statuses": dict(self.status_counts()),
            "flagged": sorted(v.account_id for v in self.verdicts if v.flag_shutdown),
            "reports": [
                {"kind": r.kind.value, "period": r.period, "path": str(r.path)}
                for r in self.rendered
            ],
            "filings": [str(p) for p in self.filings],
            "notifications": {
                "queued": self.queued,
                "sent": delivery.sent if delivery else 0,
                "failed": delivery.failed if delivery else 0,
                "waiting": delivery.waiting if delivery else 0,
            },
            "errors": self.errors,
            "sweep": _sweep_json(self),
            "login_reminders": [text.split("\n", 1)[0] for text in self.login_reminders],
        }


def _sweep_json(result: CycleResult) -> dict[str, Any] | None:
    if result.sweep is None and result.sweep_error is None:
        return None
    sweep = result.sweep or {}
    return {
        "sweep": sweep.get("sweep"),
        "error": result.sweep_error,
        "searches": sweep.get("searches", 0),
        "failed": sweep.get("failed", []),
        "new": sweep.get("new", 0),
    }


def run_cycle(
    loaded: LoadedConfig,
    *,
    now: dt.datetime | None = None,
    crawl: bool = True,
    env: Mapping[str, str] | None = None,
    weekly: Sequence[IsoWeek] | None = None,
    filings: bool = False,
    command: str = "run",
) -> CycleResult:
    """One full cycle under the cycle lock. `now` travels the clock (tests, replays); without it
    the check runs at the real time after the crawl. `env` adds variables for the child crawl
    only (the demo's simulator credentials). `weekly` renders these weeks whatever is due (the
    demo). Raises `govmedia.locking.LockHeld` when another cycle runs."""
    from govmedia.locking import cycle_lock
    from registry.store import open_store

    url = store_url(loaded)
    with cycle_lock(url, command=command):
        engine = open_store(url)
        try:
            return _cycle(
                loaded, engine, now=now, crawl=crawl, env=env, weekly=weekly, filings=filings
            )
        finally:
            engine.dispose()


def _clock(now: dt.datetime | None, tz: ZoneInfo) -> dt.datetime:
    return now.astimezone(tz) if now is not None else dt.datetime.now(tz)


def _cycle(
    loaded: LoadedConfig,
    engine: Engine,
    *,
    now: dt.datetime | None,
    crawl: bool,
    env: Mapping[str, str] | None,
    weekly: Sequence[IsoWeek] | None,
    filings: bool,
) -> CycleResult:
    from govmedia.alerts import deliver, queue_alerts, queue_source_failure
    from govmedia.login_health import cycle_step as login_health_step
    from registry.store import sync_ledger
    from registry.verdicts import check

    config = loaded.config
    tz = config.tz
    started = _clock(now, tz)
    log.info("cycle start", extra={"at": started.isoformat(), "crawl": crawl})
    synced = sync_ledger(engine, config, now=started.astimezone(dt.UTC))
    log.info(
        "ledger synced",
        extra={
            "registered": synced.registered,
            "changed": synced.changed,
            "status_changed": synced.status_changed,
            "removed": synced.removed,
        },
    )
    result = CycleResult(now=started, crawled=crawl)

    if crawl:
        result.crawl = crawl_child(
            loaded.path,
            now=now,
            env=env,
            timeout=config.schedule.crawl_timeout_minutes * 60,
        )
        if result.crawl.error:
            log.error("crawl failed: %s", result.crawl.error)
        source_of = {a.id: a.effective_source for _, a in config.iter_accounts()}
        result.failures = failed_sources(result.crawl.results, source_of)
        for failure in result.failures:
            log.warning(
                "source failed as a whole",
                extra={
                    "source": failure.source.value,
                    "outcome": failure.outcome.value,
                    "accounts": failure.accounts,
                    "detail": failure.detail,  # the spider's English: here, not in the message
                },
            )

        _sweep_if_due(loaded, engine, result, now=now, env=env)

    at = _clock(now, tz)  # after the crawl: its observations count
    result.now = at
    result.verdicts = check(engine, config, at)
    log.info("checked", extra={"accounts": len(result.verdicts), **result.status_counts()})
    result.queued += _cases(engine, config, result, at)

    if filings:  # first, so that the weekly report rendered next links them
        _render_filings(loaded, engine, result, at=at)
    _render_due(loaded, engine, result, at=at, weekly=weekly)

    for failure in result.failures:
        result.queued += queue_source_failure(
            engine,
            config,
            source=failure.source.value,
            outcome=failure.outcome,
            accounts_failed=failure.accounts,
            now=at,
        )
    login_health_step(loaded, engine, result, now=at)  # reminders to notify.operators
    result.queued += queue_alerts(engine, config, now=at).rows
    result.delivery = deliver(engine, config, now=at)
    log.info(
        "cycle done",
        extra={
            "exit": result.exit_code,
            "queued": result.queued,
            "sent": result.delivery.sent,
            "send_failed": result.delivery.failed,
            "waiting": result.delivery.waiting,
        },
    )
    return result


def _sweep_if_due(
    loaded: LoadedConfig,
    engine: Engine,
    result: CycleResult,
    *,
    now: dt.datetime | None,
    env: Mapping[str, str] | None,
) -> None:
    """定期排查: a sweep (`govmedia discover` as a child) when the last answered sweep in the
    store is `discover.every_days` old. A sweep that did not run, or whose searches a platform
    refused, makes the cycle partial (exit 1): never "nothing found"."""
    from govmedia.discovering import discover_in_subprocess
    from registry.candidates import last_answered_sweep_at
    from registry.discovery import sweep_due

    config = loaded.config
    with engine.connect() as conn:
        last = last_answered_sweep_at(conn)
    if not sweep_due(last, every_days=config.discover.every_days, now=_clock(now, config.tz)):
        return
    log.info("sweep due", extra={"last": last.isoformat() if last else None})
    try:
        result.sweep = discover_in_subprocess(
            loaded.path,
            env=env,
            now=now,
            timeout=config.schedule.crawl_timeout_minutes * 60,
        )
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        result.sweep_error = str(exc)
        log.error("sweep failed: %s", exc)
        return
    failed = result.sweep.get("failed", [])
    log.info(
        "sweep done",
        extra={"searches": result.sweep.get("searches"), "failed": len(failed)},
    )
    for source in sorted({f["source"] for f in failed}):
        outcomes = sorted({f["outcome"] for f in failed if f["source"] == source})
        log.warning("sweep searches refused", extra={"source": source, "outcomes": outcomes})


def _render_due(
    loaded: LoadedConfig,
    engine: Engine,
    result: CycleResult,
    *,
    at: dt.datetime,
    weekly: Sequence[IsoWeek] | None,
) -> None:
    """Render the weekly reports and notices that are due, and queue their summaries."""
    from govmedia.alerts import queue_summary, report_location
    from reports.files import remove_stale_temp_files

    config = loaded.config
    tz, schedule = config.tz, config.schedule
    out = output_dir(loaded)
    removed = remove_stale_temp_files(out)  # what a killed rendering left
    if removed:
        log.info("removed stale temporary files", extra={"files": len(removed)})
    weeks = (
        list(weekly)
        if weekly is not None
        else due_weeks(at, schedule.weekly_report, rendered_periods(engine, ReportKind.WEEKLY), tz)
    )

    def publish(kind: ReportKind, alert: AlertKind, name: str, period: Any, render: Any) -> None:
        rendered = _step(result, name, render, period=str(period))
        if rendered is None:
            return
        path = rendered.main
        result.rendered.append(RenderedReport(kind, str(period), path))
        result.queued += queue_summary(
            engine,
            config,
            kind=alert,
            period=str(period),
            period_label=period.label(),
            report=report_location(config, path, out),
            as_of=at,
            now=at,
            mail=rendered.mail,
        )

    for week in weeks:
        publish(
            ReportKind.WEEKLY,
            AlertKind.WEEKLY_SUMMARY,
            N_("weekly report {period}"),
            week,
            lambda w=week: _render_week(loaded, engine, w, at),
        )
    if schedule.notice is None or weekly is not None:
        return
    rendered = rendered_periods(engine, ReportKind.NOTICE)
    for period in due_notices(at, schedule.notice, rendered, tz):
        publish(
            ReportKind.NOTICE,
            AlertKind.NOTICE_READY,
            N_("notice {period}"),
            period,
            lambda p=period: _render_notice(loaded, engine, p, at),
        )


def _step(
    result: CycleResult, step: str, func: Callable[[], Any], *, period: str | None = None
) -> Any:
    """Run one rendering step (`step`: an English message id, with `{period}`); a failure is
    logged (in English) and recorded for the reader, and the cycle goes on. A refused write (a
    full disk) is one line naming the file, not a traceback."""
    from govmedia.interrupt import write_failure

    what = step.format(period=period)
    try:
        path = func()
    except Exception as exc:
        line = write_failure(exc)
        if line is not None:
            log.error("%s failed: %s", what, write_failure(exc, for_log=True))
        else:
            log.exception("%s failed", what)
            line = f"{type(exc).__name__}: {exc}"
        result.errors.append(_step_error(_(step).format(period=period), line))
        return None
    log.info(
        "rendered", extra={"what": what, "path": str(path) if isinstance(path, Path) else None}
    )
    return path


def _cases(engine: Engine, config: Any, result: CycleResult, at: dt.datetime) -> int:
    """Cases (整改跟踪) from this check: open, close when fixed, escalate when overdue. A failure
    is recorded and the cycle goes on (reports and alerts do not wait for it)."""
    from govmedia.casework import update_cases
    from govmedia.interrupt import write_failure

    try:
        return update_cases(engine, config, result.verdicts, now=at)
    except Exception as exc:
        line = write_failure(exc)
        if line is None:
            log.exception("cases failed")
        else:
            log.error("cases failed: %s", write_failure(exc, for_log=True))
        result.errors.append(_step_error(_("cases"), line or f"{type(exc).__name__}: {exc}"))
        return 0


def _step_error(what: str, error: str) -> str:
    """A failed step as the reader sees it (summary, `--json`): what, and why."""
    return _("{what}: {error}").format(what=what, error=error)


def _render_week(loaded: LoadedConfig, engine: Engine, week: IsoWeek, at: dt.datetime) -> Any:
    from reports.publish import render_weekly

    return render_weekly(
        engine, loaded.config, output_dir(loaded), week, now=at, logins=credentials_file(loaded)
    )


def _render_notice(loaded: LoadedConfig, engine: Engine, period: Any, at: dt.datetime) -> Any:
    from reports.publish import render_notice

    return render_notice(engine, loaded.config, output_dir(loaded), period, now=at)


def _render_filings(
    loaded: LoadedConfig, engine: Engine, result: CycleResult, *, at: dt.datetime
) -> None:
    """Closure documents (关停申请表、停更公告、关停证明、书面报告) for every account flagged for
    shutdown or closing, as `govmedia filings` writes them, into output_dir/filings."""
    from reports.filings import render_filings

    verdicts = {v.account_id: v for v in result.verdicts}

    def render() -> list[Path]:
        return render_filings(
            engine,
            loaded.config,
            output_dir(loaded),
            now=at,
            verdicts=verdicts,
            base_dir=loaded.base_dir,
        )

    paths = _step(result, N_("filings"), render)
    if paths:
        result.filings.extend(paths)


# The terminal's words for crawl outcomes and verdicts; the placeholder's name keeps each
# message apart from the same English word elsewhere (an outcome's "ok" is not a verdict's).
_OUTCOME_COUNT = {
    Outcome.OK: N_("ok {crawled}"),
    Outcome.NOT_FOUND: N_("not_found {crawled}"),
    Outcome.BLOCKED: N_("blocked {crawled}"),
    Outcome.AUTH_EXPIRED: N_("auth_expired {crawled}"),
    Outcome.MALFORMED: N_("malformed {crawled}"),
    Outcome.NETWORK_ERROR: N_("network_error {crawled}"),
}
_STATUS_COUNT = {
    VerdictStatus.OK: N_("ok {checked}"),
    VerdictStatus.WARNING: N_("warning {checked}"),
    VerdictStatus.VETO: N_("veto {checked}"),
    VerdictStatus.ZOMBIE: N_("zombie {checked}"),
    VerdictStatus.UNKNOWN: N_("unknown {checked}"),
    VerdictStatus.EXEMPT: N_("exempt {checked}"),
}
REPORT_LINE = {
    ReportKind.WEEKLY: N_("weekly {period}: {path}"),
    ReportKind.NOTICE: N_("notice {period}: {path}"),
    ReportKind.ANNUAL: N_("annual {period}: {path}"),
}


def summary_text(result: CycleResult) -> str:
    """A few lines for the terminal (the log has the details), in the reader's language."""
    data = result.to_json()
    lines = [
        _("cycle at {at}: exit {code}").format(
            at=f"{result.now:%Y-%m-%d %H:%M %Z}", code=result.exit_code
        )
    ]
    if result.crawled:
        outcomes = _(", ").join(
            _(_OUTCOME_COUNT[Outcome(k)]).format(crawled=v)
            for k, v in sorted(data["outcomes"].items())
        )
        lines.append(
            "  " + _("crawl: {outcomes}").format(outcomes=outcomes or _("nothing crawled"))
        )
        if result.crawl.error:
            lines.append("  " + _("crawl error: {error}").format(error=result.crawl.error))
        for failure in result.failures:
            lines.append(
                "  "
                + ngettext(
                    "source failed: {source} ({outcome}, {n} account)",
                    "source failed: {source} ({outcome}, {n} accounts)",
                    failure.accounts,
                ).format(
                    source=failure.source.value,
                    outcome=failure.outcome.value,
                    n=failure.accounts,
                )
            )
    sweep = data["sweep"]
    if sweep is not None:
        if sweep["error"]:
            lines.append("  " + _("sweep failed: {error}").format(error=sweep["error"]))
        else:
            lines.append(
                "  "
                + _("sweep: {searches} searches, {refused} refused, {new} new candidates").format(
                    searches=sweep["searches"], refused=len(sweep["failed"]), new=sweep["new"]
                )
            )
    statuses = _(", ").join(
        _(_STATUS_COUNT[VerdictStatus(k)]).format(checked=v)
        for k, v in sorted(data["statuses"].items())
    )
    lines.append("  " + _("check: {statuses}").format(statuses=statuses))
    for report in result.rendered:
        lines.append(
            "  " + _(REPORT_LINE[report.kind]).format(period=report.period, path=report.path)
        )
    lines.append(
        "  "
        + _(
            "notifications: {queued} queued, {sent} sent, {failed} failed, {waiting} waiting"
        ).format(**data["notifications"])
    )
    for subject in data["login_reminders"]:
        lines.append("  " + _("login reminder: {subject}").format(subject=subject))
    for error in result.errors:
        lines.append("  " + _("error: {error}").format(error=error))
    return "\n".join(lines)


def dumps(result: CycleResult) -> str:
    return json.dumps(result.to_json(), ensure_ascii=False, indent=2)


__all__ = [
    "CycleResult",
    "due_notices",
    "due_weeks",
    "failed_sources",
    "run_cycle",
]
