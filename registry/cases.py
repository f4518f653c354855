"""Cases (整改跟踪): each problem found is raised with its owner and followed until it is fixed.

Pure rules over data and `now`, as healthchecks' `Flip`: a case is a problem of one kind on one
account, and every change of its state is its own event (opened, responded, overdue, closed),
never an edit. `case_changes` reads the verdicts of a check, the ledger (filed_on, supervised,
closure), the cases already recorded and `now`, and returns what to record:

- a case opens for each problem found that has no case still open (one per account and kind);
- a case closes itself when the check proves the fix (复核销号): a passing verdict, a filing
  recorded, a closure completed; the event names the verdict (or the ledger fact) that proved it;
- a case still unfixed after its deadline turns overdue, once: the escalation goes with it.

A deadline counts working days (工作日) from the day the case opened, with the holidays and 调休
workdays of `chinese_calendar`; past the years its table covers, Monday to Friday stand in and the
deadline is marked as estimated (`Deadline.exact`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from registry.compliance import Verdict, whole_days
from registry.constants import (
    CANDIDATE_KIND_LABELS,
    CASE_KIND_LABELS,
    PLATFORM_LABELS,
    VERDICT_LABELS,
    AccountStatus,
    CandidateState,
    CaseAction,
    CaseKind,
    CaseState,
    VerdictStatus,
)
from registry.i18n import _
from registry.models import Account, Config, Department
from registry.outcome_text import unknown_reason

SYSTEM = "govmedia"  # `by` of the events the cycle records itself
# A verdict with one of these statuses shows the account posting as required (the notice's
# re-check counts it 已整改 too).
PASSING = frozenset({VerdictStatus.OK, VerdictStatus.WARNING})
FAILING_SINCE = frozenset({VerdictStatus.VETO, VerdictStatus.ZOMBIE})


# ---------------------------------------------------------------------------------------------
# Working days


@dataclass(frozen=True)
class Deadline:
    day: dt.date
    exact: bool  # False: some day fell outside chinese_calendar's table (Mon–Fri stood in)


def is_workday(day: dt.date) -> tuple[bool, bool]:
    """(a working day, known from the official calendar). Outside chinese_calendar's years
    (2004 to its last release's year) Monday to Friday stand in, and the answer is not known."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(start: dt.date, days: int) -> Deadline:
    """The `days`-th working day after `start` (the day a case opens does not count)."""
    day, exact, left = start, True, days
    while left > 0:
        day += dt.timedelta(days=1)
        work, known = is_workday(day)
        exact = exact and known
        if work:
            left -= 1
    return Deadline(day, exact)


# ---------------------------------------------------------------------------------------------
# Cases and their events


@dataclass(frozen=True)
class CaseEvent:
    """One row of `case_events`: a change of a case's state (or a response), who, when, why."""

    case_id: str
    at: dt.datetime
    action: CaseAction
    from_state: CaseState | None
    to_state: CaseState
    by: str
    note: str | None = None
    verdict_at: dt.datetime | None = None  # the verdict that proved the fix (account, at)
    verdict_status: str | None = None


@dataclass(frozen=True)
class Case:
    """A problem of one kind on one account, with its events (oldest first)."""

    id: str
    kind: CaseKind
    account_id: str
    department_id: str
    owner: Mapping[str, Any]  # name, phone, email, as the ledger said when the case opened
    opened_at: dt.datetime
    deadline: dt.date
    deadline_exact: bool
    evidence: Mapping[str, Any]
    events: tuple[CaseEvent, ...] = ()

    @property
    def state(self) -> CaseState:
        """The state the last event left: derived, never stored apart from the events."""
        return self.events[-1].to_state if self.events else CaseState.OPEN

    def state_at(self, at: dt.datetime) -> CaseState | None:
        """The state at `at`; None before the case opened."""
        states = [e.to_state for e in self.events if e.at <= at]
        return states[-1] if states else None

    @property
    def responses(self) -> list[CaseEvent]:
        return [e for e in self.events if e.action is CaseAction.RESPONDED]

    @property
    def closed_event(self) -> CaseEvent | None:
        return next((e for e in self.events if e.action is CaseAction.CLOSED), None)

    @property
    def overdue_event(self) -> CaseEvent | None:
        return next((e for e in self.events if e.action is CaseAction.OVERDUE), None)

    @property
    def summary(self) -> str:
        return str(self.evidence.get("summary") or CASE_KIND_LABELS[self.kind])

    def as_json(self) -> dict[str, Any]:
        """The `cases --json` object (README, Cases)."""
        closed = self.closed_event
        return {
            "id": self.id,
            "kind": self.kind.value,
            "account": self.account_id,
            "department": self.department_id,
            "owner": self.owner.get("name"),
            "state": self.state.value,
            "opened_at": self.opened_at.isoformat(),
            "deadline": self.deadline.isoformat(),
            "deadline_exact": self.deadline_exact,
            "summary": self.summary,
            "evidence": dict(self.evidence),
            "responses": [
                {"at": e.at.isoformat(), "by": e.by, "note": e.note} for e in self.responses
            ],
            "closed_at": closed.at.isoformat() if closed else None,
            "closed_by": closed.by if closed else None,
            "close_reason": closed.note if closed else None,
            "events": [
                {
                    "at": e.at.isoformat(),
                    "action": e.action.value,
                    "from": e.from_state.value if e.from_state else None,
                    "to": e.to_state.value,
                    "by": e.by,
                    "note": e.note,
                    "verdict_at": e.verdict_at.isoformat() if e.verdict_at else None,
                    "verdict_status": e.verdict_status,
                }
                for e in self.events
            ],
        }


@dataclass
class CaseChanges:
    """What one pass of the rules records: new cases (each with its `opened` event) and the
    events of cases already recorded."""

    opened: list[Case] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)

    @property
    def overdue(self) -> list[CaseEvent]:
        return [e for e in self.events if e.action is CaseAction.OVERDUE]

    @property
    def closed(self) -> list[CaseEvent]:
        return [e for e in self.events if e.action is CaseAction.CLOSED]


