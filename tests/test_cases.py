"""Cases (整改跟踪): the pure rules — deadlines in working days, each kind opening, each
transition (self-close with its proof, overdue once, answer, close by hand), and the figures the
reports take from the records. Time is an input: CURRENT_TIME, the clock travelled by hand."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from typing import Any

import pytest

from registry.cases import (
    SYSTEM,
    Case,
    add_working_days,
    case_changes,
    close,
    late_twice,
    rectification,
    respond,
    silent_departments,
)
from registry.compliance import Verdict
from registry.constants import LOCAL_TZ, CaseAction, CaseKind, CaseState, VerdictStatus
from registry.models import Config
from tests.fixtures.cycle import ledger_data

TZ = LOCAL_TZ
CURRENT_TIME = dt.datetime(2026, 11, 28, 9, 0, tzinfo=TZ)  # a Saturday
DAY = dt.timedelta(days=1)


def config(**account_changes: Any) -> Config:
    """The two-account ledger; `gaj_weibo={...}` changes that account's fields."""
    data = copy.deepcopy(ledger_data())
    for account in data["departments"][0]["accounts"]:
        account["supervised"] = {"national": True, "provincial": True}
        account.update(account_changes.get(account["id"].replace("-", "_"), {}))
    return Config.model_validate(data)


def verdict(
    account_id: str = "gaj-weibo",
    status: VerdictStatus = VerdictStatus.OK,
    *,
    at: dt.datetime = CURRENT_TIME,
    flag: bool = False,
    relaunched: bool = False,
    days_silent: float | None = 2.0,
) -> Verdict:
    return Verdict(
        account_id=account_id,
        at=at,
        status=status,
        last_post_at=None if days_silent is None else at - dt.timedelta(days=days_silent),
        days_silent=days_silent,
        posts_7d=0,
        posts_this_week=0,
        flag_shutdown=flag,
        relaunched=relaunched,
        missed_weeks=0,
        rule="测试规则",
        basis="测试依据",
    )


def ok_both(at: dt.datetime = CURRENT_TIME) -> list[Verdict]:
    return [verdict("gaj-weibo", at=at), verdict("gaj-wechat", at=at)]


def run(cfg: Config, verdicts: list[Verdict], cases: list[Case], now: dt.datetime, **kw: Any):
    changes = case_changes(cfg, verdicts, cases, now=now, unknown_since=kw.get("unknown", {}))
    return changes


def apply(cases: list[Case], changes: Any) -> list[Case]:
    """What the store would hold after recording `changes` (events appended, never edited)."""
    by_case: dict[str, list] = {}
    for event in changes.events:
        by_case.setdefault(event.case_id, []).append(event)
    out = [Case(**{**c.__dict__, "events": c.events + tuple(by_case.get(c.id, ()))}) for c in cases]
    return out + list(changes.opened)


# ---------------------------------------------------------------------------------------------
# Working days


def test_a_deadline_skips_the_national_day_holiday_and_counts_the_adjusted_saturday():
    # 2026: 10月1日–7日 holiday, Saturday 10月10日 a 调休 working day.
    deadline = add_working_days(dt.date(2026, 9, 29), 5)
    assert deadline.day == dt.date(2026, 10, 12)  # 9/30, 10/8, 10/9, 10/10 (Sat), 10/12
    assert deadline.exact


def test_a_deadline_skips_a_weekday_holiday():
    # 中秋节 2026-09-25 is a Friday.
    assert add_working_days(dt.date(2026, 9, 24), 1).day == dt.date(2026, 9, 28)


def test_past_the_calendars_years_monday_to_friday_stand_in_and_say_so():
    deadline = add_working_days(dt.date(2026, 12, 30), 3)
    assert deadline.day == dt.date(2027, 1, 4)  # 12/31, then 1/1 (Fri) and 1/4 estimated
    assert not deadline.exact
    assert add_working_days(dt.date(2026, 12, 21), 3).exact


# ---------------------------------------------------------------------------------------------
# Opening


