"""The store's side of discovery (registry/candidates.py, the version 3 step of registry/store.py):
sweeps and candidates kept, states as their own rows, a dismissed candidate never coming back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from registry import store as store_module
from registry.candidates import (
    CandidateError,
    SweepRow,
    change_state,
    list_candidates,
    record_sweep,
)
from registry.constants import CandidateKind, CandidateState, Outcome, Source
from registry.discovery import Finding, SearchHit
from registry.store import candidate_events, make_engine, migrate, open_store

T0 = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)
HIT = SearchHit(
    Source.WEIBO, "7100000001", "博爱县退役军人事务局", "博爱县退役军人事务局官方微博", 1
)
FOUND = Finding(HIT, CandidateKind.UNREGISTERED, "平台认证为…")
ROW = SweepRow("weibo", "博爱县", Outcome.OK, "9 accounts found", requests=1, hits=9)


@pytest.fixture
def engine(tmp_path: Path):
    return open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")


def test_a_store_of_version_2_gains_the_discovery_tables(tmp_path, monkeypatch):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:2])
    migrate(engine, now=T0)
    assert not inspect(engine).has_table("candidates")
    monkeypatch.undo()
    assert migrate(engine, now=T0)[0] == 3  # the later steps follow
    tables = set(inspect(engine).get_table_names())
    assert {"sweeps", "candidates", "candidate_events", "verifications"} <= tables


def test_a_new_candidate_starts_new(engine):
    stored = record_sweep(engine, sweep_id="s1", rows=[ROW], found=[(FOUND, "博爱县")], now=T0)
    with engine.connect() as conn:
        (candidate,) = list_candidates(conn)
    assert stored.new == [candidate.id]
    assert (candidate.state, candidate.evidence["keyword"]) == (CandidateState.NEW, "博爱县")


def test_found_again_keeps_first_seen_and_moves_last_seen(engine):
    later = T0 + dt.timedelta(days=7)
    record_sweep(engine, sweep_id="s1", rows=[ROW], found=[(FOUND, "博爱县")], now=T0)
    stored = record_sweep(engine, sweep_id="s2", rows=[ROW], found=[(FOUND, "博爱县")], now=later)
    with engine.connect() as conn:
        (candidate,) = list_candidates(conn)
    assert stored.new == [] and stored.seen_again == [candidate.id]
    assert (candidate.first_seen_at, candidate.last_seen_at) == (T0, later)


def test_a_dismissed_candidate_found_again_stays_dismissed(engine):
    record_sweep(engine, sweep_id="s1", rows=[ROW], found=[(FOUND, "博爱县")], now=T0)
    with engine.connect() as conn:
        (candidate,) = list_candidates(conn)
    change_state(engine, candidate.id, CandidateState.DISMISSED, by="李娜", reason="非本县", now=T0)
    stored = record_sweep(engine, sweep_id="s2", rows=[ROW], found=[(FOUND, "博爱县")], now=T0)
    with engine.connect() as conn:
        assert list_candidates(conn, states=[CandidateState.NEW]) == []
        events = conn.execute(select(candidate_events.c.state)).scalars().all()
    assert stored.dismissed_seen == [candidate.id]
    assert events == ["new", "dismissed"]  # each change its own row, none added by the sweep


def test_a_decided_candidate_cannot_change_again(engine):
    record_sweep(engine, sweep_id="s1", rows=[ROW], found=[(FOUND, "博爱县")], now=T0)
    change_state(engine, 1, CandidateState.REGISTERED, by="x", reason="registered as a", now=T0)
    with pytest.raises(CandidateError, match="already registered"):
        change_state(engine, 1, CandidateState.DISMISSED, by="y", reason="z", now=T0)


def test_an_unknown_candidate_is_named(engine):
    with pytest.raises(CandidateError, match="no candidate 42"):
        change_state(engine, 42, CandidateState.DISMISSED, by="y", reason="z", now=T0)