# ---------------------------------------------------------------------------------------------
# What is wrong, and what proves it fixed


def _verdict_evidence(verdict: Verdict, summary: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "verdict_at": verdict.at.isoformat(),
        "status": verdict.status.value,
        "rule": verdict.rule,
        "basis": verdict.basis,
        "detail": verdict.detail,
        "days_silent": whole_days(verdict.days_silent),
        "last_post_at": verdict.last_post_at.isoformat() if verdict.last_post_at else None,
        "flag_reason": verdict.flag_reason,
    }


def problems(
    account: Account,
    verdict: Verdict | None,
    *,
    config: Config,
    unknown_since: dt.datetime | None,
    now: dt.datetime,
) -> dict[CaseKind, dict[str, Any]]:
    """The problems an account shows at `now`, each with its evidence (pure)."""
    found: dict[CaseKind, dict[str, Any]] = {}
    active = account.status is AccountStatus.ACTIVE
    if verdict is not None:
        days = whole_days(verdict.days_silent)
        silent = f"已连续{days}天未更新" if days is not None else "未发现任何更新"
        if active and verdict.status is VerdictStatus.VETO:
            found[CaseKind.VETO] = _verdict_evidence(verdict, silent)
        if active and (verdict.status is VerdictStatus.ZOMBIE or verdict.flag_shutdown):
            label = VERDICT_LABELS[verdict.status]
            why = verdict.flag_reason or f"{label}，{silent}"
            found[CaseKind.FLAGGED] = _verdict_evidence(verdict, why)
        if verdict.relaunched:
            found[CaseKind.RELAUNCHED] = _verdict_evidence(
                verdict, verdict.detail or "注销后仍有更新"
            )
        limit = dt.timedelta(days=config.cases.unverifiable_after_days)
        if (
            verdict.status is VerdictStatus.UNKNOWN
            and unknown_since is not None
            and now - unknown_since >= limit
        ):
            lasted = (now - unknown_since).days
            # In Chinese throughout: the spider's English detail stays in the evidence.
            why = unknown_reason(verdict.detail, verdict.last_failure, config.tz)
            found[CaseKind.UNVERIFIABLE] = _verdict_evidence(
                verdict, f"已连续{lasted}天无法核验：{why or '无法取得账号更新情况'}"
            )
    if account.filed_on is None and account.status is not AccountStatus.CLOSED:
        found[CaseKind.UNFILED] = {"summary": "账号尚未报备登记", "filed_on": None}
    if active and not (account.supervised.national and account.supervised.provincial):
        missing = "、".join(
            name
            for name, ok in (
                ("国家", account.supervised.national),
                ("省级", account.supervised.provincial),
            )
            if not ok
        )
        found[CaseKind.UNENROLLED] = {
            "summary": f"未纳入{missing}政务新媒体监管平台",
            "national": account.supervised.national,
            "provincial": account.supervised.provincial,
        }
    closure = account.closure
    if account.status is AccountStatus.CLOSING and closure and closure.approved_on:
        waited = (now.astimezone(config.tz).date() - closure.approved_on).days
        if waited > config.policy.filing_overdue_days:
            found[CaseKind.CLOSURE_OVERDUE] = {
                "summary": f"关停已批准{waited}天仍未完成注销和备案",
                "approved_on": closure.approved_on.isoformat(),
            }
    return found