@pytest.mark.parametrize(
    ("verdicts", "changes", "unknown", "kind"),
    [
        ([verdict(status=VerdictStatus.VETO, days_silent=21)], {}, {}, CaseKind.VETO),
        ([verdict(status=VerdictStatus.ZOMBIE, days_silent=120, flag=True)], {}, {}, "flagged"),
        ([verdict(status=VerdictStatus.WARNING, days_silent=10, flag=True)], {}, {}, "flagged"),
        (
            [verdict(status=VerdictStatus.EXEMPT, relaunched=True)],
            {
                "status": "closed",
                "closure": {
                    "reason": "合并",
                    "approved_on": "2026-06-01",
                    "deregistered_on": "2026-07-01",
                    "filed_on": "2026-07-03",
                },
            },
            {},
            CaseKind.RELAUNCHED,
        ),
        (
            [verdict(status=VerdictStatus.UNKNOWN, days_silent=None)],
            {},
            {"gaj-weibo": CURRENT_TIME - 7 * DAY},
            CaseKind.UNVERIFIABLE,
        ),
        ([verdict()], {"filed_on": None}, {}, CaseKind.UNFILED),
        ([verdict()], {"supervised": {"national": True}}, {}, CaseKind.UNENROLLED),
        (
            [verdict(status=VerdictStatus.EXEMPT)],
            {"status": "closing", "closure": {"reason": "合并", "approved_on": "2026-10-01"}},
            {},
            CaseKind.CLOSURE_OVERDUE,
        ),
    ],
    ids=[
        "veto",
        "zombie",
        "flagged",
        "relaunched",
        "unverifiable",
        "unfiled",
        "unenrolled",
        "late",
    ],
)
def test_each_problem_opens_one_case_for_its_owner(verdicts, changes, unknown, kind):
    cfg = config(gaj_weibo=changes)
    result = run(cfg, [*verdicts, verdict("gaj-wechat")], [], CURRENT_TIME, unknown=unknown)
    [case] = result.opened
    assert case.kind == CaseKind(kind)
    assert (case.account_id, case.department_id) == ("gaj-weibo", "gaj")
    assert case.owner["name"] == "李明"
    assert case.state is CaseState.OPEN
    assert case.id == f"20261128-gaj-weibo-{CaseKind(kind).value}"
    assert case.opened_at == CURRENT_TIME
    # Opened on Saturday 11-28: the working days start on Monday 11-30.
    days = getattr(cfg.cases.deadlines, CaseKind(kind).value)
    assert case.deadline == add_working_days(dt.date(2026, 11, 28), days).day
    assert case.evidence["summary"]
    [event] = case.events
    assert (event.action, event.from_state, event.to_state, event.by) == (
        CaseAction.OPENED,
        None,
        CaseState.OPEN,
        SYSTEM,
    )


def test_unknown_for_a_short_while_opens_nothing():
    cfg = config()
    short = {"gaj-weibo": CURRENT_TIME - 6 * DAY}  # cases.unverifiable_after_days is 7
    unknown = [verdict(status=VerdictStatus.UNKNOWN, days_silent=None), verdict("gaj-wechat")]
    assert run(cfg, unknown, [], CURRENT_TIME, unknown=short).opened == []


def test_a_problem_with_an_open_case_opens_no_second_one_and_a_passing_account_none():
    cfg = config()
    veto = [verdict(status=VerdictStatus.VETO, days_silent=21), verdict("gaj-wechat")]
    cases = apply([], run(cfg, veto, [], CURRENT_TIME))
    assert len(cases) == 1
    again = run(cfg, veto, cases, CURRENT_TIME + DAY)
    assert again.opened == [] and again.events == []
    assert run(cfg, ok_both(), [], CURRENT_TIME).opened == []


def test_cases_are_off_when_disabled_but_open_ones_still_close():
    cfg = config()
    veto = [verdict(status=VerdictStatus.VETO, days_silent=21), verdict("gaj-wechat")]
    cases = apply([], run(cfg, veto, [], CURRENT_TIME))
    off = cfg.model_copy(update={"cases": cfg.cases.model_copy(update={"enabled": False})})
    assert run(off, veto, [], CURRENT_TIME).opened == []
    assert len(run(off, ok_both(CURRENT_TIME + DAY), cases, CURRENT_TIME + DAY).closed) == 1


# ---------------------------------------------------------------------------------------------
# Transitions


def test_a_case_closes_itself_when_a_passing_verdict_proves_the_fix_naming_that_verdict():
    cfg = config()
    veto = [verdict(status=VerdictStatus.VETO, days_silent=21), verdict("gaj-wechat")]
    cases = apply([], run(cfg, veto, [], CURRENT_TIME))
    later = CURRENT_TIME + 2 * DAY
    # Unverifiable is not proof: the case stays open.
    unknown = [verdict(status=VerdictStatus.UNKNOWN, at=later), verdict("gaj-wechat", at=later)]
    assert run(cfg, unknown, cases, later).events == []
    result = run(cfg, ok_both(later), cases, later)
    [event] = result.events
    assert (event.action, event.from_state, event.to_state, event.by) == (
        CaseAction.CLOSED,
        CaseState.OPEN,
        CaseState.CLOSED,
        SYSTEM,
    )
    assert (event.verdict_at, event.verdict_status) == (later, "ok")
    assert "复核" in (event.note or "")
    closed = apply(cases, result)
    assert closed[0].state is CaseState.CLOSED
    # The problem coming back later is a new case, not the old one reopened.
    back = later + 3 * DAY
    veto_back = [verdict(status=VerdictStatus.VETO, at=back), verdict("gaj-wechat", at=back)]
    [new] = run(cfg, veto_back, closed, back).opened
    assert new.id == "20261203-gaj-weibo-veto"


