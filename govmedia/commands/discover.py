"""Discovery commands (排查): `discover` sweeps the platforms for government accounts the ledger
does not hold, lists the candidates, records manual sweeps; `discover dismiss` sets one aside."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click

from govmedia.cli import EXIT_PARTIAL, config_option, load_or_exit, parse_instant
from registry.constants import (
    CANDIDATE_KIND_LABELS,
    SEARCH_SOURCES,
    CandidateState,
    Platform,
    Source,
)
from registry.i18n import _, ngettext

SEARCHED = [s.value for s in SEARCH_SOURCES]
MANUAL_PLATFORMS = [p.value for p in Platform if p.value not in SEARCHED]


def _engine(loaded: Any) -> Any:
    from registry.config import store_url
    from registry.store import open_store

    return open_store(store_url(loaded))


@click.group(invoke_without_command=True)
@config_option
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="S",
    help="Only this source (weibo, wechat, bilibili; with --manual any platform). Repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--list", "listing", is_flag=True, help="List the candidates; search nothing.")
@click.option("--all", "show_all", is_flag=True, help="With --list: registered and dismissed too.")
@click.option("--manual", is_flag=True, help="Record a person's sweep of a platform (Douyin…).")
@click.option("--by", metavar="NAME", help="With --manual: who swept.")
@click.option("--note", help="With --manual: what was searched and found.")
@click.option("--now", "now_text", metavar="ISO", hidden=True, help="The clock (tests, demo).")
@click.pass_context
def discover(
    ctx: click.Context,
    config_path: Path,
    sources: tuple[str, ...],
    as_json: bool,
    listing: bool,
    show_all: bool,
    manual: bool,
    by: str | None,
    note: str | None,
    now_text: str | None,
) -> None:
    """Sweep the platforms for government accounts the ledger does not hold (排查).

    Searches Weibo, WeChat (with the stored login) and Bilibili for the jurisdiction's name, each
    department's name and `discover.keywords`, and keeps the accounts that look governmental,
    belong to the jurisdiction and are not in the ledger (or match a closed account: a relaunch).
    Candidates are listed in the weekly report (疑似未报备账号) until registered
    (`govmedia register --from-candidate ID`) or dismissed (`govmedia discover dismiss ID`).
    A search the platform refused is reported with its outcome, never as "nothing found"; the
    exit status is then 1. Douyin, Toutiao and other platforms are swept by a person and
    recorded with --manual.

    \b
    Example:
      govmedia discover
      govmedia discover --source weibo --json
      govmedia discover --list
      govmedia discover --manual --source douyin --by 李娜 --note "搜索博爱县，无新增"
    """
    if ctx.invoked_subcommand is not None:
        return
    loaded = load_or_exit(config_path, quiet_warnings=as_json)
    now = parse_instant(now_text, option="--now") if now_text else None
    if manual:
        _manual(loaded, sources, by, note, now)
        return
    if listing:
        _list(loaded, as_json, show_all)
        return
    wrong = [s for s in sources if s not in SEARCHED]
    if wrong:
        raise click.BadParameter(
            _(
                "cannot search {wrong}; use {searched}, or record a person's sweep with --manual"
            ).format(wrong=", ".join(wrong), searched=", ".join(SEARCHED)),
            param_hint="--source",
        )
    from govmedia.discovering import run_discover

    result = run_discover(loaded, sources=[Source(s) for s in sources] or None, now=now)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_sweep(result)
    if result.failed or result.interrupted is not None:
        sys.exit(EXIT_PARTIAL)


def _print_sweep(result: Any) -> None:
    searched = len(result.rows)
    click.echo(
        _("{searches}, {requests}").format(
            searches=ngettext("{n} search", "{n} searches", searched).format(n=searched),
            requests=ngettext("{n} request", "{n} requests", result.requests).format(
                n=result.requests
            ),
        )
    )
    for row in result.failed:
        click.echo(
            _("not searched: {source} {keyword!r}: {outcome}: {detail}").format(
                source=row.source, keyword=row.keyword, outcome=row.outcome.value, detail=row.detail
            )
        )
    stored = result.stored
    for finding, keyword in result.found:
        click.echo(
            _("{kind} {source} {identifier} {name} (keyword {keyword}): {reason}").format(
                kind=CANDIDATE_KIND_LABELS[finding.kind],
                source=finding.hit.source.value,
                identifier=finding.hit.identifier,
                name=finding.hit.name,
                keyword=keyword,
                reason=finding.reason,
            )
        )
    if stored is not None:
        click.echo(
            _(
                "{new} new candidates, {seen} seen again, {dismissed} dismissed before (not listed)"
            ).format(
                new=len(stored.new),
                seen=len(stored.seen_again),
                dismissed=len(stored.dismissed_seen),
            )
        )
    if result.failed:
        click.echo(
            ngettext(
                "{n} search was not answered: this sweep is incomplete, "
                "not a proof that no account is missing",
                "{n} searches were not answered: this sweep is incomplete, "
                "not a proof that no account is missing",
                len(result.failed),
            ).format(n=len(result.failed)),
            err=True,
        )


def _list(loaded: Any, as_json: bool, show_all: bool) -> None:
    from registry.candidates import list_candidates

    states = None if show_all else [CandidateState.NEW]
    with _engine(loaded).connect() as conn:
        found = list_candidates(conn, states=states)
    if as_json:
        click.echo(json.dumps([c.to_json() for c in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo(_("no candidates") if show_all else _("no candidates waiting for a decision"))
        return
    for c in found:
        decided = ""
        if c.state is not CandidateState.NEW and c.state_by:
            decided = _(" [{state} by {by}]").format(state=c.state.value, by=c.state_by)
        elif c.state is not CandidateState.NEW:
            decided = f" [{c.state.value}]"
        click.echo(
            f"{c.id:>4}  {c.source:<8} {c.identifier:<16} {c.name}  "
            f"{CANDIDATE_KIND_LABELS[c.kind]}{decided}: {c.reason}"
        )


def _manual(
    loaded: Any,
    sources: tuple[str, ...],
    by: str | None,
    note: str | None,
    now: dt.datetime | None,
) -> None:
    from govmedia.discovering import record_manual_check

    if len(sources) != 1:
        raise click.BadParameter(
            _("name the platform swept, e.g. --source douyin"), param_hint="--source"
        )
    platform = sources[0]
    if platform not in [p.value for p in Platform]:
        raise click.BadParameter(
            _("unknown platform {platform!r}; use one of {platforms}").format(
                platform=platform, platforms=", ".join(p.value for p in Platform)
            ),
            param_hint="--source",
        )
    if not by or not by.strip():
        raise click.BadParameter(_("say who swept, e.g. --by 李娜"), param_hint="--by")
    if not note or not note.strip():
        raise click.BadParameter(
            _('say what was searched and found, e.g. --note "搜索博爱县，无新增"'),
            param_hint="--note",
        )
    sweep_id = record_manual_check(
        loaded, platform=platform, by=by.strip(), note=note.strip(), now=now
    )
    click.echo(
        _("recorded: {platform} swept by {by} ({sweep_id})").format(
            platform=platform, by=by.strip(), sweep_id=sweep_id
        )
    )


@discover.command()
@config_option
@click.argument("candidate_id", metavar="ID", type=int)
@click.option("--reason", required=True, help="Why it is not an account of ours to register.")
@click.option("--by", metavar="NAME", help="Who decided (default: $USER).")
def dismiss(config_path: Path, candidate_id: int, reason: str, by: str | None) -> None:
    """Set a candidate aside: it is not listed again, whatever later sweeps find.

    \b
    Example:
      govmedia discover dismiss 7 --reason "温县账号，非本县" --by 李娜
    """
    import getpass

    from registry.candidates import CandidateError, change_state

    if not reason.strip():
        raise click.BadParameter(_("say why, e.g. --reason 个人账号"), param_hint="--reason")
    loaded = load_or_exit(config_path)
    who = (by or "").strip() or getpass.getuser()
    try:
        candidate = change_state(
            _engine(loaded),
            candidate_id,
            CandidateState.DISMISSED,
            by=who,
            reason=reason.strip(),
            now=dt.datetime.now(dt.UTC),
        )
    except CandidateError as exc:
        click.echo(_("error: {error}").format(error=exc), err=True)
        sys.exit(EXIT_PARTIAL)
    click.echo(
        _("dismissed candidate {id} ({name}) by {by}: {reason}").format(
            id=candidate.id, name=candidate.name, by=who, reason=reason.strip()
        )
    )


def candidate_fields(loaded: Any, candidate_id: int) -> tuple[Any, dict[str, Any]]:
    """`register --from-candidate`: the candidate and the registration fields it fills (name,
    platform, identifier, a note with why it was found). Exits 1 for an unknown candidate, one
    already decided, or a relaunch (the account is in the ledger already, as closed)."""
    from registry.candidates import CandidateError, get_candidate
    from registry.constants import SEARCH_PLATFORMS, SOURCE_IDENTIFIER_FIELD, CandidateKind

    try:
        with _engine(loaded).connect() as conn:
            candidate = get_candidate(conn, candidate_id)
    except CandidateError as exc:
        click.echo(_("error: {error}").format(error=exc), err=True)
        sys.exit(EXIT_PARTIAL)
    if candidate.state is not CandidateState.NEW:
        click.echo(
            _("error: candidate {id} is already {state}; nothing to do").format(
                id=candidate_id, state=candidate.state.value
            ),
            err=True,
        )
        sys.exit(EXIT_PARTIAL)
    if candidate.kind is CandidateKind.RELAUNCH:
        click.echo(
            _(
                "error: candidate {id} is the closed account {account} still on its platform; "
                "have it deregistered, or dismiss the candidate"
            ).format(id=candidate_id, account=candidate.account_id),
            err=True,
        )
        sys.exit(EXIT_PARTIAL)
    source = Source(candidate.source)
    fields = {
        "name": candidate.name,
        "platform": SEARCH_PLATFORMS[source].value,
        str(SOURCE_IDENTIFIER_FIELD[source]): candidate.identifier,
        "note": f"排查发现（候选 {candidate.id}）：{candidate.reason}",
    }
    return candidate, fields


def mark_registered(loaded: Any, candidate: Any, account_id: str | None) -> None:
    """The candidate is in the ledger now: its state says so, and by whom."""
    import getpass

    from registry.candidates import change_state

    change_state(
        _engine(loaded),
        candidate.id,
        CandidateState.REGISTERED,
        by=getpass.getuser(),
        reason=f"registered as {account_id}",
        now=dt.datetime.now(dt.UTC),
    )
    click.echo(
        _("candidate {id} registered as {account}").format(id=candidate.id, account=account_id)
    )


COMMANDS: list[click.Command] = [discover]