@dataclass(frozen=True)
class Proof:
    """What proved a case fixed: a verdict (its time and status), or a fact of the ledger."""

    note: str
    verdict: Verdict | None = None


def proof_of_fix(kind: CaseKind, account: Account, verdict: Verdict | None) -> Proof | None:
    """Whether this check proves the problem of `kind` fixed (复核销号), and by what (pure).

    The mere absence of a problem is not proof: an unverifiable account closes no veto case."""
    status = verdict.status if verdict is not None else None
    ledger = account.status
    if kind is CaseKind.VETO:
        if ledger is not AccountStatus.ACTIVE:
            return Proof(f"账号已{'关停' if ledger is AccountStatus.CLOSED else '申请关停'}")
        if status in PASSING:
            return Proof(f"复核：{VERDICT_LABELS[status]}，已恢复更新", verdict)
    elif kind is CaseKind.FLAGGED:
        if ledger is not AccountStatus.ACTIVE:
            return Proof("已申请关停" if ledger is AccountStatus.CLOSING else "账号已关停")
        if status in PASSING and verdict is not None and not verdict.flag_shutdown:
            return Proof(f"复核：{VERDICT_LABELS[status]}，已恢复正常更新", verdict)
    elif kind is CaseKind.RELAUNCHED:
        if verdict is not None and not verdict.relaunched and status is not VerdictStatus.UNKNOWN:
            return Proof("复核：已停止更新", verdict)
    elif kind is CaseKind.UNVERIFIABLE:
        if verdict is not None and status is not VerdictStatus.UNKNOWN:
            return Proof(f"复核：已可核验（{VERDICT_LABELS[status]}）", verdict)
    elif kind is CaseKind.UNFILED:
        if account.filed_on is not None:
            return Proof(f"已报备登记（{account.filed_on.isoformat()}）")
        if ledger is AccountStatus.CLOSED:
            return Proof("账号已关停")
    elif kind is CaseKind.UNENROLLED:
        if account.supervised.national and account.supervised.provincial:
            return Proof("已纳入国家、省监管平台")
        if ledger is not AccountStatus.ACTIVE:
            return Proof("账号已关停或申请关停")
    elif kind is CaseKind.CLOSURE_OVERDUE and ledger is AccountStatus.CLOSED:
        filed = account.closure.filed_on if account.closure else None
        return Proof(f"关停已完成（备案{filed.isoformat() if filed else ''}）")
    return None


# ---------------------------------------------------------------------------------------------
# One pass


def case_id(opened: dt.date, account_id: str, kind: CaseKind, taken: set[str]) -> str:
    """`20261128-gaj-weibo-veto`; a second case of the same day gets `-2`."""
    base = f"{opened:%Y%m%d}-{account_id}-{kind.value}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def case_changes(
    config: Config,
    verdicts: Iterable[Verdict],
    cases: Sequence[Case],
    *,
    now: dt.datetime,
    unknown_since: Mapping[str, dt.datetime],
) -> CaseChanges:
    """The case events one check calls for (pure): close what is proved fixed, mark overdue what
    is past its deadline, open a case for each new problem. `unknown_since` maps an account whose
    current status is unknown to when that began."""
    tz = config.tz
    today = now.astimezone(tz).date()
    changes = CaseChanges()
    by_verdict = {v.account_id: v for v in verdicts}
    ledger: dict[str, tuple[Department, Account]] = {
        a.id: (d, a) for d, a in config.iter_accounts()
    }
    still_open: set[tuple[str, CaseKind]] = set()

    for case in cases:
        state = case.state
        if state is CaseState.CLOSED:
            continue
        found = ledger.get(case.account_id)
        proof = None
        if found is not None:
            proof = proof_of_fix(case.kind, found[1], by_verdict.get(case.account_id))
        if proof is not None:
            changes.events.append(
                CaseEvent(
                    case.id,
                    now,
                    CaseAction.CLOSED,
                    state,
                    CaseState.CLOSED,
                    SYSTEM,
                    proof.note,
                    proof.verdict.at if proof.verdict else None,
                    proof.verdict.status.value if proof.verdict else None,
                )
            )
            continue
        still_open.add((case.account_id, case.kind))
        if state is not CaseState.OVERDUE and today > case.deadline:
            note = f"已超过整改期限（{case.deadline.isoformat()}）仍未整改"
            changes.events.append(
                CaseEvent(case.id, now, CaseAction.OVERDUE, state, CaseState.OVERDUE, SYSTEM, note)
            )

    if not config.cases.enabled:
        return changes
    taken = {case.id for case in cases}
    for department, account in config.iter_accounts():
        verdict = by_verdict.get(account.id)
        found_now = problems(
            account,
            verdict,
            config=config,
            unknown_since=unknown_since.get(account.id),
            now=now,
        )
        for kind, evidence in found_now.items():
            if (account.id, kind) in still_open:
                continue
            deadline = add_working_days(today, getattr(config.cases.deadlines, kind.value))
            new_id = case_id(today, account.id, kind, taken)
            taken.add(new_id)
            opened = CaseEvent(
                new_id,
                now,
                CaseAction.OPENED,
                None,
                CaseState.OPEN,
                SYSTEM,
                evidence["summary"],
                verdict.at if verdict is not None and "verdict_at" in evidence else None,
                verdict.status.value if verdict is not None and "verdict_at" in evidence else None,
            )
            changes.opened.append(
                Case(
                    id=new_id,
                    kind=kind,
                    account_id=account.id,
                    department_id=department.id,
                    owner=account.owner.model_dump(exclude_none=True),
                    opened_at=now,
                    deadline=deadline.day,
                    deadline_exact=deadline.exact,
                    evidence=evidence,
                    events=(opened,),
                )
            )
    return changes