@pytest.mark.parametrize(
    ("kind_fields", "fixed_fields", "note"),
    [
        ({"filed_on": None}, {"filed_on": "2026-11-30"}, "已报备登记（2026-11-30）"),
        ({"supervised": {"national": True}}, {}, "已纳入国家、省监管平台"),
        (
            {"status": "closing", "closure": {"reason": "合并", "approved_on": "2026-10-01"}},
            {
                "status": "closed",
                "closure": {
                    "reason": "合并",
                    "approved_on": "2026-10-01",
                    "deregistered_on": "2026-11-20",
                    "filed_on": "2026-11-29",
                },
            },
            "关停已完成（备案2026-11-29）",
        ),
    ],
    ids=["filing recorded", "enrolled", "closure completed"],
)
def test_a_ledger_case_closes_when_the_ledger_records_the_fix(kind_fields, fixed_fields, note):
    before = config(gaj_weibo=kind_fields)
    cases = apply([], run(before, ok_both(), [], CURRENT_TIME))
    assert len(cases) == 1
    after = config(gaj_weibo=fixed_fields)
    [event] = run(after, ok_both(), cases, CURRENT_TIME + DAY).events
    assert (event.action, event.note, event.verdict_at) == (CaseAction.CLOSED, note, None)


def test_a_flagged_case_closes_when_the_closure_is_applied_for():
    cfg = config()
    zombie = [verdict(status=VerdictStatus.ZOMBIE, flag=True, days_silent=120)]
    cases = apply([], run(cfg, [*zombie, verdict("gaj-wechat")], [], CURRENT_TIME))
    closing = config(
        gaj_weibo={
            "status": "closing",
            "closure": {"reason": "无力维护", "approved_on": "2026-11-29"},
        }
    )
    [event] = run(closing, [verdict(status=VerdictStatus.EXEMPT)], cases, CURRENT_TIME + DAY).closed
    assert event.note == "已申请关停"


def test_a_case_past_its_deadline_turns_overdue_once():
    cfg = config()
    veto = [verdict(status=VerdictStatus.VETO, days_silent=21), verdict("gaj-wechat")]
    cases = apply([], run(cfg, veto, [], CURRENT_TIME))
    deadline = cases[0].deadline  # Friday 12-04 (5 working days from Monday)
    assert deadline == dt.date(2026, 12, 4)
    on_the_day = dt.datetime.combine(deadline, dt.time(23, 59), tzinfo=TZ)
    assert run(cfg, veto, cases, on_the_day).events == []
    after = dt.datetime.combine(deadline + DAY, dt.time(0, 1), tzinfo=TZ)
    result = run(cfg, veto, cases, after)
    [event] = result.overdue
    assert (event.from_state, event.to_state) == (CaseState.OPEN, CaseState.OVERDUE)
    cases = apply(cases, result)
    assert run(cfg, veto, cases, after + 3 * DAY).events == []  # escalated once only
    # Fixed late: it still closes itself.
    [closed] = run(cfg, ok_both(after + 4 * DAY), cases, after + 4 * DAY).events
    assert (closed.from_state, closed.to_state) == (CaseState.OVERDUE, CaseState.CLOSED)


