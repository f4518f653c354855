"""Ledger commands: validate, accounts, register, close, diff, sync."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click

from govmedia.cli import (
    EXIT_BAD_CONFIG,
    EXIT_PARTIAL,
    config_option,
    load_or_exit,
    print_problems,
)
from registry.config import ConfigError, load_config, store_url
from registry.constants import (
    ACCOUNT_STATUS_LABELS,
    PLATFORM_LABELS,
    AccountStatus,
    DepartmentLevel,
    Platform,
    Source,
)


class DateType(click.ParamType):
    """A calendar date written YYYY-MM-DD."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Any, ctx: Any) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(
                f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-28", param, ctx
            )


DATE = DateType()


@click.command()
@config_option
@click.option(
    "--online",
    is_flag=True,
    help="Also check each account on its platform (identifier exists, same name, closed gone).",
)
def validate(config_path: Path, online: bool) -> None:
    """Check config.yaml; print each problem as FILE:LINE: path: message.

    Every problem is printed at once, in file order. Exits 0 when the ledger is valid (warnings,
    such as an unfiled account, may print), 2 when it is not. With --online, each Weibo, WeChat
    and Bilibili account is also looked up on its platform; exits 1 when one has another name,
    is unknown there, or is closed in the ledger but still reachable (关停未注销).

    \b
    Example:
      govmedia validate -c config.yaml
      govmedia validate --online
    """
    try:
        loaded = load_config(config_path)
    except ConfigError as exc:
        print_problems(exc)
        n = len(exc.lines)
        click.echo(f"{config_path}: {n} problem{'s' if n != 1 else ''}; not valid", err=True)
        sys.exit(EXIT_BAD_CONFIG)
    for line in loaded.warnings:
        click.echo(f"warning: {line}", err=True)
    config = loaded.config
    n_accounts = sum(1 for _ in config.iter_accounts())
    click.echo(
        f"{config_path}: valid: {len(config.departments)} departments, {n_accounts} accounts"
        + (f", {len(loaded.warnings)} warnings" if loaded.warnings else "")
    )
    if online:
        _verify_online(config_path, [])


def _account_json(department: Any, account: Any) -> dict[str, Any]:
    closure = (
        account.closure.model_dump(mode="json", exclude_none=True) if account.closure else None
    )
    return {
        "account": account.id,
        "department": department.id,
        "department_name": department.name,
        "level": department.level.value,
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
        "exception_basis": account.exception_basis,
        "closure": closure,
    }


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@click.option(
    "--department", "department_id", metavar="ID", help="Only this department's accounts."
)
@click.option(
    "--status",
    type=click.Choice([s.value for s in AccountStatus]),
    help="Only accounts in this ledger status.",
)
def accounts(
    config_path: Path, as_json: bool, department_id: str | None, status: str | None
) -> None:
    """List the ledger's accounts: a table, or a JSON array with --json.

    \b
    Example:
      govmedia accounts --department gaj
      govmedia accounts --status closing --json
    """
    config = load_or_exit(config_path, quiet_warnings=True).config
    if department_id and department_id not in {d.id for d in config.departments}:
        import difflib

        known = [d.id for d in config.departments]
        close = difflib.get_close_matches(department_id, known, n=1)
        hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}"
        raise click.BadParameter(
            f"no department {department_id!r}; {hint}", param_hint="--department"
        )
    rows = [
        (department, account)
        for department, account in config.iter_accounts()
        if (department_id is None or department.id == department_id)
        and (status is None or account.status.value == status)
    ]
    if as_json:
        out = [_account_json(department, account) for department, account in rows]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{config.jurisdiction} 政务新媒体台账 ({len(rows)})")
    for heading in ("id", "department", "name", "platform", "status", "owner", "filed"):
        table.add_column(heading, overflow="fold")
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


