"""Cycle commands: `run` (one cycle), `schedule` (the loop), `cron` (its crontab), `demo`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from govmedia.cli import (
    DEFAULT_CONFIG,
    EXIT_BAD_CONFIG,
    EXIT_PARTIAL,
    SAMPLE_LEDGER,
    config_option,
    load_or_exit,
    parse_instant,
    store_of,
)
from registry.constants import ReportKind, VerdictStatus
from registry.i18n import N_, _, ngettext

log = logging.getLogger("govmedia.cycle")


@click.command()
@config_option
@click.option(
    "--skip-crawl",
    is_flag=True,
    help="Check, render what is due and notify, without crawling (the weekly and notice jobs).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what the cycle did as JSON.")
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Only warnings and errors on stderr, and no summary unless something failed (cron).",
)
@click.option("--now", "now_text", hidden=True, help="The clock, for tests (ISO date-time).")
def run(
    config_path: Path, skip_crawl: bool, as_json: bool, quiet: bool, now_text: str | None
) -> None:
    """One full cycle: sync the ledger, crawl, check, render reports when due, notify.

    The weekly report is rendered once its week has closed and schedule.weekly_report's day and
    time have come; the notice likewise on schedule.notice's day. What is due is read from the
    store, so a restart neither skips nor repeats a report. Only one cycle runs at a time: a
    second one exits at once, naming the first.

    Exit 0 ok; 1 partial (a source failed as a whole — all its accounts blocked, login expired
    or unreachable — or the crawl or the scheduled sweep did not run, or a platform refused
    some of the sweep's searches, or a message could not be sent; or another cycle was
    running); 2 bad config.

    \b
    Example:
      govmedia run -c config.yaml
      govmedia run --skip-crawl --quiet
    """
    from govmedia.cycle import dumps, run_cycle, summary_text
    from govmedia.interrupt import write_failure
    from govmedia.locking import LockHeld
    from govmedia.logging_setup import configure_logging
    from registry.store import StoreError

    loaded = load_or_exit(config_path, quiet_warnings=quiet or as_json)
    now = parse_instant(now_text, option="--now") if now_text else None
    configure_logging(loaded, stderr_level="WARNING" if quiet or as_json else None)
    try:
        result = run_cycle(loaded, now=now, crawl=not skip_crawl)
    except LockHeld as exc:
        click.echo(_("error: {error}").format(error=exc.shown), err=True)
        sys.exit(EXIT_PARTIAL)
    except StoreError as exc:  # e.g. a store written by a newer govmedia: nothing was done
        click.echo(_("error: {error}").format(error=exc), err=True)
        sys.exit(EXIT_BAD_CONFIG)
    except Exception as exc:
        if write_failure(exc, store_of()) is not None:
            raise  # a refused write: one line naming the path (govmedia.cli), exit 1
        # A bug, not a user mistake: the traceback goes to the log, redacted.
        log.exception("the cycle stopped on an unexpected error")
        sys.exit(EXIT_PARTIAL)
    if as_json:
        click.echo(dumps(result))
    elif not quiet or result.exit_code:
        click.echo(summary_text(result))
    sys.exit(result.exit_code)


@click.command("schedule")
@config_option
@click.option("--run-now", is_flag=True, help="Run a full cycle at start, then keep the timetable.")
def schedule_command(config_path: Path, run_now: bool) -> None:
    """Run the cycle on the timetable of config `schedule:` until SIGTERM or SIGINT.

    A full cycle at each of schedule.crawl_at; the weekly report's job on its day and time; the
    notice's job on its day. Times are in the ledger's time zone (Asia/Shanghai). The timetable is
    logged at start and a heartbeat line every schedule.heartbeat_minutes; a job that fails is
    logged and the loop goes on. config.yaml is read again for every job (ledger edits take
    effect; a timetable edit needs a restart). SIGTERM stops the loop between jobs. See README.md
    for a systemd unit.

    \b
    Example:
      govmedia schedule -c /srv/govmedia/config.yaml
      govmedia schedule --run-now
    """
    from govmedia.logging_setup import configure_logging
    from govmedia.scheduler import Loop, build_scheduler, guarded, log_timetable
    from registry.constants import JobKind

    loaded = load_or_exit(config_path)
    log_file = configure_logging(loaded)
    settings, tz_name = loaded.config.schedule, loaded.config.timezone

    def run_job(job: JobKind) -> str:
        return _scheduled_cycle(config_path, job)

    scheduler = build_scheduler(settings, tz_name, run_job)
    log.info(
        "govmedia schedule starting",
        extra={
            "config": str(config_path.resolve()),
            "log_file": str(log_file) if log_file else None,
        },
    )
    log_timetable(settings, tz_name, scheduler)
    if run_now:
        guarded("cycle@start", lambda: run_job(JobKind.CYCLE))()
    sys.exit(Loop(scheduler).run())


def _scheduled_cycle(config_path: Path, job: Any) -> str:
    """One job of the loop: read config.yaml afresh, run the cycle, say how it went."""
    from govmedia.cycle import run_cycle
    from govmedia.locking import LockHeld
    from registry.config import ConfigError, load_config
    from registry.constants import JobKind

    try:
        loaded = load_config(config_path)
    except ConfigError as exc:
        for line in exc.lines:
            log.error("config: %s", line)
        return "bad config; fix it, the next job reads it again"
    try:
        result = run_cycle(loaded, crawl=job is JobKind.CYCLE, command="schedule")
    except LockHeld as exc:
        log.warning("%s", exc)
        return "skipped: another cycle was running"
    return f"exit {result.exit_code}"


@click.command()
@config_option
@click.option(
    "--install",
    is_flag=True,
    help="Merge the lines into your crontab (only our marked block; other lines kept).",
)
@click.option("--uninstall", is_flag=True, help="Remove our marked block from your crontab.")
def cron(config_path: Path, install: bool, uninstall: bool) -> None:
    """Print the timetable of config `schedule:` as crontab lines (CRON_TZ=Asia/Shanghai), or
    install them into your crontab.

    The same timetable as `govmedia schedule`; use one or the other. `--install` reads
    `crontab -l`, replaces only the block between `# BEGIN govmedia <config>` and
    `# END govmedia <config>` (placed last, since CRON_TZ applies to the lines after it), keeps
    every other line byte for byte, and writes it back with `crontab -`; running it again
    changes nothing. It warns when the machine's time zone is not the ledger's: cronie honours
    CRON_TZ, a cron without it needs the machine's zone set to the ledger's.

    \b
    Example:
      govmedia cron -c /srv/govmedia/config.yaml --install
      govmedia cron -c /srv/govmedia/config.yaml --uninstall
    """
    from govmedia.scheduler import crontab, timetable

    if install and uninstall:
        raise click.UsageError(_("give --install or --uninstall, not both"))
    resolved = str(config_path.resolve())
    if uninstall:
        _change_crontab(
            lambda table: _without(table, resolved),
            resolved,
            done=N_("crontab: govmedia block for {config}: removed"),
            unchanged=N_("crontab: govmedia block for {config}: not there; nothing changed"),
        )
        return
    loaded = load_or_exit(config_path, quiet_warnings=True)
    lines = crontab(
        timetable(loaded.config.schedule),
        tz_name=loaded.config.timezone,
        executable=shlex.quote(_executable()),
        config=shlex.quote(resolved),
    )
    if not install:
        click.echo("\n".join(lines))
        return
    from govmedia.crontab_install import with_block, zone_warning

    warning = zone_warning(loaded.config.timezone)
    if warning:
        click.echo(_("warning: ") + warning, err=True)
    _change_crontab(
        lambda table: with_block(table, resolved, lines),
        resolved,
        done=N_("crontab: govmedia block for {config}: installed"),
        unchanged=N_("crontab: govmedia block for {config}: already up to date"),
    )


def _without(table: bytes, config: str) -> bytes:
    from govmedia.crontab_install import without_block

    return without_block(table, config)[0]


def _change_crontab(change: Any, config: str, *, done: str, unchanged: str) -> None:
    """Read the crontab, change it, write it back only if it changed; errors exit 1. `done` and
    `unchanged` are the message ids that say which happened."""
    from govmedia.crontab_install import CrontabError, read_crontab, write_crontab

    try:
        before = read_crontab()
        after = change(before)
        if after != before:
            write_crontab(after)
    except CrontabError as exc:
        click.echo(_("error: {error}").format(error=exc), err=True)
        sys.exit(EXIT_PARTIAL)
    click.echo(_(done if after != before else unchanged).format(config=config))


def _executable() -> str:
    """The absolute path of this `govmedia` (cron has no virtualenv on its PATH)."""
    invoked = Path(sys.argv[0])
    if invoked.name == "govmedia" and invoked.exists():
        return str(invoked.resolve())
    found = shutil.which("govmedia")
    return str(Path(found).resolve()) if found else "govmedia"


@click.command()
@config_option
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the demo here instead of a new temporary folder.",
)
@click.option("--now", "now_text", hidden=True, help="The clock, for tests (ISO date-time).")
def demo(config_path: Path, folder: Path | None, now_text: str | None) -> None:
    """Run a full cycle on the sample ledger against the simulated platforms, offline.

    Starts the simulated Weibo, WeChat and other platforms on 127.0.0.1, copies the ledger into a
    temporary folder pointed at them, and runs a full cycle there: crawl, check, the weekly report,
    and closure documents for the accounts flagged for shutdown. No message is sent. Prints a
    summary and where the report is. Outside a ledger's folder (no config.yaml, no -c) it runs on
    the sample ledger shipped with govmedia.

    \b
    Example:
      govmedia demo
      govmedia demo --dir /tmp/govmedia-demo
    """
    import tempfile

    from govmedia.cycle import run_cycle
    from govmedia.logging_setup import configure_logging
    from registry.config import ConfigError, load_config, output_dir, read_yaml
    from registry.problems import to_plain
    from registry.weeks import IsoWeek
    from spiders.simulator import World, point_config_at, start_simulator

    given = click.get_current_context().get_parameter_source("config_path")
    if given is click.core.ParameterSource.DEFAULT and not config_path.exists():
        config_path = SAMPLE_LEDGER  # not in a ledger's folder: the sample shipped with govmedia
        click.echo(
            _("no {name} here: using the sample ledger {path}").format(
                name=DEFAULT_CONFIG, path=config_path
            ),
            err=True,
        )
    sample = load_or_exit(config_path, quiet_warnings=True)
    now = parse_instant(now_text, option="--now").astimezone(sample.config.tz)
    folder = Path(folder or tempfile.mkdtemp(prefix="govmedia-demo-")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    world = World.from_config(sample.config, now)
    from spiders.simulator.search import add_discoverable

    add_discoverable(world, sample.config)  # unregistered accounts for the sweep to find
    with start_simulator(world, now=now) as sim:
        data = point_config_at(to_plain(read_yaml(config_path)), sim.url)
        for settings in data["sources"].values():  # the simulator is local: no need to be polite
            settings.update(delay=0, concurrency=8)
        data["crawl"] = {**(data.get("crawl") or {}), "autothrottle": False}
        data.update(
            store="data/govmedia.sqlite3",
            output_dir="out",
            logging={"file": "data/govmedia.log"},
            # A demo never sends real messages: no channel; the operator's login reminders
            # are printed instead.
            notify={"operators": [DEMO_OPERATOR]},
        )
        demo_config = folder / "config.yaml"
        demo_config.write_text(
            json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
        )
        try:
            loaded = load_config(demo_config)
        except ConfigError as exc:  # the sample itself is broken: say where
            for line in exc.lines:
                click.echo(_("error: {error}").format(error=line), err=True)
            sys.exit(EXIT_BAD_CONFIG)
        log_file = configure_logging(loaded, stderr_level="WARNING")
        click.echo(
            _("simulated platforms at {url}; demo folder {folder}").format(
                url=sim.url, folder=folder
            )
        )
        # The WeChat login is the stored one (`govmedia login wechat`'s QR flow, scanned on the
        # simulator), ending within notify.login_warn_hours: the cycle reminds the operator.
        # The variables are set empty so that a shell's own do not win over it.
        env = {"GOVMEDIA_WECHAT_TOKEN": "", "GOVMEDIA_WECHAT_COOKIE": ""}
        warn = loaded.config.notify.login_warn_hours
        _demo_login(loaded, world, now, hours=warn / 2)
        sweep = _demo_sweep(demo_config, env, now)
        result = run_cycle(
            loaded,
            now=now,
            env=env,
            weekly=[IsoWeek.containing(now, loaded.config.tz).previous()],
            filings=True,
            command="demo",
        )
        _print_demo(loaded, result)
        for text in result.login_reminders:  # notify: no channel, so shown here
            heading = _("reminder to the operator ({name}):").format(name=DEMO_OPERATOR["name"])
            click.echo(f"\n{heading}\n{text}")
        if sweep is not None:
            click.echo(
                _(
                    "discovery sweep: {searches} searches, {candidates} candidates "
                    "(疑似未报备账号, in the weekly report; `govmedia discover --list`)"
                ).format(searches=sweep["searches"], candidates=len(sweep["candidates"]))
            )
        later = _demo_cases(loaded, sim, world, now, env=env)
    index = output_dir(loaded) / "index.html"
    click.echo("\n" + _("log: {path}").format(path=log_file))
    click.echo(_("report: {path}").format(path=index))
    if result.errors or later.errors or not index.exists():
        sys.exit(EXIT_PARTIAL)


def _demo_sweep(config_path: Path, env: dict[str, str], now: dt.datetime) -> Any:
    """The discovery sweep (排查) before the cycle, so the weekly report lists its candidates;
    a child process, as Scrapy's reactor runs once per process. None when it did not run."""
    from govmedia.discovering import discover_in_subprocess

    try:
        return discover_in_subprocess(config_path, env=env, now=now, timeout=300)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        click.echo(_("error: discovery sweep: {error}").format(error=exc), err=True)
        return None


