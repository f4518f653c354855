"""Crawl commands: `crawl` observes accounts; `simulate` serves the simulated platforms."""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import click

from govmedia.cli import config_option, load_or_exit, parse_instant
from registry.constants import OUTCOME_LABELS, Outcome, Source
from registry.i18n import _

CRAWLED_SOURCES = [s.value for s in Source if s is not Source.MANUAL]


@click.command()
@config_option
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="ID",
    help="Only this account (repeat for more).",
)
@click.option("--source", type=click.Choice(CRAWLED_SOURCES), help="Only this source's accounts.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per account.")
@click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="Record observations at this instant (replays, the simulated platforms); default: now.",
)
@click.option(
    "-v", "--verbose", count=True, help="Log progress to stderr (-v: INFO, -vv: every request)."
)
@click.option("--child-of", "child_of", hidden=True, help="Internal: a per-source child crawl.")
def crawl(
    config_path: Path,
    only: tuple[str, ...],
    source: str | None,
    as_json: bool,
    now_text: str | None,
    verbose: int,
    child_of: str | None,
) -> None:
    """Observe accounts' recent posts; store the posts and one observation per account.

    Every observation is one outcome: ok, not_found, blocked, auth_expired, malformed or
    network_error. Failures are outcomes, not errors: the exit status is 0 whenever the crawl
    ran and stored every observation; 1 when the store refused some (the line says which), 2 for
    a bad config, 143 when SIGTERM stopped it (130 for Ctrl-C). The ledger is synced into the
    store first. Closed accounts are crawled too, so that one which posts again is caught as
    relaunched (违规复开), and so are closing ones. Skipped (counted on the `skipped:` line):
    manual-source accounts, left to `govmedia observe`, and the accounts of a source switched
    off (`sources.<name>.enabled: false`). Secrets come from GOVMEDIA_WEIBO_COOKIE,
    GOVMEDIA_WECHAT_TOKEN and GOVMEDIA_WECHAT_COOKIE.

    \b
    Example:
      govmedia crawl
      govmedia crawl --source wechat --json
      govmedia crawl --only gaj-weibo --only gaj-wechat
    """
    from govmedia.crawling import CrawlSelectionError, run_crawl, select_targets
    from govmedia.interrupt import die_with_parent

    die_with_parent()  # a child of `govmedia run`: never outlive it
    loaded = load_or_exit(config_path, quiet_warnings=as_json or bool(child_of))
    now = parse_instant(now_text, option="--now") if now_text else None
    chosen = Source(source) if source else None
    try:
        select_targets(loaded.config, only=only, source=chosen)
    except CrawlSelectionError as exc:
        raise click.BadParameter(str(exc), param_hint="--only") from None
    _configure_logging(loaded, verbose)

    if child_of:  # one source of a parent's crawl: a JSON line per account, as it is known
        run = run_crawl(
            loaded,
            only=only,
            source=chosen,
            now=now,
            on_result=_print_line,
            log_level=_LEVELS[min(verbose, 2)],
            child_of=child_of,
        )
        _exit_for(run)
        return

    from rich.console import Console

    from govmedia.crawl_progress import CrawlProgress, progress_bar

    err = Console(stderr=True)
    progress = progress_bar(err) if err.is_terminal else None
    task: list[Any] = []
    counts: list[CrawlProgress] = []

    def show(description: str | None = None) -> None:
        if progress is None or not task:
            return
        state = counts[0]
        fraction = state.fraction() or 0.0
        extra = {"description": description} if description else {}
        progress.update(task[0], completed=round(fraction * 1000), line=state.line(), **extra)

    def on_start(total: int) -> None:
        counts.append(CrawlProgress(total))
        if progress is not None:
            progress.start()
            task.append(progress.add_task(_("crawling"), total=1000, line=counts[0].line()))

    def on_request() -> None:
        if counts:
            counts[0].request()
            show()

    def on_result(result: Any) -> None:
        if counts:
            counts[0].account()
        show(f"{result.account}")

    try:
        run = run_crawl(
            loaded,
            only=only,
            source=chosen,
            now=now,
            on_start=on_start,
            on_result=on_result,
            on_request=on_request if progress is not None else None,
            log_level=_LEVELS[min(verbose, 2)],
        )
    finally:
        if progress is not None:
            progress.stop()

    if as_json:
        click.echo(json.dumps([r.to_json() for r in run.results], ensure_ascii=False, indent=2))
    else:
        _print_summary(run)
    _exit_for(run)


def _exit_for(run: Any) -> None:
    """Exit non-zero, with one line, when the crawl was stopped or the store refused some of
    its observations."""
    import signal

    line = run.store_line()
    if line:
        click.echo(_("error: {error}").format(error=line), err=True)
    if run.interrupted is not None:
        name = signal.Signals(run.interrupted).name
        click.echo(
            _(
                "interrupted by {signal}: the crawl stopped; accounts not observed keep their "
                "previous observations"
            ).format(signal=name),
            err=True,
        )
    if run.exit_code:
        sys.exit(run.exit_code)


_LEVELS = ("WARNING", "INFO", "DEBUG")


