"""Cases (整改跟踪): `govmedia cases` lists them; `respond` records an owner's answer; `close`
closes one by hand. The cycle opens, closes (复核销号) and escalates them itself."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import Any

import click

from govmedia.cli import EXIT_BAD_CONFIG, config_option, load_or_exit, parse_instant
from govmedia.commands.compliance import in_words
from registry.config import store_url
from registry.constants import (
    CASE_KIND_LABELS,
    CASE_STATE_LABELS,
    LOCAL_TZ,
    CaseAction,
    CaseState,
)
from registry.i18n import N_, _, current_language

# One line of a case's history per kind of event (each a whole sentence, for the translation).
_EVENT_LINES = {
    CaseAction.OPENED: N_("{at} opened by {by}: {note}"),
    CaseAction.RESPONDED: N_("{at} responded by {by}: {note}"),
    CaseAction.OVERDUE: N_("{at} overdue by {by}: {note}"),
    CaseAction.CLOSED: N_("{at} closed by {by}: {note}"),
}

_now_option = click.option(
    "--now", "now_text", hidden=True, help="The clock, for tests (ISO date-time)."
)


def _engine(loaded: Any) -> Any:
    from registry.store import open_store

    return open_store(store_url(loaded))


def _unknown(case_id: str, known: list[str]) -> None:
    close = difflib.get_close_matches(case_id, known, n=1, cutoff=0.5)
    if close:
        message = _("error: no case {case!r}; did you mean {suggestion}?")
    else:
        message = _("error: no case {case!r}; `govmedia cases` lists them")
    click.echo(message.format(case=case_id, suggestion=close[0] if close else ""), err=True)
    sys.exit(EXIT_BAD_CONFIG)


@click.group(invoke_without_command=True)
@config_option
@click.option("--open", "only_open", is_flag=True, help="Only cases not closed yet.")
@click.option("--overdue", "only_overdue", is_flag=True, help="Only cases past their deadline.")
@click.option("--department", "department", help="Only this department's cases (its id).")
@click.option("--json", "as_json", is_flag=True, help="Print the cases as a JSON array.")
@click.pass_context
def cases(
    ctx: click.Context,
    config_path: Path,
    only_open: bool,
    only_overdue: bool,
    department: str | None,
    as_json: bool,
) -> None:
    """Cases (整改跟踪): one per problem found, from its opening to 复核销号.

    The cycle opens a case for each problem (veto, zombie or shutdown flag, relaunch, long
    unverifiable, not filed, not enrolled, a closure overdue), tells the owner the deadline
    (working days, config `cases.deadlines`), closes it when a later check proves the fix, and
    escalates it once when the deadline passes. Newest first; exit 2 for an unknown department.

    \b
    Example:
      govmedia cases --open
      govmedia cases --overdue --department gaj --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from registry.store import load_cases

    loaded = load_or_exit(config_path, quiet_warnings=True)
    departments = {d.id: d.name for d in loaded.config.departments}
    if department is not None and department not in departments:
        close = difflib.get_close_matches(department, list(departments), n=1)
        if close:
            message = _(
                "error: no department {department!r} in the ledger; did you mean {suggestion}?"
            )
        else:
            message = _("error: no department {department!r} in the ledger")
        click.echo(
            message.format(department=department, suggestion=close[0] if close else ""), err=True
        )
        sys.exit(EXIT_BAD_CONFIG)
    engine = _engine(loaded)
    try:
        with engine.connect() as conn:
            found = load_cases(conn)
    finally:
        engine.dispose()
    if only_open:
        found = [c for c in found if c.state is not CaseState.CLOSED]
    if only_overdue:
        found = [c for c in found if c.state is CaseState.OVERDUE]
    if department is not None:
        found = [c for c in found if c.department_id == department]
    found.sort(key=lambda c: (c.opened_at, c.id), reverse=True)
    if as_json:
        click.echo(json.dumps([c.as_json() for c in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo(_("no cases"))
        return
    names = {a.id: a.name for _, a in loaded.config.iter_accounts()}
    for case in found:
        opened = case.opened_at.astimezone(LOCAL_TZ)
        dates = _("opened {opened}  deadline {deadline}").format(
            opened=f"{opened:%Y-%m-%d}", deadline=case.deadline.isoformat()
        )
        click.echo(
            f"{case.id}  {_state(case.state)}  "
            f"{departments.get(case.department_id, case.department_id)} "
            f"{names.get(case.account_id, case.evidence.get('name') or case.account_id)}  "
            f"{CASE_KIND_LABELS[case.kind]}  {dates}"
            + ("" if case.deadline_exact else _(" (estimated)"))
        )
        click.echo(f"    {case.summary}")
        for event in case.events[1:]:
            at = event.at.astimezone(LOCAL_TZ)
            line = _(_EVENT_LINES[event.action]).format(
                at=f"{at:%Y-%m-%d %H:%M}", by=event.by, note=event.note
            )
            click.echo(f"    {line}")


def _state(state: CaseState) -> str:
    """A case's state in the list: the reports' label (待整改, 已销号 …), after the state's id
    in English (a column the English reader can grep)."""
    label = CASE_STATE_LABELS[state]
    return f"{state.value:<9}  {label}" if current_language() == "en" else label


def _transition(case_id: str, state: CaseState, by: str) -> str:
    """What a command that moved a case prints: the case, where it stands now, and who."""
    return _("{case}: {state} ({by})").format(
        case=case_id, state=in_words(state, CASE_STATE_LABELS), by=by
    )


def _record(config_path: Path, case_id: str, make: Any, now_text: str | None) -> Any:
    from registry.store import append_case_event, load_cases

    loaded = load_or_exit(config_path, quiet_warnings=True)
    now = parse_instant(now_text, option="--now")
    engine = _engine(loaded)
    try:
        try:
            return append_case_event(engine, case_id, lambda case: make(case, now))
        except KeyError:
            with engine.connect() as conn:
                known = [c.id for c in load_cases(conn)]
            _unknown(case_id, known)
        except ValueError as exc:
            click.echo(_("error: {problem}").format(problem=exc), err=True)
            sys.exit(EXIT_BAD_CONFIG)
    finally:
        engine.dispose()


@cases.command()
@config_option
@click.argument("case_id", metavar="ID")
@click.option("--note", required=True, help="What was done, or what will be and by when.")
@click.option("--by", "by", required=True, help="Who answers (the owner's name).")
@_now_option
def respond(config_path: Path, case_id: str, note: str, by: str, now_text: str | None) -> None:
    """Record the owner's answer to a case (the case turns `responded`).

    An overdue case stays overdue until a check proves the fix; the answer is kept beside it.
    Exit 0 recorded; 2 unknown case (with a did-you-mean) or a closed one.

    \b
    Example:
      govmedia cases respond 20261128-gaj-weibo-veto --note "已安排专人每日更新" --by 李明
    """
    from registry.cases import respond as respond_rule

    if not note.strip() or not by.strip():
        click.echo(_("error: --note and --by must not be empty"), err=True)
        sys.exit(EXIT_BAD_CONFIG)
    event = _record(
        config_path,
        case_id,
        lambda case, now: respond_rule(case, note=note.strip(), by=by.strip(), now=now),
        now_text,
    )
    click.echo(_transition(case_id, event.to_state, by.strip()))


@cases.command("close")
@config_option
@click.argument("case_id", metavar="ID")
@click.option("--reason", required=True, help="Why the case is closed by hand.")
@click.option("--by", "by", help="Who closes it. Default: your login name ($USER).")
@_now_option
def close_command(
    config_path: Path, case_id: str, reason: str, by: str | None, now_text: str | None
) -> None:
    """Close a case by hand, with the reason (a check closes fixed cases by itself).

    Exit 0 closed; 2 unknown case (with a did-you-mean) or one already closed.

    \b
    Example:
      govmedia cases close 20261128-gaj-wechat-unenrolled --reason "省平台已纳管，待系统同步" --by 张伟
    """
    from govmedia.commands.observe import _default_observer
    from registry.cases import close as close_rule

    who = (by or "").strip() or _default_observer() or "unknown"
    if not reason.strip():
        click.echo(_("error: --reason must not be empty"), err=True)
        sys.exit(EXIT_BAD_CONFIG)
    _record(
        config_path,
        case_id,
        lambda case, now: close_rule(case, reason=reason.strip(), by=who, now=now),
        now_text,
    )
    click.echo(_transition(case_id, CaseState.CLOSED, who))


COMMANDS: list[click.Command] = [cases]