DEMO_OPERATOR = {"name": "运维值班", "email": "ops@boai.gov.cn"}


def _demo_login(loaded: Any, world: Any, now: dt.datetime, *, hours: float) -> None:
    """`govmedia login wechat` against the simulator, scanned at once: a stored session that
    lasts `hours` from `now` (the simulator's clock)."""
    from govmedia.login_health import credentials_file
    from govmedia.qrlogin import QrLogin
    from registry import credentials
    from registry.constants import Source

    config = loaded.config
    base = config.sources.for_source(Source.WECHAT).base_url or ""
    client = QrLogin(base_url=base, user_agent=config.crawl.user_agent)
    lasting, world.logins.mp_hours = world.logins.mp_hours, hours
    try:
        client.start()
        client.qr_image()
        world.logins.scan(world.logins.pending()[-1], account=config.jurisdiction + "人民政府")
        client.wait(timeout=30, poll=0.05)
        session = client.finish(now)
    finally:
        world.logins.mp_hours = lasting
    credentials.store_wechat(credentials_file(loaded), session)
    ends = session.expires_at.astimezone(config.tz) if session.expires_at else None
    click.echo(
        _("WeChat login stored (QR login as {account}), expires {ends}").format(
            account=session.account, ends=f"{ends:%Y-%m-%d %H:%M}"
        )
        if ends
        else _("WeChat login stored")
    )