# ---------------------------------------------------------------------------------------------
# Candidates found by discovery (排查): a case until registered or dismissed


def candidate_account_id(candidate_id: int) -> str:
    """A candidate's case stands on no ledger account: it is keyed by the candidate."""
    return f"candidate-{candidate_id}"


def candidate_owner(config: Config, candidate: Any) -> tuple[str, dict[str, Any]]:
    """(department id, owner) of a candidate's case (pure).

    The department is the one the rules know: the closed account a relaunch matches, else the
    department whose name was the keyword that found it or appears in its name or verified
    entity (the longest such name). Its contact owns the case. Unmatched, the case belongs to
    the jurisdiction (department id = `jurisdiction`) and its supervisors (notify.supervisors)."""
    ledger = {a.id: (d, a) for d, a in config.iter_accounts()}
    if candidate.account_id in ledger:
        department, account = ledger[candidate.account_id]
        return department.id, account.owner.model_dump(exclude_none=True)
    evidence = candidate.evidence or {}
    texts = [str(candidate.name), str(evidence.get("entity") or "")]
    keyword = str(evidence.get("keyword") or "")
    matched = [
        d for d in config.departments if d.name == keyword or any(d.name in t for t in texts)
    ]
    if matched:
        department = max(matched, key=lambda d: len(d.name))
        if department.contact is not None:
            return department.id, department.contact.model_dump(exclude_none=True)
    else:
        department = None
    people = config.notify.supervisors
    owner: dict[str, Any] = {"name": "、".join(p.name for p in people) or config.jurisdiction}
    if len(people) == 1:
        owner = people[0].model_dump(exclude_none=True)
    return (department.id if department else config.jurisdiction), owner


