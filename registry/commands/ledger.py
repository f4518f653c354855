"""Ledger commands: validate, accounts, sync."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from registry.cli import config_option, load_or_exit
from registry.config import store_url
from registry.constants import (
    ACCOUNT_STATUS_LABELS,
    PLATFORM_LABELS,
    AccountStatus,
)


@click.command()
@config_option
def validate(config_path: Path) -> None:
    """Check config.yaml; print each problem as FILE:LINE: path: message.

    Exits 0 when the ledger is valid (warnings may print), 2 when it is not.

    \b
    Example:
      govmedia validate -c config.yaml
    """
    loaded = load_or_exit(config_path)
    config = loaded.config
    n_accounts = sum(1 for _ in config.iter_accounts())
    click.echo(
        f"{config_path}: valid: {len(config.departments)} departments, {n_accounts} accounts"
        + (f", {len(loaded.warnings)} warnings" if loaded.warnings else "")
    )


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@click.option("--department", "department_id", help="Only this department's accounts.")
@click.option(
    "--status",
    type=click.Choice([s.value for s in AccountStatus]),
    help="Only accounts in this ledger status.",
)
def accounts(
    config_path: Path, as_json: bool, department_id: str | None, status: str | None
) -> None:
    """List the ledger's accounts.

    \b
    Example:
      govmedia accounts --department gaj
      govmedia accounts --status closing --json
    """
    config = load_or_exit(config_path, quiet_warnings=True).config
    if department_id and department_id not in {d.id for d in config.departments}:
        known = ", ".join(d.id for d in config.departments)
        raise click.BadParameter(
            f"no department {department_id!r}; known: {known}", param_hint="--department"
        )
    rows = [
        (department, account)
        for department, account in config.iter_accounts()
        if (department_id is None or department.id == department_id)
        and (status is None or account.status.value == status)
    ]
    if as_json:
        out = [
            {
                "account": account.id,
                "department": department.id,
                "department_name": department.name,
                "name": account.name,
                "platform": account.platform.value,
                "source": account.effective_source.value,
                "identifier": account.identifier,
                "status": account.status.value,
                "owner": account.owner.name,
                "phone": account.owner.phone,
                "email": account.owner.email,
                "opened_on": _iso(account.opened_on),
                "filed_on": _iso(account.filed_on),
                "supervised_national": account.supervised.national,
                "supervised_provincial": account.supervised.provincial,
            }
            for department, account in rows
        ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{config.jurisdiction} 政务新媒体台账 ({len(rows)})")
    for heading in ("id", "department", "name", "platform", "status", "owner", "filed"):
        table.add_column(heading)
    for department, account in rows:
        table.add_row(
            account.id,
            department.name,
            account.name,
            PLATFORM_LABELS[account.platform],
            ACCOUNT_STATUS_LABELS[account.status],
            f"{account.owner.name} {account.owner.phone or account.owner.email or ''}".strip(),
            _iso(account.filed_on) or "未报备",
        )
    Console().print(table)


@click.command()
@config_option
def sync(config_path: Path) -> None:
    """Write the ledger into the store, recording registrations, changes and closures as events.

    \b
    Example:
      govmedia sync -c config.yaml
    """
    from registry.store import open_store, sync_ledger

    loaded = load_or_exit(config_path)
    engine = open_store(store_url(loaded))
    summary = sync_ledger(engine, loaded.config, now=dt.datetime.now(dt.UTC))
    click.echo(
        f"synced: {summary.registered} registered, {summary.changed} changed, "
        f"{summary.status_changed} status changed, {summary.removed} removed, "
        f"{summary.unchanged} unchanged"
    )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


COMMANDS: list[click.Command] = [validate, accounts, sync]