# The demo's case lifecycle (整改跟踪): one answered, one fixed, one left to go overdue.
DEMO_ANSWERED = ("scjgj-wechat", "flagged", "已提交关停申请，待县政府办审批", "吴敏")
DEMO_POSTS_AGAIN = "rsj-wechat"  # its veto case closes itself once it posts again
DEMO_LATER = dt.timedelta(days=9)  # past the 5 working days of a veto case: overdue


def _demo_cases(loaded: Any, sim: Any, world: Any, now: dt.datetime, *, env: Any) -> Any:
    """After the first cycle: an owner answers a case, a silent account posts again, and the
    cycle runs 9 days later (the answered case stays open, the fixed one closes itself, an
    unanswered veto case goes overdue and is escalated), then in the new year with the notice
    of the month, its 整改率 computed from the cases."""
    from dataclasses import replace

    from govmedia.cycle import run_cycle
    from registry.cases import respond
    from registry.config import store_url
    from registry.constants import CASE_KIND_LABELS, CaseAction
    from registry.store import append_case_event, load_cases, open_store
    from registry.weeks import IsoWeek
    from spiders.simulator.world import Profile

    account_id, kind, note, owner = DEMO_ANSWERED
    engine = open_store(store_url(loaded))
    try:
        with engine.connect() as conn:
            answered = next(
                c for c in load_cases(conn) if c.account_id == account_id and c.kind == kind
            )
        append_case_event(
            engine,
            answered.id,
            lambda case: respond(case, note=note, by=owner, now=now + dt.timedelta(hours=2)),
        )
        click.echo(
            "\n"
            + _("case {id} answered by {owner}: {note}").format(
                id=answered.id, owner=owner, note=note
            )
        )
        for key, sim_account in list(world.accounts.items()):
            if sim_account.account_id == DEMO_POSTS_AGAIN:
                world.accounts[key] = replace(sim_account, profile=Profile.DAILY)
        click.echo(
            _("{account} posts again on the simulated platform").format(account=DEMO_POSTS_AGAIN)
        )

        later = now + DEMO_LATER
        sim.set_now(later)
        _demo_login(loaded, world, later, hours=world.logins.mp_hours)  # the operator did
        tz = loaded.config.tz
        result = run_cycle(
            loaded,
            now=later,
            env=env,
            weekly=[IsoWeek.containing(later, tz).previous()],
            command="demo",
        )
        with engine.connect() as conn:
            events = [
                (e, c)
                for c in load_cases(conn)
                for e in c.events
                if e.at == later.astimezone(dt.UTC)
            ]
        click.echo(_("cycle at {at}:").format(at=f"{later:%Y-%m-%d %H:%M}"))
        for event, case in events:
            label = CASE_KIND_LABELS[case.kind]
            if event.action is CaseAction.CLOSED:
                proved = _(VERDICT_AT[VerdictStatus(event.verdict_status)]).format(
                    at=f"{event.verdict_at.astimezone(tz):%Y-%m-%d %H:%M}"
                )
                click.echo(
                    "  "
                    + _("case {id} closed itself ({label}): {note}, {proved}").format(
                        id=case.id, label=label, note=event.note, proved=proved
                    )
                )
            elif event.action is CaseAction.OVERDUE:
                click.echo(
                    "  "
                    + _(
                        "case {id} overdue ({label}, deadline {deadline}): escalated to the "
                        "unit and the supervisors (the demo sends no messages)"
                    ).format(id=case.id, label=label, deadline=case.deadline)
                )
        _print_reports(result)

        # The new year: the weekly reports due and the notice of December, whose 整改率 is
        # computed from the cases.
        notice_at = dt.datetime.combine(
            dt.date(later.year + (later.month == 12), later.month % 12 + 1, 4),
            dt.time(9, 0),
            tzinfo=tz,
        )
        sim.set_now(notice_at)
        _demo_login(loaded, world, notice_at, hours=world.logins.mp_hours)
        final = run_cycle(loaded, now=notice_at, env=env, command="demo")
        click.echo(_("cycle at {at}:").format(at=f"{notice_at:%Y-%m-%d %H:%M}"))
        _print_reports(final)
        final.errors[:0] = result.errors
        return final
    finally:
        engine.dispose()


