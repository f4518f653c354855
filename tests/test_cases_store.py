"""Cases in the store (SQLite and PostgreSQL): every change of state is its own row, nothing is
edited in place, and an older store is upgraded by a versioned step that keeps its data."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, inspect, select

import registry.store as store_module
from registry.cases import case_changes, close, respond
from registry.constants import LOCAL_TZ, CaseState, VerdictStatus
from registry.store import (
    append_case_event,
    case_events,
    cases,
    load_cases,
    make_engine,
    migrate,
    open_store,
    record_cases,
    schema_version,
)
from tests.test_cases import CURRENT_TIME, config, ok_both, verdict

LATER = CURRENT_TIME + dt.timedelta(days=2)


def _snapshot(engine) -> tuple[list, list]:
    with engine.connect() as conn:
        return (
            [tuple(r) for r in conn.execute(select(cases).order_by(cases.c.id))],
            [tuple(r) for r in conn.execute(select(case_events).order_by(case_events.c.id))],
        )


def test_cases_and_their_events_are_appended_never_edited(store_url: str):
    engine = open_store(store_url)
    cfg = config(gaj_wechat={"filed_on": None})
    veto = [verdict(status=VerdictStatus.VETO, days_silent=21), verdict("gaj-wechat")]
    opened = case_changes(cfg, veto, [], now=CURRENT_TIME, unknown_since={})
    record_cases(engine, opened.opened, opened.events)
    with engine.connect() as conn:
        stored = {c.account_id: c for c in load_cases(conn)}
    assert {a: (c.kind.value, c.state) for a, c in stored.items()} == {
        "gaj-weibo": ("veto", CaseState.OPEN),
        "gaj-wechat": ("unfiled", CaseState.OPEN),
    }
    weibo = stored["gaj-weibo"]
    assert weibo.opened_at == CURRENT_TIME  # an aware instant, back as it went in
    assert weibo.deadline == dt.date(2026, 12, 4) and weibo.deadline_exact
    assert weibo.owner["email"] == "liming@boai.gov.cn"
    assert weibo.evidence["status"] == "veto" and weibo.evidence["days_silent"] == 21

    before_rows, before_events = _snapshot(engine)
    answer = append_case_event(
        engine,
        stored["gaj-wechat"].id,
        lambda case: respond(case, note="正在补报", by="王芳", now=CURRENT_TIME),
    )
    assert answer.to_state is CaseState.RESPONDED
    with engine.connect() as conn:
        current = load_cases(conn)
    fixed = case_changes(cfg, ok_both(LATER), current, now=LATER, unknown_since={})
    record_cases(engine, fixed.opened, fixed.events)

    after_rows, after_events = _snapshot(engine)
    assert after_rows == before_rows  # the cases themselves never change
    assert after_events[: len(before_events)] == before_events  # earlier events untouched
    added = after_events[len(before_events) :]
    columns = [c.name for c in case_events.columns]
    added = [dict(zip(columns, row, strict=True)) for row in added]
    assert [(e["action"], e["from_state"], e["to_state"], e["by"]) for e in added] == [
        ("responded", "open", "responded", "王芳"),
        ("closed", "open", "closed", "govmedia"),
    ]
    assert added[1]["verdict_status"] == "ok"
    assert added[1]["verdict_at"].replace(tzinfo=dt.UTC) == LATER.astimezone(dt.UTC)
    with engine.connect() as conn:
        states = {c.account_id: c.state for c in load_cases(conn)}
    assert states == {"gaj-weibo": CaseState.CLOSED, "gaj-wechat": CaseState.RESPONDED}
    engine.dispose()


def test_an_event_refused_by_the_rules_or_for_no_case_records_nothing(store_url: str):
    engine = open_store(store_url)
    cfg = config()
    veto = [verdict(status=VerdictStatus.VETO, days_silent=21), verdict("gaj-wechat")]
    opened = case_changes(cfg, veto, [], now=CURRENT_TIME, unknown_since={})
    record_cases(engine, opened.opened, opened.events)
    [case] = opened.opened
    append_case_event(engine, case.id, lambda c: close(c, reason="误报", by="张伟", now=LATER))
    before = _snapshot(engine)
    with pytest.raises(ValueError, match="closed"):
        append_case_event(engine, case.id, lambda c: respond(c, note="x", by="y", now=LATER))
    with pytest.raises(KeyError):
        append_case_event(engine, "nope", lambda c: close(c, reason="x", by="y", now=LATER))
    assert _snapshot(engine) == before
    engine.dispose()


def test_a_store_without_cases_is_upgraded_with_its_data(store_url: str, monkeypatch):
    old_steps = [step for step in store_module.MIGRATIONS if step[0] <= 3]
    monkeypatch.setattr(store_module, "MIGRATIONS", old_steps)
    engine = make_engine(store_url)
    # Version 1's create_all makes today's tables it lists; the case tables are not among them.
    migrate(engine)
    with engine.connect() as conn:
        assert schema_version(conn) == 3
        assert not inspect(conn).has_table("cases")
    from registry.store import sync_ledger

    sync_ledger(engine, config(), now=CURRENT_TIME)
    monkeypatch.undo()
    assert migrate(engine) == [4]
    with engine.connect() as conn:
        assert schema_version(conn) == 4
        assert inspect(conn).has_table("case_events")
        from registry.store import accounts

        assert conn.execute(select(func.count()).select_from(accounts)).scalar_one() == 2
    engine.dispose()


def test_instants_are_read_back_in_utc_whatever_zone_they_were_given_in(store_url: str):
    engine = open_store(store_url)
    cfg = config()
    at = dt.datetime(2026, 11, 28, 23, 30, tzinfo=LOCAL_TZ)
    opened = case_changes(
        cfg,
        [verdict(status=VerdictStatus.VETO, at=at), verdict("gaj-wechat")],
        [],
        now=at,
        unknown_since={},
    )
    record_cases(engine, opened.opened, opened.events)
    with engine.connect() as conn:
        [case] = load_cases(conn)
    assert case.opened_at == at and case.opened_at.tzinfo == dt.UTC
    assert case.id == "20261128-gaj-weibo-veto"  # the local day names it
    engine.dispose()


def test_an_event_decided_on_a_stale_state_is_left_out(store_url: str):
    """A person closes a case while a cycle is deciding: the cycle's overdue event, decided from
    the open state it read, is not recorded after the close."""
    engine = open_store(store_url)
    cfg = config()
    veto = [verdict(status=VerdictStatus.VETO, days_silent=21), verdict("gaj-wechat")]
    opened = case_changes(cfg, veto, [], now=CURRENT_TIME, unknown_since={})
    record_cases(engine, opened.opened, opened.events)
    with engine.connect() as conn:
        read = load_cases(conn)  # what the cycle read
    late = CURRENT_TIME + dt.timedelta(days=10)
    decided = case_changes(cfg, veto, read, now=late, unknown_since={})
    assert [e.to_state for e in decided.events] == [CaseState.OVERDUE]
    append_case_event(engine, read[0].id, lambda c: close(c, reason="误报", by="张伟", now=late))
    assert record_cases(engine, decided.opened, decided.events) == []
    with engine.connect() as conn:
        [case] = load_cases(conn)
    assert case.state is CaseState.CLOSED
    assert [e.action.value for e in case.events] == ["opened", "closed"]
    engine.dispose()
