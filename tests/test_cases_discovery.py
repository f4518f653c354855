"""Cases from discovery (排查): the pure rule. A candidate in state `new` opens an `unregistered`
case, owned by the department the rules know (a relaunch's closed account, a department's name
in the keyword or the found name) or else by the jurisdiction's supervisors; the case closes
itself (复核销号) once the candidate is registered or dismissed, naming that change. And when
the cycle sweeps (`discover.every_days`), decided from the last stored sweep."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from typing import Any

import pytest

from registry.candidates import Candidate
from registry.cases import (
    SYSTEM,
    candidate_account_id,
    candidate_case_changes,
    case_changes,
)
from registry.constants import (
    LOCAL_TZ,
    CandidateKind,
    CandidateState,
    CaseAction,
    CaseKind,
    CaseState,
    Source,
)
from registry.discovery import sweep_due
from registry.models import Config
from tests.fixtures.cycle import ledger_data

CURRENT_TIME = dt.datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)


def config(**changes: Any) -> Config:
    data = copy.deepcopy(ledger_data())
    data.setdefault("notify", {})["supervisors"] = [
        {"name": "县政府办电子政务科", "email": "zwgk@boai.gov.cn"}
    ]
    data["departments"][0]["contact"] = {"name": "张伟", "email": "zhangwei@boai.gov.cn"}
    data.update(changes)
    return Config.model_validate(data)


def candidate(
    candidate_id: int = 1,
    name: str = "博爱县退役军人事务局",
    *,
    keyword: str = "博爱县",
    kind: CandidateKind = CandidateKind.UNREGISTERED,
    account_id: str | None = None,
    state: CandidateState = CandidateState.NEW,
    by: str | None = None,
    reason: str | None = None,
) -> Candidate:
    return Candidate(
        id=candidate_id,
        source="weibo",
        identifier=f"71000000{candidate_id:02d}",
        name=name,
        kind=kind,
        account_id=account_id,
        reason="微博认证政府机构，名称含博爱县",
        evidence={"keyword": keyword, "name": name},
        first_seen_at=CURRENT_TIME,
        last_seen_at=CURRENT_TIME,
        state=state,
        state_at=CURRENT_TIME + dt.timedelta(hours=2),
        state_by=by,
        state_reason=reason,
    )


def test_a_new_candidate_opens_one_case_with_the_supervisors_when_no_department_matches():
    cfg = config()
    changes = candidate_case_changes(cfg, [candidate()], [], now=CURRENT_TIME)
    [case] = changes.opened
    assert case.kind is CaseKind.UNREGISTERED
    assert case.account_id == candidate_account_id(1)
    assert case.department_id == cfg.jurisdiction
    assert case.owner == {"name": "县政府办电子政务科", "email": "zwgk@boai.gov.cn"}
    assert case.evidence["candidate"] == 1
    assert "疑似未报备" in case.summary and "博爱县退役军人事务局" in case.summary
    # Ten working days from Saturday 2026-11-28: 12-11.
    assert case.deadline == dt.date(2026, 12, 11)
    # A second pass finds it open: nothing new.
    again = candidate_case_changes(cfg, [candidate()], changes.opened, now=CURRENT_TIME)
    assert again.opened == [] and again.events == []


def test_the_department_named_by_the_keyword_or_the_name_owns_the_case():
    cfg = config()
    department = cfg.departments[0]
    by_keyword = candidate(1, "平安博爱", keyword=department.name)
    by_name = candidate(2, f"{department.name}交警大队")
    changes = candidate_case_changes(cfg, [by_keyword, by_name], [], now=CURRENT_TIME)
    assert [c.department_id for c in changes.opened] == [department.id, department.id]
    assert all(c.owner["name"] == "张伟" for c in changes.opened)


def test_a_relaunch_candidate_belongs_to_the_closed_accounts_department():
    cfg = config()
    department, account = next(iter(cfg.iter_accounts()))
    found = candidate(kind=CandidateKind.RELAUNCH, account_id=account.id, keyword="x")
    [case] = candidate_case_changes(cfg, [found], [], now=CURRENT_TIME).opened
    assert case.department_id == department.id
    assert case.owner["name"] == account.owner.name


@pytest.mark.parametrize(
    ("state", "label"),
    [(CandidateState.REGISTERED, "已登记入台账"), (CandidateState.DISMISSED, "已排除")],
)
def test_registering_or_dismissing_the_candidate_closes_its_case(state, label):
    cfg = config()
    [case] = candidate_case_changes(cfg, [candidate()], [], now=CURRENT_TIME).opened
    later = CURRENT_TIME + dt.timedelta(days=1)
    decided = candidate(state=state, by="李娜", reason="温县账号，非本县")
    changes = candidate_case_changes(cfg, [decided], [case], now=later)
    assert changes.opened == []
    [event] = changes.events
    assert event.action is CaseAction.CLOSED and event.to_state is CaseState.CLOSED
    assert event.by == SYSTEM and event.at == later
    assert event.verdict_status == f"candidate:{state.value}"
    assert label in event.note and "李娜" in event.note and "温县账号，非本县" in event.note
    assert "2026-11-28 11:00" in event.note  # when the candidate changed, local time


def test_the_checks_pass_leaves_a_candidates_case_open_and_marks_it_overdue():
    cfg = config()
    [case] = candidate_case_changes(cfg, [candidate()], [], now=CURRENT_TIME).opened
    late = dt.datetime(2026, 12, 14, 9, 0, tzinfo=LOCAL_TZ)
    changes = case_changes(cfg, [], [case], now=late, unknown_since={})
    assert [e.action for e in changes.events if e.case_id == case.id] == [CaseAction.OVERDUE]


def test_cases_off_opens_none_but_still_closes():
    cfg = config()
    [case] = candidate_case_changes(cfg, [candidate()], [], now=CURRENT_TIME).opened
    off = cfg.model_copy(update={"cases": cfg.cases.model_copy(update={"enabled": False})})
    assert candidate_case_changes(off, [candidate(2)], [], now=CURRENT_TIME).opened == []
    dismissed = dataclasses.replace(candidate(), state=CandidateState.DISMISSED)
    assert len(candidate_case_changes(off, [dismissed], [case], now=CURRENT_TIME).closed) == 1


def test_a_sweep_is_due_when_the_last_answered_one_is_every_days_old():
    week = dt.timedelta(days=7)
    assert not sweep_due(None, every_days=0, now=CURRENT_TIME)  # 0: only by hand
    assert sweep_due(None, every_days=7, now=CURRENT_TIME)
    assert not sweep_due(CURRENT_TIME - week / 2, every_days=7, now=CURRENT_TIME)
    assert sweep_due(CURRENT_TIME - week, every_days=7, now=CURRENT_TIME)


# ---------------------------------------------------------------------------------------------
# The cycle's glue (govmedia/casework.py) on a real SQLite store


def test_the_case_step_opens_a_candidates_case_tells_its_owner_and_closes_it(tmp_path):
    from sqlalchemy import select

    from govmedia.casework import update_cases
    from registry.candidates import change_state, list_candidates, record_sweep
    from registry.discovery import Finding, SearchHit
    from registry.store import load_cases, notifications, open_store, sync_ledger

    mail = {"id": "mail", "kind": "email", "host": "127.0.0.1", "port": 25, "security": "none"}
    cfg = config()
    data = cfg.model_dump(mode="json", exclude_none=True)
    data["notify"]["channels"] = [{**mail, "sender": "govmedia@boai.gov.cn"}]
    cfg = Config.model_validate(data)
    engine = open_store(f"sqlite:///{tmp_path / 'govmedia.sqlite3'}")
    sync_ledger(engine, cfg, now=CURRENT_TIME)
    hit = SearchHit(Source.WEIBO, "7100000001", "博爱县退役军人事务局")
    found = Finding(hit, CandidateKind.UNREGISTERED, "微博认证政府机构，名称含博爱县")
    record_sweep(engine, sweep_id="s1", rows=[], found=[(found, "博爱县")], now=CURRENT_TIME)

    update_cases(engine, cfg, [], now=CURRENT_TIME)
    with engine.connect() as conn:
        (case,) = [c for c in load_cases(conn) if c.kind is CaseKind.UNREGISTERED]
        rows = conn.execute(select(notifications)).all()
        (candidate,) = list_candidates(conn)
    assert case.account_id == candidate_account_id(candidate.id)
    (row,) = [r for r in rows if case.id in r.body]
    assert row.kind == "case_opened" and row.account_id is None
    assert row.recipient == "zwgk@boai.gov.cn"  # no department matched: the supervisors
    assert "博爱县退役军人事务局" in row.body and "未登记账号" in row.body
    update_cases(engine, cfg, [], now=CURRENT_TIME + dt.timedelta(hours=1))  # queued once
    with engine.connect() as conn:
        assert len(conn.execute(select(notifications)).all()) == len(rows)

    later = CURRENT_TIME + dt.timedelta(days=1)
    change_state(engine, candidate.id, CandidateState.REGISTERED, by="孙磊", reason=None, now=later)
    update_cases(engine, cfg, [], now=later + dt.timedelta(hours=1))
    with engine.connect() as conn:
        (case,) = [c for c in load_cases(conn) if c.kind is CaseKind.UNREGISTERED]
    assert case.state is CaseState.CLOSED
    assert case.closed_event is not None and "已登记入台账" in case.closed_event.note