def _print_line(result: Any) -> None:
    line = {**result.to_json(), "source": result.source.value}
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _configure_logging(loaded: Any, verbose: int) -> None:
    """Redacted logs to stderr (govmedia/logging_setup.py); Scrapy's chatter only with -v."""
    from govmedia.logging_setup import configure_logging

    configure_logging(loaded, level=_LEVELS[min(verbose, 2)])


def _print_summary(run: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    outcomes = list(Outcome)
    counts: dict[str, Counter[Outcome]] = {}
    for result in run.results:
        counts.setdefault(result.source.value, Counter())[result.outcome] += 1
    table = Table(title=_("crawl {crawl_id}").format(crawl_id=run.crawl_id))
    table.add_column(_("source"))
    table.add_column(_("accounts"), justify="right")
    for outcome in outcomes:
        table.add_column(outcome.value, justify="right")
    for name, counter in counts.items():
        table.add_row(
            name,
            str(sum(counter.values())),
            *[str(counter[o]) if counter[o] else "·" for o in outcomes],
        )
    console.print(table)
    problems = [r for r in run.results if r.outcome is not Outcome.OK]
    if problems:
        detail = Table(title=_("not ok (unknown, never inactive)"))
        for heading in (_("account"), _("outcome"), _("detail")):
            detail.add_column(heading)
        for result in problems:
            detail.add_row(
                result.account,
                f"{result.outcome.value} {OUTCOME_LABELS[result.outcome]}",
                result.detail,
            )
        console.print(detail)
    if run.skipped:
        reasons = Counter(re.split("[:：]", s.reason)[0] for s in run.skipped)
        listed = ", ".join(f"{n} {reason}" for reason, n in reasons.items())
        console.print(_("skipped: {reasons}").format(reasons=listed))
    if run.evidence_pruned:
        console.print(
            _("evidence older than the retention period dropped: {n}").format(n=run.evidence_pruned)
        )


@click.command()
@config_option
@click.option("--port", type=int, default=8765, show_default=True, help="Port (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="Freeze the simulated clock at this instant; default: follow the system clock.",
)
@click.option(
    "--write-config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a copy of the ledger pointed at the simulator to this file.",
)
def simulate(
    config_path: Path, port: int, host: str, now_text: str | None, write_config: Path | None
) -> None:
    """Serve the simulated Weibo and WeChat platforms (and the other sources) on HTTP.

    Each account of the ledger gets an activity profile (daily, weekly, silent_10d, silent_20d,
    silent_120d, deleted, blocked, auth_expired, malformed…), printed at start-up. Stop with
    Ctrl-C or SIGTERM.

    \b
    Example:
      govmedia simulate --port 8765 --now 2026-11-28T09:00 --write-config /tmp/sim.yaml
      GOVMEDIA_WECHAT_TOKEN=… GOVMEDIA_WECHAT_COOKIE=… govmedia crawl -c /tmp/sim.yaml
    """
    from registry.config import read_yaml
    from registry.problems import to_plain
    from spiders.simulator import (
        SIMULATOR_WECHAT_COOKIE,
        SIMULATOR_WECHAT_TOKEN,
        World,
        point_config_at,
        start_simulator,
    )

    loaded = load_or_exit(config_path, quiet_warnings=True)
    now = parse_instant(now_text, option="--now")
    world = World.from_config(loaded.config, now)
    from spiders.simulator.search import add_discoverable

    add_discoverable(world, loaded.config)  # accounts a discovery sweep can find
    try:
        sim = start_simulator(world, host=host, port=port, now=now)
    except OSError as exc:
        raise click.BadParameter(
            _("cannot listen on {host}:{port}: {reason}").format(
                host=host, port=port, reason=exc.strerror
            )
        ) from None
    if not now_text:
        sim.set_now(None)  # follow the system clock
    # Stop cleanly from the moment anyone can know we are listening (a signal sent right after
    # the first line must not find the default handler).
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    clock = now_text or _("system time")
    click.echo(_("simulated platforms at {url}  (clock: {clock})").format(url=sim.url, clock=clock))
    for account_id, source, identifier, profile in world.mapping():
        click.echo(f"  {account_id:<18} {source:<9} {profile:<13} {identifier}")
    if write_config is not None:
        data = point_config_at(to_plain(read_yaml(config_path)), sim.url)
        _write_yaml(write_config, data)
        click.echo(
            _("wrote {path} (sources pointed at {url})").format(path=write_config, url=sim.url)
        )
    shell_line = (  # a command to paste, in no language
        f"export GOVMEDIA_WECHAT_TOKEN={SIMULATOR_WECHAT_TOKEN} "
        f"GOVMEDIA_WECHAT_COOKIE='{SIMULATOR_WECHAT_COOKIE}'"
    )
    click.echo(shell_line)
    click.echo(
        _(
            "or a QR login: govmedia login wechat -c CONFIG, then open {url}/simulator/scan "
            "to scan and confirm (?action=cancel to refuse)"
        ).format(url=sim.url)
    )
    sys.stdout.flush()
    stop.wait()
    sim.stop()
    click.echo(_("stopped"), err=True)


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    """Atomically: a temporary file beside it, then os.replace."""
    import os
    import tempfile

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yaml.dump(_dates_as_text(data), handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _dates_as_text(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _dates_as_text(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_dates_as_text(v) for v in node]
    if isinstance(node, dt.date):
        return node.isoformat()
    return node


COMMANDS: list[click.Command] = [crawl, simulate]