def _report_edit(result: Any, dry_run: bool) -> None:
    if dry_run:
        click.echo(result.unified_diff(), nl=False)
    for line in result.summary:
        click.echo(line)
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    if result.written:
        state = "updated"
    elif dry_run:
        state = "not written (--dry-run)"
    else:
        state = "unchanged"
    click.echo(f"{result.path}: {state}")


def _edit_failed(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(EXIT_BAD_CONFIG)


PROMPTS = {
    "department": "Department id",
    "department_name": "Name of the new department",
    "platform": f"Platform ({', '.join(p.value for p in Platform)})",
    "name": "Account name, exactly as shown on the platform",
    "id": "Account id (lowercase letters, digits, '-')",
    "uid": "Weibo uid",
    "mid": "Bilibili mid",
    "url": "URL (feed, or the column's list page)",
    "owner_name": "Responsible person (责任到人)",
    "owner_phone": "Their phone (leave empty to give an e-mail)",
    "owner_email": "Their e-mail",
    "exception_basis": "Why this unit runs its own account (豫政办明电〔2019〕28号)",
}


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


@click.command()
@config_option
@click.option("--department", metavar="ID", help="The department that runs it (主办单位).")
@click.option("--department-name", help="Full name, when the department is new to the ledger.")
@click.option(
    "--level",
    type=click.Choice([level.value for level in DepartmentLevel]),
    help="Level of a new department (default: department).",
)
@click.option("--id", "account_id", metavar="ID", help="Unique id, e.g. gaj-douyin.")
@click.option("--name", help="The account's name as shown on the platform.")
@click.option("--platform", type=click.Choice([p.value for p in Platform]))
@click.option(
    "--source",
    type=click.Choice([s.value for s in Source]),
    help="How it is observed (default from the platform).",
)
@click.option("--uid", help="Weibo user id.")
@click.option("--fakeid", help="WeChat fakeid (without it the name is searched).")
@click.option("--mid", help="Bilibili member id.")
@click.option("--url", help="Feed URL, or the web column's list page.")
@click.option(
    "--selector",
    "selectors",
    multiple=True,
    metavar="KEY=CSS",
    help="Web only: a CSS selector (item, title, link, date); repeat for each.",
)
@click.option("--owner-name", help="The responsible person (责任到人).")
@click.option("--owner-phone", help="Their phone, e.g. 13800000000 or 0391-1234567.")
@click.option("--owner-email", help="Their e-mail.")
@click.option("--opened-on", type=DATE, help="Date the account was opened.")
@click.option("--filed-on", type=DATE, help="Date it was filed (报备登记).")
@click.option(
    "--national/--no-national", default=None, help="In the national supervision platform."
)
@click.option(
    "--provincial/--no-provincial", default=None, help="In the provincial supervision platform."
)
@click.option(
    "--exception-basis", help="Why a department or township runs it (豫政办明电〔2019〕28号)."
)
@click.option("--note", help="Free text for the ledger.")
@click.option("--dry-run", is_flag=True, help="Show the change as a diff; write nothing.")
@click.option(
    "--from-candidate",
    "candidate_id",
    type=int,
    metavar="ID",
    help="Pre-fill name, platform and identifier from a `discover` candidate.",
)
@click.option(
    "--verify", is_flag=True, help="Then check on the platform: the identifier exists, same name."
)
def register(
    config_path: Path,
    selectors: tuple[str, ...],
    dry_run: bool,
    candidate_id: int | None,
    verify: bool,
    **options: Any,
) -> None:
    """Register an account in config.yaml, keeping its comments and layout.

    Every field is an option. On a terminal, missing required fields are asked for; otherwise
    the command exits 2 naming them. The edited ledger is validated before it replaces the file,
    so an invalid registration changes nothing.

    \b
    Example:
      govmedia register --department gaj --id gaj-toutiao --name 博爱公安 \\
        --platform toutiao --owner-name 陈静 --owner-phone 13903910012 \\
        --opened-on 2026-11-20 --exception-basis "公安机关依法开设"
      govmedia register --from-candidate 3 --department yjglj --id yjglj-bilibili \\
        --owner-name 孙磊 --owner-phone 13903910071 --verify
    """
    from registry.editing import EditError, NewAccount, needed_fields, register_account

    parsed: dict[str, str] = {}
    for item in selectors:
        key, sep, css = item.partition("=")
        if not sep or not key.strip() or not css.strip():
            raise click.BadParameter(
                f"{item!r}: write KEY=CSS, e.g. item=ul.list li", param_hint="--selector"
            )
        parsed[key.strip()] = css.strip()
    options["id"] = options.pop("account_id")
    loaded = load_or_exit(config_path, quiet_warnings=True, keep_text=True)
    candidate = None
    if candidate_id is not None:
        from govmedia.commands.discover import candidate_fields

        candidate, prefilled = candidate_fields(loaded, candidate_id)
        for key, value in prefilled.items():
            if options.get(key) is None:
                options[key] = value
    new = NewAccount(selectors=parsed or None, **options)
    missing = needed_fields(new, loaded.config)
    if missing and _stdin_is_terminal():
        _prompt_missing(new, loaded.config)
    try:
        result = register_account(config_path, new, dry_run=dry_run, loaded=loaded)
    except EditError as exc:
        _edit_failed(exc.lines)
    _report_edit(result, dry_run)
    if candidate is not None and result.written:
        from govmedia.commands.discover import mark_registered

        mark_registered(loaded, candidate, new.id)
    if verify and result.written:
        _verify_online(config_path, [new.id])


def _verify_online(config_path: Path, only: list[str]) -> None:
    """Check accounts on their platforms (govmedia/discovering.py); exit 1 when one is not as
    the ledger says (another name, unknown identifier, closed but still reachable)."""
    from govmedia.discovering import run_verify
    from registry.constants import VERIFY_STATUS_LABELS, VerifyStatus

    loaded = load_or_exit(config_path, quiet_warnings=True)
    results = run_verify(loaded, only=only)
    bad = [
        r
        for r in results
        if r.status
        in (VerifyStatus.NAME_MISMATCH, VerifyStatus.NOT_FOUND, VerifyStatus.CLOSED_REACHABLE)
    ]
    for r in results:
        click.echo(
            f"verify {r.account_id}: {r.status.value} ({VERIFY_STATUS_LABELS[r.status]}): {r.detail}"
        )
    if not results:
        click.echo("verify: no account on a platform that can be checked (weibo, wechat, bilibili)")
    if bad:
        click.echo(f"{len(bad)} accounts are not as the ledger says", err=True)
        sys.exit(EXIT_PARTIAL)


def _prompt_missing(new: Any, config: Any) -> None:
    """Ask, on a terminal, for each required field still missing, in a sensible order."""
    from registry.editing import needed_fields

    asked: set[str] = set()
    while True:
        missing = [m for m in needed_fields(new, config) if m not in asked]
        if not missing:
            return
        name = missing[0]
        asked.add(name)
        default = None
        if name == "id" and new.department and new.platform:
            default = f"{new.department}-{new.platform}"
        if name == "department":
            click.echo(f"Departments: {', '.join(d.id for d in config.departments)}", err=True)
        if name == "owner_phone":
            phone = click.prompt(PROMPTS[name], default="", show_default=False, err=True).strip()
            if phone:
                new.owner_phone = phone
            else:
                new.owner_email = click.prompt(PROMPTS["owner_email"], err=True).strip() or None
            continue
        choice = click.Choice([p.value for p in Platform]) if name == "platform" else None
        value = click.prompt(
            PROMPTS.get(name, name),
            default=default,
            show_default=bool(default),
            type=choice,
            err=True,
        ).strip()
        setattr(new, name, value or None)


@click.command()
@config_option
@click.argument("account_id", metavar="ID")
@click.option("--reason", help="Why it is closed (needed the first time).")
@click.option(
    "--approved-on", type=DATE, help="Day the closure was approved (needed the first time)."
)
@click.option("--notice-on", type=DATE, help="Day the stop-update notice (停更公告) ran.")
@click.option("--deregistered-on", type=DATE, help="Day it was deregistered on the platform.")
@click.option("--filed-on", type=DATE, help="Day the closure was filed (报备).")
@click.option("--certificate", metavar="TEXT", help="Closure certificate (关停证明) number.")
@click.option("--dry-run", is_flag=True, help="Show the change as a diff; write nothing.")
def close(config_path: Path, account_id: str, dry_run: bool, **dates: Any) -> None:
    """Record an account's closure (关停下线) in config.yaml.

    The account becomes closing once the closure is approved, and closed once its deregistration
    and the closure filing are recorded. Run it again to add the later dates as they happen.

    \b
    Example:
      govmedia close wjw-weibo --reason "并入健康博爱微信公众号" --approved-on 2026-11-02
      govmedia close wjw-weibo --deregistered-on 2026-11-20 --filed-on 2026-11-25 \\
        --certificate "博政媒关〔2026〕5号"
    """
    from registry.editing import ClosureUpdate, EditError, close_account

    loaded = load_or_exit(config_path, quiet_warnings=True, keep_text=True)
    try:
        result = close_account(
            config_path, account_id, ClosureUpdate(**dates), dry_run=dry_run, loaded=loaded
        )
    except EditError as exc:
        _edit_failed(exc.lines)
    _report_edit(result, dry_run)


@click.command()
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
def diff(old: Path, new: Path, as_json: bool) -> None:
    """Say what a change to the ledger does: registered, changed, closing, closed, reopened and
    removed accounts, then departments and settings.

    Both files must be valid (exit 2 otherwise, with their problems). Warnings that the new file
    brings are printed to stderr.

    \b
    Example:
      git show HEAD~1:config.yaml > old.yaml && govmedia diff old.yaml config.yaml
      govmedia diff old.yaml config.yaml --json
    """
    from registry.ledger_diff import diff_ledgers, render_text

    loaded = []
    failed = False
    for path in (old, new):
        try:
            loaded.append(load_config(path))
        except ConfigError as exc:
            print_problems(exc)
            failed = True
    if failed:
        click.echo("cannot compare: fix the problems above", err=True)
        sys.exit(EXIT_BAD_CONFIG)
    old_loaded, new_loaded = loaded
    before = {_without_line(w) for w in old_loaded.warnings}
    for line in new_loaded.warnings:
        if _without_line(line) not in before:
            click.echo(f"warning: {line}", err=True)
    result = diff_ledgers(old_loaded.config, new_loaded.config)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    for line in render_text(result):
        click.echo(line)


def _without_line(problem: str) -> str:
    """A problem without its file and line, to match the same problem in two files."""
    return problem.split(": ", 1)[-1]


@click.command()
@config_option
def sync(config_path: Path) -> None:
    """Write the ledger into the store, recording registrations, changes and closures as events.

    Running it again on an unchanged ledger records nothing.

    \b
    Example:
      govmedia sync -c config.yaml
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from registry.store import StoreError, open_store, sync_ledger

    loaded = load_or_exit(config_path)
    url = store_url(loaded)
    try:
        engine = open_store(url)
        summary = sync_ledger(engine, loaded.config, now=dt.datetime.now(dt.UTC))
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_CONFIG)
    except SQLAlchemyError as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
        click.echo(f"error: the store {shown} failed: {reason}", err=True)
        sys.exit(EXIT_PARTIAL)
    click.echo(
        f"synced: {summary.registered} registered, {summary.changed} changed, "
        f"{summary.status_changed} status changed, {summary.removed} removed, "
        f"{summary.unchanged} unchanged"
    )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


COMMANDS: list[click.Command] = [validate, accounts, register, close, diff, sync]
