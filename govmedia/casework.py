"""The cycle's case step (整改跟踪): record what the rules of registry/cases.py call for, then
queue the messages that go with it.

A new case goes to its owner with the deadline; a case that turns overdue is escalated once to its
unit (the department's contact, 单位负责人) and the supervisors. Each message is keyed by its
case (and what happened to it), so a repeated cycle queues nothing new.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from registry.cases import Case, case_changes
from registry.compliance import Verdict
from registry.constants import (
    CASE_FIX_LABELS,
    CASE_KIND_LABELS,
    PLATFORM_LABELS,
    AlertKind,
    Audience,
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
    changes = case_changes(config, verdicts, existing, now=now, unknown_since=unknown_since(engine))
    record_cases(engine, changes.opened, changes.events)
    estimated = [c.id for c in changes.opened if not c.deadline_exact]
    if estimated:
        log.warning(
            "case deadlines estimated Monday to Friday: the holiday calendar does not cover them "
            "yet (upgrade chinesecalendar)",
            extra={"cases": ",".join(estimated)},
        )
    by_id = {c.id: c for c in existing}
    overdue = [by_id[e.case_id] for e in changes.overdue]
    log.info(
        "cases",
        extra={
            "opened": len(changes.opened),
            "closed": len(changes.closed),
            "overdue": len(overdue),
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
    """A new case to its owner; an overdue one to its unit's contact and the supervisors."""
    from govmedia.alerts import Contact, _insert_new, _rows_for, _supervisors

    channels = [c for c in config.notify.channels if Audience.ALERTS in c.audience]
    summary_channels = [c for c in config.notify.channels if Audience.SUMMARY in c.audience]
    ledger = {a.id: (d, a) for d, a in config.iter_accounts()}
    rows: list[dict[str, Any]] = []
    for kind, items in ((AlertKind.CASE_OPENED, opened), (AlertKind.CASE_OVERDUE, overdue)):
        for case in items:
            found = ledger.get(case.account_id)
            if found is None:
                continue
            department, account = found
            owner = Contact(
                str(case.owner.get("name") or account.owner.name),
                case.owner.get("phone"),
                case.owner.get("email"),
            )
            subject, body = _render(config, case, kind, department.name, account, now=now)
            base = {
                "account_id": case.account_id,
                "status_change_id": None,
                "kind": kind.value,
                "subject": subject,
                "body": body,
                "created_at": now,
                "attempts": 0,
            }
            key = f"{kind.value}:{case.id}"
            if kind is AlertKind.CASE_OPENED:
                rows += _rows_for(channels, Audience.ALERTS, [owner], key=key, base=base)
                continue
            unit = department.contact
            people = [Contact(unit.name, unit.phone, unit.email)] if unit else []
            rows += _rows_for(channels, Audience.ALERTS, people, key=key, base=base)
            # A group channel that carries both audiences already posted it above.
            rows += _rows_for(
                [c for c in summary_channels if c.kind is ChannelKind.EMAIL or c not in channels],
                Audience.SUMMARY,
                _supervisors(config),
                key=f"{key}:supervisors",
                base=base,
            )
    return _insert_new(engine, rows)


def _render(
    config: Config, case: Case, kind: AlertKind, department: str, account: Any, *, now: dt.datetime
) -> tuple[str, str]:
    from govmedia.alerts import local_text
    from reports.notify.render import CaseContext, render_message

    deadline = case.deadline
    context = CaseContext(
        kind=kind.value,
        jurisdiction=config.jurisdiction,
        case_id=case.id,
        kind_label=CASE_KIND_LABELS[case.kind],
        department=department,
        account_name=account.name,
        platform=PLATFORM_LABELS[account.platform],
        owner=str(case.owner.get("name") or account.owner.name),
        summary=case.summary,
        opened_local=local_text(case.opened_at) or "",
        deadline_local=f"{deadline.year}年{deadline.month}月{deadline.day}日",
        deadline_exact=case.deadline_exact,
        fix=CASE_FIX_LABELS[case.kind],
        responded=bool(case.responses),
    )
    return render_message(context)
