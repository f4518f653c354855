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
        # A candidate's case (discovery) has no ledger account: the name found.
        account_name=account.name if account else str(case.evidence.get("name") or case.account_id),
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


def notice_cases(
    cases: Sequence[Case],
    ledger: Any,
    *,
    first: dt.date,
    last: dt.date,
    tz: Any,
    previous_issued_at: dt.datetime | None,
) -> dict[str, Any]:
    """The notice's case figures (pure): 整改率 of the cases due in [first, last] as they stood
    at the period's end, the units that did not respond, the accounts late twice or more, and
    the cases still open when the last notice was issued, re-checked."""
    from registry.cases import late_twice, rectification, silent_departments
    from reports.render import pct

    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    as_of = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    rate = rectification(cases, first, last, as_of=as_of)
    silent = silent_departments(cases, first, last, as_of=as_of)

    def unit(department_id: str) -> str:
        department = ledger.departments.get(department_id)
        return department.name if department else department_id

    def account(account_id: str) -> str:
        found = ledger.accounts.get(account_id)
        if found is None:
            return account_id
        return f"{unit(found.department_id)}「{found.name}」"

    silent_units = [f"{unit(d)}（{len(items)}件）" for d, items in sorted(silent.items())]
    late = [
        f"{account(a)}（逾期{n}次）" for a, n in sorted(late_twice(cases, start, as_of).items())
    ]
    recheck: list[CaseLine] = []
    if previous_issued_at is not None:
        pending = [
            c
            for c in cases
            if c.opened_at <= previous_issued_at
            and c.state_at(previous_issued_at) not in (None, CaseState.CLOSED)
        ]
        recheck = lines_of(pending, ledger, as_of, tz)
    if rate.due:
        text = (
            f"本期整改期限届满的问题{rate.due}件，已整改销号{rate.fixed}件，"
            f"整改率{pct(rate.rate)}。"
        )
    else:
        text = "本期无整改期限届满的问题。"
    if silent_units:
        text += f"未按期反馈整改情况的单位：{'、'.join(silent_units)}。"
    if late:
        text += f"本期两次以上逾期未整改的账号：{'、'.join(late)}，予以通报。"
    if recheck:
        closed = sum(1 for line in recheck if line.state == CaseState.CLOSED.value)
        text += (
            f"上期通报时尚未销号的{len(recheck)}件问题中，已销号{closed}件，"
            f"仍未整改{len(recheck) - closed}件。"
        )
    return {
        "cases_due": rate.due,
        "cases_fixed": rate.fixed,
        "rectification_rate": rate.rate,
        "silent_units": silent_units,
        "late_twice": late,
        "case_recheck": recheck,
        "cases_text": text,
    }
