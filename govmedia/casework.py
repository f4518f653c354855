"""The cycle's case step (整改跟踪): record what the rules of registry/cases.py call for, then
queue the messages that go with it.

A new case goes to its owner with the deadline; a case that turns overdue is escalated once to its
unit (the department's contact, 单位负责人) and the supervisors. Each message is keyed by its
case (and what happened to it), so a repeated cycle queues nothing new.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from registry.candidates import list_candidates
from registry.cases import Case, CaseChanges, candidate_case_changes, case_changes
from registry.compliance import Verdict
from registry.constants import (
    CASE_FIX_LABELS,
    CASE_KIND_LABELS,
    PLATFORM_LABELS,
    AlertKind,
    Audience,
    CaseAction,
    ChannelKind,
    VerdictStatus,
)
from registry.models import Config
from registry.store import load_cases, record_cases

log = logging.getLogger("govmedia.cases")


def unknown_since(engine: Engine) -> dict[str, dt.datetime]:
    """Accounts whose current status is unknown, and since when (their latest status change)."""
    from govmedia.alerts import _latest_changes

    return {
        account_id: change.at
        for account_id, (change, _) in _latest_changes(engine).items()
        if change.new_status == VerdictStatus.UNKNOWN.value
    }


def update_cases(
    engine: Engine, config: Config, verdicts: Sequence[Verdict], *, now: dt.datetime
) -> int:
    """Open, close and mark overdue the cases this check calls for; queue their messages.
    Returns the messages queued."""
    with engine.connect() as conn:
        existing = load_cases(conn)
        found = list_candidates(conn)
    # Discovery's cases first: one its candidate closed is not also marked overdue.
    discovered = candidate_case_changes(config, found, existing, now=now)
    closed = {e.case_id for e in discovered.closed}
    checked = case_changes(
        config,
        verdicts,
        [c for c in existing if c.id not in closed],
        now=now,
        unknown_since=unknown_since(engine),
    )
    changes = CaseChanges(discovered.opened + checked.opened, discovered.events + checked.events)
    recorded = record_cases(engine, changes.opened, changes.events)
    estimated = [c.id for c in changes.opened if not c.deadline_exact]
    if estimated:
        log.warning(
            "case deadlines estimated Monday to Friday: the holiday calendar does not cover them "
            "yet (upgrade chinesecalendar)",
            extra={"cases": ",".join(estimated)},
        )
    by_id = {c.id: c for c in existing}
    overdue = [by_id[e.case_id] for e in recorded if e.action is CaseAction.OVERDUE]
    log.info(
        "cases",
        extra={
            "opened": len(changes.opened),
            "closed": sum(1 for e in recorded if e.action is CaseAction.CLOSED),
            "overdue": len(overdue),
            "stale": len(changes.events) - len(recorded),
        },
    )
    return queue_case_messages(engine, config, opened=changes.opened, overdue=overdue, now=now)


def queue_case_messages(
    engine: Engine,
    config: Config,
    *,
    opened: Sequence[Case],
    overdue: Sequence[Case],
    now: dt.datetime,
) -> int:
    """New cases to their owners; overdue ones to their units' contacts and the supervisors.

    Nothing floods: by e-mail each person gets one message for all of a cycle's cases that
    concern them, and a group channel gets one digest per cycle and kind (naming everyone, so
    the robot can @ them). Each message is keyed by the cases it carries: queued once."""
    from govmedia.alerts import Contact, _insert_new, _supervisors

    ledger = {a.id: (d, a) for d, a in config.iter_accounts()}
    departments = {d.id: d for d in config.departments}
    known = [c for c in opened if c.account_id in ledger or _found(c)]
    late = [c for c in overdue if c.account_id in ledger or _found(c)]
    rows: list[dict[str, Any]] = []

    def owner(case: Case) -> list[Contact]:
        data = case.owner
        if case.account_id in ledger:
            name = data.get("name") or ledger[case.account_id][1].owner.name
            return [Contact(str(name), data.get("phone"), data.get("email"))]
        if data.get("phone") or data.get("email"):  # a candidate's: its department's contact
            return [Contact(str(data.get("name")), data.get("phone"), data.get("email"))]
        return _supervisors(config)  # a candidate no department's name matched

    def unit(case: Case) -> list[Contact]:
        found = ledger.get(case.account_id)
        department = found[0] if found else departments.get(case.department_id)
        contact = department.contact if department else None
        return [Contact(contact.name, contact.phone, contact.email)] if contact else []

    if known:
        rows += _digest_rows(config, AlertKind.CASE_OPENED, known, owner=owner)
    if late:
        rows += _digest_rows(config, AlertKind.CASE_OVERDUE, late, owner=unit)
        rows += _digest_rows(
            config,
            AlertKind.CASE_OVERDUE,
            late,
            owner=lambda c: _supervisors(config),
            audience=Audience.SUMMARY,
            who="supervisors",
        )
    for row in rows:
        row["created_at"] = now
    return _insert_new(engine, rows)


def _digest_rows(
    config: Config,
    kind: AlertKind,
    cases: Sequence[Case],
    *,
    owner: Any,
    audience: Audience = Audience.ALERTS,
    who: str = "people",
) -> list[dict[str, Any]]:
    """Rows for `cases`: per person on e-mail channels (the cases that concern them), one digest
    per group channel. A group channel that carries both audiences gets the escalation once."""
    from govmedia.alerts import _rows_for

    channels = [c for c in config.notify.channels if audience in c.audience]
    if audience is Audience.SUMMARY:  # the alerts pass already posted to dual group channels
        channels = [
            c for c in channels if c.kind is ChannelKind.EMAIL or Audience.ALERTS not in c.audience
        ]
    email = [c for c in channels if c.kind is ChannelKind.EMAIL]
    group = [c for c in channels if c.kind is not ChannelKind.EMAIL]
    rows: list[dict[str, Any]] = []
    by_person: dict[Any, list[Case]] = {}
    for case in cases:
        for person in owner(case):
            if person.email:
                by_person.setdefault(person, []).append(case)
    for person, theirs in by_person.items():
        rows += _rows_for(
            email, audience, [person], key=_key(kind, who, theirs), base=_base(config, kind, theirs)
        )
    people = list(dict.fromkeys(p for case in cases for p in owner(case)))
    if group:
        rows += _rows_for(
            group, audience, people, key=_key(kind, who, cases), base=_base(config, kind, cases)
        )
    return rows


def _found(case: Case) -> bool:
    """A case on a candidate discovery found (no ledger account: `candidate-<id>`)."""
    return "candidate" in case.evidence


def _key(kind: AlertKind, who: str, cases: Sequence[Case]) -> str:
    ids = sorted(c.id for c in cases)
    if len(ids) == 1:
        return f"{kind.value}:{who}:{ids[0]}"
    digest = hashlib.sha1("\n".join(ids).encode()).hexdigest()[:16]
    return f"{kind.value}:{who}:{len(ids)}:{digest}"


def _base(config: Config, kind: AlertKind, cases: Sequence[Case]) -> dict[str, Any]:
    from reports.notify.render import CaseContext, render_message

    ledger = {a.id: (d, a) for d, a in config.iter_accounts()}
    context = CaseContext(
        kind=kind.value,
        jurisdiction=config.jurisdiction,
        cases=[_item(c, *ledger.get(c.account_id, (None, None)), config=config) for c in cases],
    )
    subject, body = render_message(context)
    return {
        "account_id": cases[0].account_id if len(cases) == 1 and not _found(cases[0]) else None,
        "status_change_id": None,
        "kind": kind.value,
        "subject": subject,
        "body": body,
        "attempts": 0,
    }


def _item(case: Case, department: Any, account: Any, *, config: Config) -> Any:
    """A case as its message lists it; a candidate's (no ledger account) names what was found,
    and its department, or the jurisdiction when no department's name matched."""
    from govmedia.alerts import local_text
    from reports.notify.render import CaseItem

    deadline = case.deadline
    if account is None:
        evidence = case.evidence
        units = {d.id: d.name for d in config.departments}
        department_name = units.get(case.department_id, config.jurisdiction)
        account_name = str(evidence.get("name") or case.account_id)
        source = str(evidence.get("source") or "")
        platform = PLATFORM_LABELS.get(source, source)
    else:
        department_name, account_name = department.name, account.name
        platform = PLATFORM_LABELS[account.platform]
    return CaseItem(
        case_id=case.id,
        kind_label=CASE_KIND_LABELS[case.kind],
        department=department_name,
        account_name=account_name,
        platform=platform,
        owner=str(case.owner.get("name") or (account.owner.name if account else "")),
        summary=case.summary,
        opened_local=local_text(case.opened_at) or "",
        deadline_local=f"{deadline.year}年{deadline.month}月{deadline.day}日",
        deadline_exact=case.deadline_exact,
        fix=CASE_FIX_LABELS[case.kind],
        responded=bool(case.responses),
    )