def _print_demo(loaded: Any, result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from registry.compliance import whole_days
    from registry.config import output_dir
    from registry.constants import (
        OUTCOME_LABELS,
        PLATFORM_LABELS,
        VERDICT_LABELS,
        VERDICT_SEVERITY,
    )

    config = loaded.config
    outcomes = {r.account: r.outcome for r in result.crawl.results}
    accounts = {a.id: a for _, a in config.iter_accounts()}
    order = {status: i for i, status in enumerate(VERDICT_SEVERITY)}
    table = Table(title=f"{config.jurisdiction}政务新媒体监测 {result.now:%Y-%m-%d %H:%M}")
    for heading in DEMO_HEADINGS:
        # The account id is what a reader looks up: whole; a long crawl outcome may wrap.
        table.add_column(_(heading), no_wrap=heading != DEMO_HEADINGS[2], overflow="fold")
    for verdict in sorted(result.verdicts, key=lambda v: (order[v.status], v.account_id)):
        account = accounts.get(verdict.account_id)
        outcome = outcomes.get(verdict.account_id)
        table.add_row(
            verdict.account_id,
            PLATFORM_LABELS[account.platform] if account else "",
            "—" if outcome is None else OUTCOME_LABELS[outcome],
            VERDICT_LABELS[verdict.status],
            ""
            if verdict.days_silent is None
            else _("{days}d").format(days=whole_days(verdict.days_silent)),
            "应申请关停" if verdict.flag_shutdown else "",
        )
    console = Console()
    console.print(table)
    counts = result.status_counts()
    console.print(
        "  ".join(
            f"{VERDICT_LABELS[status]} {counts[status.value]}"
            for status in VERDICT_SEVERITY
            if counts[status.value]
        )
    )
    _print_reports(result)
    if result.filings:
        index = output_dir(loaded) / "filings" / "index.html"
        n = len(result.filings)
        click.echo(
            ngettext(
                "closure documents for flagged accounts: {n} file, {index}",
                "closure documents for flagged accounts: {n} files, {index}",
                n,
            ).format(n=n, index=index)
        )
    for error in result.errors:
        click.echo(_("error: {error}").format(error=error), err=True)


# What the demo prints, in the reader's language.
DEMO_HEADINGS = (
    N_("account"),
    N_("platform"),
    N_("crawl"),
    N_("status"),
    N_("silent"),
    N_("flagged"),
)
REPORT_DONE = {
    ReportKind.WEEKLY: N_("weekly report {period}: {path}"),
    ReportKind.NOTICE: N_("notice report {period}: {path}"),
    ReportKind.ANNUAL: N_("annual report {period}: {path}"),
}
VERDICT_AT = {
    VerdictStatus.OK: N_("verdict ok at {at}"),
    VerdictStatus.WARNING: N_("verdict warning at {at}"),
    VerdictStatus.VETO: N_("verdict veto at {at}"),
    VerdictStatus.ZOMBIE: N_("verdict zombie at {at}"),
    VerdictStatus.UNKNOWN: N_("verdict unknown at {at}"),
    VerdictStatus.EXEMPT: N_("verdict exempt at {at}"),
}


def _print_reports(result: Any) -> None:
    for report in result.rendered:
        click.echo(_(REPORT_DONE[report.kind]).format(period=report.period, path=report.path))


def _iso(value: dt.datetime) -> str:
    return value.isoformat(timespec="minutes")


COMMANDS: list[click.Command] = [run, schedule_command, cron, demo]
