"""Ledger commands: validate, accounts, register, close, diff, sync."""

from __future__ import annotations

import datetime as dt
import json
import re
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
    DEPARTMENT_LEVEL_LABELS,
    PLATFORM_LABELS,
    SOURCE_IDENTIFIER_FIELD,
    AccountStatus,
    DepartmentLevel,
    Platform,
    Source,
)
from registry.i18n import N_, _, ngettext
from registry.models import ID_PATTERN, shown

# A date as clerks also write it: 2026/11/1, 2026.11.01, 2026年11月1日, 20261101.
_LOOSE_DATE = re.compile(
    r"^\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))\s*$"
)


def date_fix(text: str) -> dt.date | None:
    """The date a clerk meant by a date written another way, or None."""
    match = _LOOSE_DATE.match(text)
    if match is None:
        return None
    year, month, day = (
        match.group(1),
        match.group(2) or match.group(4),
        match.group(3) or match.group(5),
    )
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def read_date(text: str) -> dt.date:
    """A YYYY-MM-DD date, or ValueError whose message says how to write the one meant."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        pass
    fix = date_fix(text)
    if fix is not None:
        raise ValueError(
            _("{value} is not a date; write it as {fix}").format(
                value=shown(text), fix=fix.isoformat()
            )
        )
    raise ValueError(
        _("{value} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-28").format(
            value=shown(text)
        )
    )


class DateType(click.ParamType):
    """A calendar date written YYYY-MM-DD."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Any, ctx: Any) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return read_date(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


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
        click.echo(
            ngettext("{path}: {n} problem; not valid", "{path}: {n} problems; not valid", n).format(
                path=config_path, n=n
            ),
            err=True,
        )
        sys.exit(EXIT_BAD_CONFIG)
    for line in loaded.warnings:
        click.echo(_("warning: ") + line, err=True)
    config = loaded.config
    n_accounts = sum(1 for _account in config.iter_accounts())
    n_warnings = len(loaded.warnings)
    click.echo(
        _("{path}: valid: {departments} departments, {accounts} accounts").format(
            path=config_path, departments=len(config.departments), accounts=n_accounts
        )
        + (
            ngettext(", {n} warning", ", {n} warnings", n_warnings).format(n=n_warnings)
            if n_warnings
            else ""
        )
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
    from registry.editing import unknown_department

    config = load_or_exit(config_path, quiet_warnings=True).config
    if department_id and department_id not in {d.id for d in config.departments}:
        raise click.BadParameter(
            unknown_department(config, department_id), param_hint="--department"
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

    table = Table(
        title=_("{jurisdiction} government new-media ledger ({n})").format(
            jurisdiction=config.jurisdiction, n=len(rows)
        )
    )
    for heading in TABLE_HEADINGS:
        # ids, labels and dates stay whole; names wrap (Chinese fills two columns a character)
        table.add_column(_(heading), overflow="fold", no_wrap=heading in WHOLE_COLUMNS)
    for department, account in rows:
        table.add_row(
            account.id,
            department.name,
            account.name,
            PLATFORM_LABELS[account.platform],
            ACCOUNT_STATUS_LABELS[account.status],
            f"{account.owner.name} {account.owner.phone or account.owner.email or ''}".strip(),
            _iso(account.filed_on) or _("not filed"),
        )
    Console().print(table)


WHOLE_COLUMNS = frozenset({"id", "platform", "status", "filed"})
TABLE_HEADINGS = (
    N_("id"),
    N_("department"),
    N_("name"),
    N_("platform"),
    N_("status"),
    N_("owner"),
    N_("filed"),
)


def edit_state(path: Path, written: bool, dry_run: bool) -> str:
    """The last line of an edit: whether the ledger file was written."""
    if written:
        return _("{path}: updated").format(path=path)
    if dry_run:
        return _("{path}: not written (--dry-run)").format(path=path)
    return _("{path}: unchanged").format(path=path)


def _report_edit(result: Any, dry_run: bool) -> None:
    if dry_run:
        click.echo(result.unified_diff(), nl=False)
    for line in result.summary:
        click.echo(line)
    for line in result.warnings:
        click.echo(_("warning: ") + line, err=True)
    click.echo(edit_state(result.path, result.written, dry_run))


def _edit_failed(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(EXIT_BAD_CONFIG)


PROMPTS = {
    "department": N_("Department id"),
    "department_name": N_("Full name of the new department"),
    "level": N_("Its level (county, department, township)"),
    "platform": N_("Platform"),
    "name": N_("Account name, exactly as shown on the platform"),
    "id": N_("Account id (lowercase letters, digits, '-')"),
    "uid": N_("Weibo uid"),
    "fakeid": N_("WeChat fakeid (leave empty to find it by its name)"),
    "mid": N_("Bilibili mid"),
    "url": N_("URL (feed, or the column's list page)"),
    "owner_name": N_("Responsible person (责任到人)"),
    "owner_phone": N_("Their phone (leave empty to give an e-mail)"),
    "owner_email": N_("Their e-mail"),
    "opened_on": N_("Date opened, YYYY-MM-DD (leave empty if unknown)"),
    "filed_on": N_("Date filed (报备登记), YYYY-MM-DD (leave empty if not filed yet)"),
    "national": N_("Enrolled in the national supervision platform? (y/n, empty: n)"),
    "provincial": N_("Enrolled in the provincial supervision platform? (y/n, empty: n)"),
    "exception_basis": N_("Why this unit runs its own account (豫政办明电〔2019〕28号)"),
    "reason": N_("Why is it closed"),
    "approved_on": N_("Date the closure was approved, YYYY-MM-DD"),
    "notice_on": N_(
        "Date of the stop-update notice (停更公告), YYYY-MM-DD (leave empty if none yet)"
    ),
    "deregistered_on": N_("Date deregistered on the platform, YYYY-MM-DD (leave empty if not yet)"),
    "closure_filed_on": N_(
        "Date the closure was filed (报备), YYYY-MM-DD (leave empty if not yet)"
    ),
    "certificate": N_("Closure certificate (关停证明) number (leave empty if none yet)"),
}
YES_WORDS = frozenset({"y", "yes", "是", "true", "1"})
NO_WORDS = frozenset({"n", "no", "否", "不", "false", "0"})


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


@click.command()
@config_option
@click.option("--department", metavar="ID", help="The department that runs it (主办单位).")
@click.option(
    "--new-department",
    "--department-name",
    "department_name",
    metavar="NAME",
    help="Add --department to the ledger as a new department with this full name; without it "
    "an unknown --department is refused, with the ids it resembles.",
)
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
@click.option(
    "-i",
    "--interactive",
    is_flag=True,
    help="Ask for every field not given as an option, checking each answer as it is typed "
    "(the default on a terminal when a required field is missing).",
)
def register(
    config_path: Path,
    selectors: tuple[str, ...],
    dry_run: bool,
    candidate_id: int | None,
    verify: bool,
    interactive: bool,
    **options: Any,
) -> None:
    """Register an account in config.yaml, keeping its comments and layout.

    Every field is an option. On a terminal, missing required fields are asked for, each answer
    checked as it is typed; otherwise the command exits 2 naming them. A department the ledger
    does not hold is never added from a typo: the ids it resembles are suggested, and a new one
    needs its full name with --new-department. The edited ledger is validated before it replaces
    the file, so an invalid registration changes nothing.

    \b
    Example:
      govmedia register --department gaj --id gaj-toutiao --name 博爱公安 \\
        --platform toutiao --owner-name 陈静 --owner-phone 13903910012 \\
        --opened-on 2026-11-20 --exception-basis "公安机关依法开设"
      govmedia register --from-candidate 3 --department yjglj --id yjglj-bilibili \\
        --owner-name 孙磊 --owner-phone 13903910071 --verify
    """
    from registry.editing import (
        EditError,
        NewAccount,
        department_problems,
        needed_fields,
        register_account,
    )

    parsed: dict[str, str] = {}
    for item in selectors:
        key, sep, css = item.partition("=")
        if not sep or not key.strip() or not css.strip():
            raise click.BadParameter(
                _("{item}: write KEY=CSS, e.g. item=ul.list li").format(item=shown(item)),
                param_hint="--selector",
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
    lacking = needed_fields(new, loaded.config) or department_problems(new, loaded.config)
    if interactive or (lacking and _stdin_is_terminal()):
        _ask_registration(new, loaded.config)
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
            _("verify {id}: {status} ({label}): {detail}").format(
                id=r.account_id,
                status=r.status.value,
                label=VERIFY_STATUS_LABELS[r.status],
                detail=r.detail,
            )
        )
    if not results:
        click.echo(
            _("verify: no account on a platform that can be checked (weibo, wechat, bilibili)")
        )
    if bad:
        click.echo(
            ngettext(
                "{n} account is not as the ledger says",
                "{n} accounts are not as the ledger says",
                len(bad),
            ).format(n=len(bad)),
            err=True,
        )
        sys.exit(EXIT_PARTIAL)


# ---------------------------------------------------------------------------------------------
# Asking, on a terminal: each answer is checked as it is typed (click re-asks on BadParameter)


def _ask(key: str, check: Any, *, default: Any = None, optional: bool = False) -> Any:
    """One prompt (PROMPTS[key]); `check` turns the answer into a value or raises
    click.BadParameter, which click prints before asking again."""
    return click.prompt(
        _(PROMPTS[key]),
        default="" if optional and default is None else default,
        show_default=default not in (None, ""),
        value_proc=check,
        err=True,
    )


def _answer_check(new: Any, name: str, config: Any, convert: Any = None) -> Any:
    """A prompt's check for the NewAccount field `name`: the answer goes through `convert`
    (text by default), then through the ledger's own validation (registry.editing
    .answer_problems); an empty answer is None (the prompt re-asks a required one)."""
    from registry.editing import answer_problems

    def check(text: str) -> Any:
        text = text.strip()
        if not text:
            return None
        try:
            value = convert(text) if convert else text
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        before = getattr(new, name)
        setattr(new, name, value)
        problems = answer_problems(new, name, config)
        if problems:
            setattr(new, name, before)
            raise click.BadParameter("\n".join(problems))
        return value

    return check


def _required(check: Any) -> Any:
    """`check` that refuses an empty answer (one of spaces, which click lets through)."""

    def required(text: str) -> Any:
        value = check(text)
        if value is None:
            raise click.BadParameter(_("an answer is needed"))
        return value

    return required


def _yes_no(text: str) -> bool:
    answer = text.strip().lower()
    if not answer:
        return False
    if answer in YES_WORDS:
        return True
    if answer in NO_WORDS:
        return False
    raise click.BadParameter(_("answer y (yes) or n (no)"))


def _confirm(question: str, *, default: bool) -> bool:
    """A yes/no question answered y/n or 是/否 (click.confirm knows only y/n); empty is
    `default`."""

    def check(text: str) -> bool:
        return default if not text.strip() else _yes_no(text)

    hint = _("(y/n, empty: y)") if default else _("(y/n, empty: n)")
    return click.prompt(
        f"{question} {hint}", default="", show_default=False, value_proc=check, err=True
    )


def _choice(kind: str) -> Any:
    """A check for a platform or a level, written as its value or its Chinese label."""
    from registry.ledger_table import READERS, CellProblem

    def check(text: str) -> Any:
        try:
            value = READERS[kind](text)
        except CellProblem as exc:
            raise click.BadParameter(str(exc)) from None
        if value is None:
            raise click.BadParameter(_("an answer is needed"))
        return value.value

    return check


def _ask_department(new: Any, config: Any) -> None:
    """The department, from the list of the ledger's (id — name). An unknown id is answered
    with the ones it resembles and asked again; a new department is added only when the clerk
    types its id again (or one like none of the list) and confirms, then gives its name."""
    from registry.editing import close_departments, join_list, unknown_department

    known = {d.id: d for d in config.departments}
    click.echo(_("Departments:"), err=True)
    for department in config.departments:
        click.echo(f"  {department.id} — {department.name}", err=True)
    if new.department and new.department not in known:
        click.echo(unknown_department(config, new.department), err=True)
    tried = {new.department} if new.department else set()

    def check(text: str) -> str:
        value = text.strip()
        if value in known:
            return value
        if not re.match(ID_PATTERN, value):
            raise click.BadParameter(
                _("{value}: use lowercase letters, digits and '-' only (e.g. gaj)").format(
                    value=shown(value)
                )
            )
        if value not in tried and close_departments(config, value):
            tried.add(value)
            raise click.BadParameter(
                unknown_department(config, value)
                + _(" (to add a new department with this id, type it again)")
            )
        return value

    def new_name(text: str) -> str:
        name = text.strip()
        same = next((d for d in config.departments if d.name == name), None)
        if same is not None:
            raise click.BadParameter(
                _("{name} is already in the ledger as department {id}").format(
                    name=name, id=same.id
                )
            )
        if not name:
            raise click.BadParameter(_("an answer is needed"))
        return name

    while True:
        value = _ask("department", check)
        if value in known:
            new.department, new.department_name = value, None
            return
        if _confirm(
            _("{id} is not in the ledger (see the list above). Add it as a new department?").format(
                id=value
            ),
            default=False,
        ):
            new.department = value
            new.department_name = _ask("department_name", new_name)
            levels = join_list(
                f"{level.value} {DEPARTMENT_LEVEL_LABELS[level]}" for level in DepartmentLevel
            )
            click.echo(_("Levels: {levels}").format(levels=levels), err=True)
            new.level = _ask("level", _choice("level"), default=new.level or "department")
            return


def _ask_registration(new: Any, config: Any) -> None:
    """Ask for every field of `new` not given as an option, in the order of the ledger's
    columns, checking each answer as it is typed."""
    from registry.editing import department_problems, join_list, needed_fields, source_of

    if not new.department or department_problems(new, config):
        _ask_department(new, config)
    if not new.platform:
        platforms = join_list(f"{p.value} {PLATFORM_LABELS[p]}" for p in Platform)
        click.echo(_("Platforms: {platforms}").format(platforms=platforms), err=True)
        new.platform = _ask("platform", _choice("platform"))
    if not new.name:
        new.name = _ask("name", _required(_answer_check(new, "name", config)))
    if not new.id:
        new.id = _ask(
            "id",
            _required(_answer_check(new, "id", config)),
            default=f"{new.department}-{new.platform}",
        )
    source = source_of(new)
    identifier = SOURCE_IDENTIFIER_FIELD[source] if source else None
    if identifier and not getattr(new, identifier):
        check = _answer_check(new, identifier, config)
        if source is Source.WECHAT:
            new.fakeid = _ask("fakeid", check, optional=True)
        else:
            setattr(new, identifier, _ask(identifier, _required(check)))
    if not new.owner_name:
        new.owner_name = _ask("owner_name", _required(_answer_check(new, "owner_name", config)))
    if not new.owner_phone and not new.owner_email:
        new.owner_phone = _ask(
            "owner_phone", _answer_check(new, "owner_phone", config), optional=True
        )
        if not new.owner_phone:
            new.owner_email = _ask(
                "owner_email", _required(_answer_check(new, "owner_email", config))
            )
    for name in ("opened_on", "filed_on"):
        if getattr(new, name) is None:
            setattr(
                new, name, _ask(name, _answer_check(new, name, config, read_date), optional=True)
            )
    for name in ("national", "provincial"):
        if getattr(new, name) is None:
            setattr(new, name, _ask(name, _yes_no, optional=True))
    if "exception_basis" in needed_fields(new, config):
        new.exception_basis = _ask(
            "exception_basis", _required(_answer_check(new, "exception_basis", config))
        )


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
@click.option(
    "-i",
    "--interactive",
    is_flag=True,
    help="Ask for each closure field not given as an option, checking each answer as it is "
    "typed, then confirm (the default on a terminal when nothing is given).",
)
def close(
    config_path: Path, account_id: str, dry_run: bool, interactive: bool, **dates: Any
) -> None:
    """Record an account's closure (关停下线) in config.yaml.

    The account becomes closing once the closure is approved, and closed once its deregistration
    and the closure filing are recorded. Run it again to add the later dates as they happen.

    \b
    Example:
      govmedia close wjw-weibo --reason "并入健康博爱微信公众号" --approved-on 2026-11-02
      govmedia close wjw-weibo --deregistered-on 2026-11-20 --filed-on 2026-11-25 \\
        --certificate "博政媒关〔2026〕5号"
    """
    from registry.editing import ClosureUpdate, EditError, close_account, unknown_account

    loaded = load_or_exit(config_path, quiet_warnings=True, keep_text=True)
    update = ClosureUpdate(**dates)
    if interactive or (not update.given() and _stdin_is_terminal()):
        try:
            loaded.config.account(account_id)
        except KeyError:
            _edit_failed([unknown_account(loaded.config, account_id, config_path)])
        if not _ask_closure(account_id, update, loaded.config):
            click.echo(_("{path}: not written").format(path=config_path))
            return
    try:
        result = close_account(config_path, account_id, update, dry_run=dry_run, loaded=loaded)
    except EditError as exc:
        _edit_failed(exc.lines)
    _report_edit(result, dry_run)


def _ask_closure(account_id: str, update: Any, config: Any) -> bool:
    """Ask for the closure fields not given and not yet recorded, checking each date as it is
    typed (format, not in the future, in the order things happen); then confirm."""
    from registry.editing import closure_problems

    department, account = config.account(account_id)
    click.echo(
        _("{id}: {name} ({platform}), department {department}; now {status}").format(
            id=account.id,
            name=account.name,
            platform=PLATFORM_LABELS[account.platform],
            department=_("{id} ({name})").format(id=department.id, name=department.name),
            status=ACCOUNT_STATUS_LABELS[account.status],
        ),
        err=True,
    )
    recorded = account.closure.model_dump(exclude_none=True) if account.closure else {}
    for name in (
        "reason",
        "approved_on",
        "notice_on",
        "deregistered_on",
        "filed_on",
        "certificate",
    ):
        if getattr(update, name) is not None or name in recorded:
            continue

        def check(text: str, name: str = name) -> Any:
            text = text.strip()
            if not text:
                return None
            try:
                value = read_date(text) if name.endswith("_on") else text
            except ValueError as exc:
                raise click.BadParameter(str(exc)) from None
            setattr(update, name, value)
            problems = closure_problems(config, account_id, update, name)
            if problems:
                setattr(update, name, None)
                raise click.BadParameter("\n".join(problems))
            return value

        required = name in ("reason", "approved_on")
        key = "closure_filed_on" if name == "filed_on" else name
        value = _ask(key, _required(check) if required else check, optional=not required)
        setattr(update, name, value)
    if not update.given():
        return False
    return _confirm(
        _("Record this closure of {id} in the ledger?").format(id=account_id), default=True
    )


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
        click.echo(_("cannot compare: fix the problems above"), err=True)
        sys.exit(EXIT_BAD_CONFIG)
    old_loaded, new_loaded = loaded
    before = {_without_line(w) for w in old_loaded.warnings}
    for line in new_loaded.warnings:
        if _without_line(line) not in before:
            click.echo(_("warning: ") + line, err=True)
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
        click.echo(_("error: {reason}").format(reason=exc), err=True)
        sys.exit(EXIT_BAD_CONFIG)
    except SQLAlchemyError as exc:
        shown_url = make_url(url).render_as_string(hide_password=True)
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
        click.echo(
            _("error: the store {store} failed: {reason}").format(store=shown_url, reason=reason),
            err=True,
        )
        sys.exit(EXIT_PARTIAL)
    click.echo(
        _(
            "synced: {registered} registered, {changed} changed, {status_changed} status "
            "changed, {removed} removed, {unchanged} unchanged"
        ).format(
            registered=summary.registered,
            changed=summary.changed,
            status_changed=summary.status_changed,
            removed=summary.removed,
            unchanged=summary.unchanged,
        )
    )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


COMMANDS: list[click.Command] = [validate, accounts, register, close, diff, sync]