def candidate_case_changes(
    config: Config, candidates: Iterable[Any], cases: Sequence[Case], *, now: dt.datetime
) -> CaseChanges:
    """The cases discovery calls for (pure): one `unregistered` case per candidate in state
    `new` that has none open; an open one closes itself (复核销号) once its candidate is
    registered (`register --from-candidate`) or dismissed (`discover dismiss`), the event naming
    that change (state, who, when, why). Overdue is the check's pass (`case_changes`)."""
    changes = CaseChanges()
    today = now.astimezone(config.tz).date()
    by_account = {candidate_account_id(c.id): c for c in candidates}
    open_for: set[str] = set()
    for case in cases:
        if case.kind is not CaseKind.UNREGISTERED or case.state is CaseState.CLOSED:
            continue
        candidate = by_account.get(case.account_id)
        if candidate is None or candidate.state is CandidateState.NEW:
            open_for.add(case.account_id)
            continue
        label = "已登记入台账" if candidate.state is CandidateState.REGISTERED else "已排除"
        local = candidate.state_at.astimezone(config.tz)
        note = f"复核：线索{candidate.id}{label}（{local:%Y-%m-%d %H:%M}"
        note += f"，{candidate.state_by}" if candidate.state_by else ""
        note += f"：{candidate.state_reason}）" if candidate.state_reason else "）"
        changes.events.append(
            CaseEvent(
                case.id,
                now,
                CaseAction.CLOSED,
                case.state,
                CaseState.CLOSED,
                SYSTEM,
                note,
                None,
                f"candidate:{candidate.state.value}",
            )
        )
    if not config.cases.enabled:
        return changes
    taken = {case.id for case in cases}
    for candidate in candidates:
        account_id = candidate_account_id(candidate.id)
        if candidate.state is not CandidateState.NEW or account_id in open_for:
            continue
        department_id, owner = candidate_owner(config, candidate)
        platform = PLATFORM_LABELS.get(candidate.source, candidate.source)
        summary = (
            f"{CANDIDATE_KIND_LABELS[candidate.kind]}：{platform}「{candidate.name}」"
            f"（{candidate.reason}）"
        )
        deadline = add_working_days(today, config.cases.deadlines.unregistered)
        new_id = case_id(today, account_id, CaseKind.UNREGISTERED, taken)
        taken.add(new_id)
        opened = CaseEvent(new_id, now, CaseAction.OPENED, None, CaseState.OPEN, SYSTEM, summary)
        changes.opened.append(
            Case(
                id=new_id,
                kind=CaseKind.UNREGISTERED,
                account_id=account_id,
                department_id=department_id,
                owner=owner,
                opened_at=now,
                deadline=deadline.day,
                deadline_exact=deadline.exact,
                evidence={
                    "summary": summary,
                    "candidate": candidate.id,
                    "source": candidate.source,
                    "identifier": candidate.identifier,
                    "name": candidate.name,
                    "candidate_kind": candidate.kind.value,
                },
                events=(opened,),
            )
        )
    return changes


def respond(case: Case, *, note: str, by: str, now: dt.datetime) -> CaseEvent:
    """The owner's answer. A closed case takes none (ValueError); an overdue one stays overdue
    until the fix is proved, the answer recorded beside it."""
    state = case.state
    if state is CaseState.CLOSED:
        raise ValueError(_("case {case} is closed; nothing to respond to").format(case=case.id))
    to = CaseState.OVERDUE if state is CaseState.OVERDUE else CaseState.RESPONDED
    return CaseEvent(case.id, now, CaseAction.RESPONDED, state, to, by, note)


def close(case: Case, *, reason: str, by: str, now: dt.datetime) -> CaseEvent:
    """Close a case by hand, with the reason (e.g. the problem was a misreading)."""
    if case.state is CaseState.CLOSED:
        raise ValueError(_("case {case} is already closed").format(case=case.id))
    return CaseEvent(case.id, now, CaseAction.CLOSED, case.state, CaseState.CLOSED, by, reason)


# ---------------------------------------------------------------------------------------------
# Figures for the reports


@dataclass(frozen=True)
class Rectification:
    """整改率 over a period: cases whose deadline fell in it, and how many of them are closed."""

    due: int
    fixed: int

    @property
    def rate(self) -> float | None:
        return self.fixed / self.due if self.due else None


def rectification(
    cases: Iterable[Case], first: dt.date, last: dt.date, *, as_of: dt.datetime
) -> Rectification:
    """整改率 = cases closed by `as_of` ÷ cases whose deadline falls in [first, last]."""
    due = [c for c in cases if first <= c.deadline <= last and c.opened_at <= as_of]
    fixed = [c for c in due if c.state_at(as_of) is CaseState.CLOSED]
    return Rectification(len(due), len(fixed))


def silent_departments(
    cases: Iterable[Case], first: dt.date, last: dt.date, *, as_of: dt.datetime
) -> dict[str, list[Case]]:
    """Units that did not respond: a case of theirs came due in the period, was not closed by
    its deadline, and no response was recorded by `as_of`."""
    out: dict[str, list[Case]] = {}
    for case in cases:
        if not first <= case.deadline <= last or case.opened_at > as_of:
            continue
        closed = case.closed_event
        if closed is not None and closed.at.date() <= case.deadline:
            continue
        if any(e.at <= as_of for e in case.responses):
            continue
        if closed is not None and closed.at <= as_of and closed.by == SYSTEM:
            continue  # fixed late but proved fixed: not silent
        out.setdefault(case.department_id, []).append(case)
    return out


def late_twice(
    cases: Iterable[Case], start: dt.datetime, end: dt.datetime, *, times: int = 2
) -> dict[str, int]:
    """Accounts whose cases went overdue at least `times` times in [start, end)."""
    counts: dict[str, int] = {}
    for case in cases:
        event = case.overdue_event
        if event is not None and start <= event.at < end:
            counts[case.account_id] = counts.get(case.account_id, 0) + 1
    return {k: n for k, n in counts.items() if n >= times}
