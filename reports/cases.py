"""Cases (整改跟踪) as the reports show them: the weekly report's open and overdue lists, and the
notice's 整改率, units that did not respond, and the re-check of the last notice's cases. The
figures come from the case records (registry/cases.py), never re-derived from verdicts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from registry.cases import Case
from registry.constants import CASE_KIND_LABELS, CASE_STATE_LABELS, CaseState
from reports.contexts import CaseLine


def state_as_of(case: Case, as_of: dt.datetime, tz: Any) -> CaseState | None:
    """The case's state at `as_of`; one unfixed past its deadline is overdue even before the
    cycle recorded it (a report rendered between cycles)."""
    state = case.state_at(as_of)
    if state in (CaseState.OPEN, CaseState.RESPONDED) and as_of.astimezone(tz).date() > (
        case.deadline
    ):
        return CaseState.OVERDUE
    return state


def case_line(case: Case, ledger: Any, as_of: dt.datetime, tz: Any) -> CaseLine:
    account = ledger.accounts.get(case.account_id)
    department = ledger.departments.get(case.department_id)
    state = state_as_of(case, as_of, tz) or CaseState.OPEN
    responses = [e for e in case.responses if e.at <= as_of]
    closed = case.closed_event
    return CaseLine(
        id=case.id,
        kind=case.kind.value,
        kind_label=CASE_KIND_LABELS[case.kind],
        department_id=case.department_id,
        department_name=department.name if department else case.department_id,
        account_id=case.account_id,
        account_name=account.name if account else case.account_id,
        owner=str(case.owner.get("name") or "—"),
        summary=case.summary,
        opened_on=case.opened_at.astimezone(tz).date(),
        deadline=case.deadline,
        state=state.value,
        state_label=CASE_STATE_LABELS[state],
        response=f"{responses[-1].by}：{responses[-1].note}" if responses else None,
        closed_note=closed.note if closed is not None and closed.at <= as_of else None,
    )


def open_and_overdue(
    cases: Iterable[Case], ledger: Any, as_of: dt.datetime, tz: Any
) -> tuple[list[CaseLine], list[CaseLine]]:
    """The cases not closed at `as_of`: within their deadline, and past it (oldest first)."""
    lines = [
        case_line(c, ledger, as_of, tz)
        for c in sorted(cases, key=lambda c: (c.deadline, c.id))
        if state_as_of(c, as_of, tz) not in (None, CaseState.CLOSED)
    ]
    overdue = [line for line in lines if line.state == CaseState.OVERDUE.value]
    return [line for line in lines if line.state != CaseState.OVERDUE.value], overdue


def lines_of(cases: Sequence[Case], ledger: Any, as_of: dt.datetime, tz: Any) -> list[CaseLine]:
    return [case_line(c, ledger, as_of, tz) for c in cases]
