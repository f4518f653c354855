"""Compliance commands: `check` (verdicts at a monitoring time point) and `filings` (closure
documents and the tracking view)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from registry.cli import config_option, load_or_exit, parse_instant
from registry.config import store_url

_STATUS_STYLE = {
    "zombie": "bold red",
    "veto": "red",
    "warning": "yellow",
    "unknown": "magenta",
    "ok": "green",
    "exempt": "dim",
}


@click.command()
@config_option
@click.option(
    "--at",
    "at_text",
    metavar="ISO",
    help="Monitoring time point (default: now); without an offset it is Asia/Shanghai time.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def check(config_path: Path, at_text: str | None, as_json: bool) -> None:
    """Judge every account at a monitoring time point and store the verdicts.

    Syncs the ledger into the store first, so newly registered accounts are judged too. Status
    changes (old, new, when, why) are recorded for notifications and reports; running it again
    for the same time point changes nothing. Exit 0.

    \b
    Example:
      govmedia check
      govmedia check --at 2026-11-28T09:00 --json
    """
    from registry.store import open_store, sync_ledger
    from registry.verdicts import check as run_check

    loaded = load_or_exit(config_path, quiet_warnings=as_json)
    config = loaded.config
    at = parse_instant(at_text)
    engine = open_store(store_url(loaded))
    try:
        sync_ledger(engine, config, now=dt.datetime.now(dt.UTC))
        verdicts = run_check(engine, config, at)
    finally:
        engine.dispose()
    order = {account.id: i for i, (_, account) in enumerate(config.iter_accounts())}
    verdicts.sort(key=lambda v: order.get(v.account_id, len(order)))
    if as_json:
        click.echo(json.dumps([v.as_json() for v in verdicts], ensure_ascii=False, indent=2))
        return
    _print_table(config, verdicts, at)


def _print_table(config, verdicts, at: dt.datetime) -> None:  # noqa: ANN001 - rich types inside
    from rich.console import Console
    from rich.table import Table

    from registry.compliance import floor2, severity
    from registry.constants import PLATFORM_LABELS, Platform

    tz = config.tz
    names = {d.id: d.name for d in config.departments}
    accounts = {a.id: (d.id, a) for d, a in config.iter_accounts()}
    by_department: dict[str, list] = {}
    for v in verdicts:
        department_id = accounts[v.account_id][0] if v.account_id in accounts else "?"
        by_department.setdefault(department_id, []).append(v)

    def worst(vs: list) -> tuple[int, int, int]:
        return (
            min(severity(v.status) for v in vs),
            -sum(v.flag_shutdown or v.relaunched for v in vs),
            0,
        )

    table = Table(
        title=f"{config.jurisdiction}: compliance at {at.astimezone(tz):%Y-%m-%d %H:%M %Z}",
        show_lines=False,
    )
    for heading, justify in (
        ("account", "left"),
        ("name", "left"),
        ("platform", "left"),
        ("status", "left"),
        ("last post", "left"),
        ("days silent", "right"),
        ("7d", "right"),
        ("week", "right"),
        ("missed wks", "right"),
        ("alert", "left"),
        ("rule / detail", "left"),
    ):
        table.add_column(heading, justify=justify)  # type: ignore[arg-type]
    for department_id in sorted(
        by_department,
        key=lambda d: (worst(by_department[d]), list(names).index(d) if d in names else 0),
    ):
        vs = sorted(
            by_department[department_id],
            key=lambda v: (severity(v.status), not v.flag_shutdown, not v.relaunched),
        )
        table.add_section()
        table.add_row(f"[bold]{names.get(department_id, department_id)}[/bold]")
        for v in vs:
            account = accounts.get(v.account_id, (None, None))[1]
            style = _STATUS_STYLE[v.status.value]
            alert = "FLAG: apply to shut down" if v.flag_shutdown else ""
            if v.relaunched:
                alert = "RELAUNCHED after closure"
            days = floor2(v.days_silent)
            table.add_row(
                v.account_id,
                account.name if account else "",
                PLATFORM_LABELS[Platform(account.platform)] if account else "",
                f"[{style}]{v.status.value}[/{style}]",
                f"{v.last_post_at.astimezone(tz):%Y-%m-%d %H:%M}" if v.last_post_at else "-",
                f"{days:.1f}" if days is not None else "-",
                str(v.posts_7d),
                str(v.posts_this_week),
                str(v.missed_weeks),
                f"[bold red]{alert}[/bold red]" if alert else "",
                v.detail or v.rule,
            )
    console = Console()
    console.print(table)
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.status.value] = counts.get(v.status.value, 0) + 1
    flagged = sum(v.flag_shutdown for v in verdicts)
    relaunched = sum(v.relaunched for v in verdicts)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    console.print(
        f"{len(verdicts)} accounts: {summary}; {flagged} flagged for shutdown, "
        f"{relaunched} relaunched"
    )


COMMANDS: list[click.Command] = [check]