def test_answering_and_closing_by_hand():
    cfg = config()
    veto = [verdict(status=VerdictStatus.VETO, days_silent=21), verdict("gaj-wechat")]
    [case] = apply([], run(cfg, veto, [], CURRENT_TIME))
    answer = respond(case, note="已安排专人更新", by="李明", now=CURRENT_TIME + DAY)
    assert (answer.action, answer.from_state, answer.to_state, answer.by, answer.note) == (
        CaseAction.RESPONDED,
        CaseState.OPEN,
        CaseState.RESPONDED,
        "李明",
        "已安排专人更新",
    )
    answered = Case(**{**case.__dict__, "events": (*case.events, answer)})
    assert answered.state is CaseState.RESPONDED
    # An answer does not stop the deadline.
    late = dt.datetime(2026, 12, 5, 9, 0, tzinfo=TZ)
    [overdue] = run(cfg, veto, [answered], late).overdue
    assert overdue.from_state is CaseState.RESPONDED
    stays = Case(**{**answered.__dict__, "events": (*answered.events, overdue)})
    assert respond(stays, note="再次说明", by="李明", now=late).to_state is CaseState.OVERDUE
    done = close(stays, reason="误报", by="张伟", now=late)
    assert (done.to_state, done.note, done.by) == (CaseState.CLOSED, "误报", "张伟")
    shut = Case(**{**stays.__dict__, "events": (*stays.events, done)})
    with pytest.raises(ValueError, match="closed"):
        respond(shut, note="x", by="y", now=late)
    with pytest.raises(ValueError, match="already closed"):
        close(shut, reason="x", by="y", now=late)


# ---------------------------------------------------------------------------------------------
# Figures


def _history() -> list[Case]:
    """Three cases due in December: one fixed, one answered and overdue, one silent, overdue."""
    cfg = config(gaj_wechat={"filed_on": None})
    veto = [verdict(status=VerdictStatus.VETO, days_silent=21), verdict("gaj-wechat")]
    cases = apply([], run(cfg, veto, [], CURRENT_TIME))
    weibo_veto, wechat_unfiled = sorted(cases, key=lambda c: c.account_id)[::-1]
    answer = respond(wechat_unfiled, note="正在补报", by="王芳", now=CURRENT_TIME + DAY)
    cases = apply(cases, type("C", (), {"events": [answer], "opened": []})())
    fixed_at = CURRENT_TIME + 3 * DAY
    cases = apply(cases, run(cfg, ok_both(fixed_at), cases, fixed_at))  # the veto is fixed
    late = dt.datetime(2026, 12, 20, 9, 0, tzinfo=TZ)
    return apply(cases, run(cfg, ok_both(late), cases, late))


def test_rectification_rate_counts_the_cases_due_in_the_period():
    cases = _history()
    end = dt.datetime(2027, 1, 1, tzinfo=TZ)
    rate = rectification(cases, dt.date(2026, 12, 1), dt.date(2026, 12, 31), as_of=end)
    assert (rate.due, rate.fixed, rate.rate) == (2, 1, 0.5)
    november = rectification(cases, dt.date(2026, 11, 1), dt.date(2026, 11, 30), as_of=end)
    assert (november.due, november.rate) == (0, None)


def test_units_that_did_not_respond_and_accounts_late_twice():
    cases = _history()
    end = dt.datetime(2027, 1, 1, tzinfo=TZ)
    assert silent_departments(cases, dt.date(2026, 12, 1), dt.date(2026, 12, 31), as_of=end) == {}
    # Without the answer, the unit is silent.
    unanswered = [
        Case(**{**c.__dict__, "events": tuple(e for e in c.events if e.by != "王芳")})
        for c in cases
    ]
    silent = silent_departments(unanswered, dt.date(2026, 12, 1), dt.date(2026, 12, 31), as_of=end)
    assert [c.account_id for c in silent["gaj"]] == ["gaj-wechat"]
    start = dt.datetime(2026, 12, 1, tzinfo=TZ)
    assert late_twice(cases, start, end) == {}
    assert late_twice([*cases, *_renamed(cases, "-2")], start, end) == {"gaj-wechat": 2}


def _renamed(cases: list[Case], suffix: str) -> list[Case]:
    return [Case(**{**c.__dict__, "id": c.id + suffix}) for c in cases if c.overdue_event]


def test_an_unverifiable_case_says_why_in_chinese_never_the_spiders_english():
    from registry.compliance import ObservationFacts
    from registry.constants import Outcome

    failure = ObservationFacts(
        at=CURRENT_TIME - DAY,
        outcome=Outcome.BLOCKED,
        latest_post_at=None,
        detail="HTTP 418 from m.weibo.cn",
    )
    unknown = dataclasses.replace(
        verdict(status=VerdictStatus.UNKNOWN, days_silent=None),
        detail="last failure: blocked (HTTP 418 from m.weibo.cn)",
        last_failure=failure,
    )
    since = {"gaj-weibo": CURRENT_TIME - 8 * DAY}
    [case] = run(config(), [unknown, verdict("gaj-wechat")], [], CURRENT_TIME, unknown=since).opened
    assert case.summary.startswith("已连续8天无法核验：")
    assert "被平台拦截" in case.summary
    assert "HTTP" not in case.summary and "blocked" not in case.summary
