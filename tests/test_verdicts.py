"""The store side (registry/verdicts.py) on a real SQLite store: stored verdicts, status changes,
idempotence, weekly history, and agreement with the pure rules fed every fact."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import func, select

from registry.compliance import (
    AccountFacts,
    ObservationFacts,
    verdict_at,
    week_verdicts,
)
from registry.constants import LOCAL_TZ, AccountStatus, Outcome, Platform, VerdictStatus
from registry.store import status_changes, verdicts
from registry.weeks import IsoWeek
from tests.fixtures.compliance import make_config

CURRENT_TIME = dt.datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)
T = CURRENT_TIME
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def rows(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(table).order_by(table.c.id)).all()


def seeded(s, account_id: str, silent_days: float, **kw):
    s.account(account_id, **kw)
    s.posts(account_id, [T - 60 * DAY, T - silent_days * DAY])
    s.observe(account_id, T - 200 * DAY)
    s.observe(account_id, T - HOUR)


def test_check_stores_one_verdict_per_account_and_t(compliance_store):
    s = compliance_store
    seeded(s, "fresh", 2)
    seeded(s, "quiet", 20)
    result = s.check(T)
    assert result["fresh"].status is VerdictStatus.OK
    assert result["quiet"].status is VerdictStatus.VETO
    stored = {r.account_id: r for r in rows(s.engine, verdicts)}
    assert stored["quiet"].status == "veto"
    assert stored["quiet"].basis == "国办秘函〔2019〕19号"
    assert stored["quiet"].at == T.astimezone(dt.UTC)
    assert stored["quiet"].days_silent == pytest.approx(20)
    assert stored["quiet"].missed_weeks == result["quiet"].missed_weeks


def test_running_check_again_for_the_same_t_changes_nothing(compliance_store):
    s = compliance_store
    seeded(s, "fresh", 2)
    seeded(s, "quiet", 100)
    s.account("failing")
    s.observe("failing", T - HOUR, Outcome.BLOCKED, detail="HTTP 418")
    s.check(T)
    before = (rows(s.engine, verdicts), rows(s.engine, status_changes))
    s.check(T)
    s.check(T.astimezone(dt.UTC))  # the same instant, written another way
    assert (rows(s.engine, verdicts), rows(s.engine, status_changes)) == before


def test_status_changes_are_rows_with_old_new_at_and_reason(compliance_store):
    s = compliance_store
    s.account("a")
    s.posts("a", [T - 30 * DAY, T - 2 * DAY])
    s.observe("a", T - 200 * DAY)
    for days in (0, 6, 13, 20):
        s.observe("a", T + days * DAY - HOUR)
    s.check(T)  # ok
    s.check(T + 6 * DAY)  # 8 days silent: warning
    s.check(T + 13 * DAY)  # veto (15 days)
    s.check(T + 20 * DAY)  # veto, 22 days: 3 missed weeks, not yet flagged
    changes = [
        (r.old_status, r.new_status, r.flag_shutdown) for r in rows(s.engine, status_changes)
    ]
    assert changes == [
        (None, "ok", False),
        ("ok", "warning", False),
        ("warning", "veto", False),
    ]
    last = rows(s.engine, status_changes)[-1]
    assert last.at == (T + 13 * DAY).astimezone(dt.UTC)
    assert "单项否决" in last.reason and "国办秘函〔2019〕19号" in last.reason


def test_a_flag_alone_is_a_change(compliance_store):
    s = compliance_store
    s.account("a")
    s.posts("a", [T - 60 * DAY, T - 20 * DAY])
    s.observe("a", T - 200 * DAY)
    s.observe("a", T + 30 * DAY)
    s.check(T)  # veto, 2 missed weeks
    s.check(T + 14 * DAY)  # veto, 34 days silent, 4 missed weeks: flagged
    (first, second) = rows(s.engine, status_changes)
    assert (first.new_status, first.flag_shutdown) == ("veto", False)
    assert (second.old_status, second.new_status, second.flag_shutdown) == ("veto", "veto", True)
    assert "应申请关停" in second.reason


def test_a_past_t_is_stored_but_records_no_change(compliance_store):
    s = compliance_store
    seeded(s, "a", 2)
    s.check(T)
    n_changes = len(rows(s.engine, status_changes))
    past = s.check(T - 30 * DAY)["a"]
    assert past.at == T - 30 * DAY
    assert len(rows(s.engine, status_changes)) == n_changes
    with s.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(verdicts)).scalar() == 2


def test_new_facts_for_the_same_t_update_the_verdict_and_record_the_change(compliance_store):
    s = compliance_store
    s.account("a")
    s.observe("a", T - 200 * DAY)
    s.observe("a", T - HOUR)
    s.posts("a", [T - 30 * DAY])
    assert s.check(T)["a"].status is VerdictStatus.VETO
    s.posts("a", [T - DAY])  # a late crawl found yesterday's post
    assert s.check(T)["a"].status is VerdictStatus.OK
    (stored,) = rows(s.engine, verdicts)
    assert stored.status == "ok"
    assert [(r.old_status, r.new_status) for r in rows(s.engine, status_changes)] == [
        (None, "veto"),
        ("veto", "ok"),
    ]


def test_unknown_shows_the_last_failure_from_the_store(compliance_store):
    s = compliance_store
    s.account("a")
    s.posts("a", [T - 10 * DAY])
    s.observe("a", T - 20 * DAY)
    s.observe("a", T - 30 * HOUR, Outcome.NETWORK_ERROR, detail="timeout")
    s.observe("a", T - 2 * HOUR, Outcome.BLOCKED, detail="HTTP 418")
    v = s.check(T)["a"]
    assert v.status is VerdictStatus.UNKNOWN
    assert "被平台拦截" in v.detail and "HTTP 418" in v.detail
    assert v.flag_shutdown is False


def test_manual_observations_from_the_store_count(compliance_store):
    s = compliance_store
    s.account("a", platform=Platform.DOUYIN, source="manual")
    s.manual("a", T - 200 * DAY, None)
    s.manual("a", T - DAY, T - 3 * DAY, posts_this_week=2)
    v = s.check(T)["a"]
    assert v.status is VerdictStatus.OK
    assert v.last_post_at == T - 3 * DAY
    assert v.posts_this_week == 2


def test_accounts_left_out_of_the_ledger_are_not_checked(compliance_store):
    s = compliance_store
    seeded(s, "a", 1)
    from registry.store import accounts

    with s.engine.begin() as conn:
        conn.execute(accounts.update().values(in_ledger=False))
    assert s.check(T) == {}


def test_weekly_history_matches_the_pure_rules(compliance_store):
    s = compliance_store
    seeded(s, "a", 20)
    s.account("b", opened_on=dt.date(2026, 11, 20))
    s.observe("b", T - HOUR)
    weeks = IsoWeek.containing(T).back(6)
    history = s.history(weeks, at=T)
    assert sorted(history) == ["a", "b"]
    expected = week_verdicts(
        make_config().policy,
        AccountFacts("a", "dept", Platform.WEIBO, AccountStatus.ACTIVE, dt.date(2020, 1, 1)),
        [T - 60 * DAY, T - 20 * DAY],
        [ObservationFacts(T - 200 * DAY, Outcome.OK), ObservationFacts(T - HOUR, Outcome.OK)],
        weeks,
        at=T,
    )
    assert history["a"] == expected
    assert [w.worst_status for w in history["b"]][-1] is VerdictStatus.EXEMPT


# ---------------------------------------------------------------------------------------------
# The store reads only what the rules can tell apart: it must agree with the rules fed everything.


@pytest.mark.parametrize(("min_posts", "seed"), [(1, 1), (1, 5), (2, 2), (3, 3)])
def test_store_loads_agree_with_the_rules_fed_every_fact(tmp_path, min_posts, seed):
    from registry.store import open_store
    from tests.fixtures.compliance import ComplianceStore

    store = ComplianceStore(
        open_store(f"sqlite:///{tmp_path / 's.sqlite3'}"), make_config(min_posts_per_week=min_posts)
    )
    rng = random.Random(seed)
    facts: dict[str, tuple[AccountFacts, list, list]] = {}
    start = T - 300 * DAY
    for i in range(40):
        account_id = f"acc{i:02d}"
        closure = None
        status = AccountStatus.ACTIVE
        roll = rng.random()
        if roll < 0.1:
            status = AccountStatus.CLOSED
            closure = {
                "approved_on": dt.date(2026, 5, 1),
                "deregistered_on": dt.date(2026, 6, 1),
                "filed_on": dt.date(2026, 6, 3),
            }
        elif roll < 0.2:
            status = AccountStatus.CLOSING
            closure = {"approved_on": dt.date(2026, 10, 1), "notice_on": dt.date(2026, 11, 1)}
        opened = (start + rng.uniform(-100, 200) * DAY).date()
        store.account(account_id, status=status, opened_on=opened, closure=closure)
        stop = T - rng.choice([0, 0, 10, 30, 120]) * DAY
        posts = sorted(
            {start + rng.uniform(0, (stop - start).total_seconds()) * dt.timedelta(seconds=1)}
            | {start + rng.uniform(0, 300) * DAY for _ in range(rng.randint(0, 80))}
        )
        posts = [p.replace(microsecond=0) for p in posts if p <= stop]
        store.posts(account_id, posts)
        if rng.random() < 0.3:  # a pinned post: stored, never read by the rules
            store.posts(account_id, [start - rng.uniform(0, 200) * DAY], pinned=True)
        observations = []
        # Crawls chained to one complete_since, or each with its own (a look-back window).
        chained = rng.choice([None, start + rng.uniform(0, 200) * DAY])
        for _ in range(rng.randint(0, 12)):
            at = start + rng.uniform(0, 320) * DAY
            outcome = Outcome.OK if rng.random() < 0.7 else Outcome.BLOCKED
            latest = max((p for p in posts if p <= at), default=None)
            since = None
            if outcome is Outcome.OK and rng.random() < 0.6:
                since = chained or at - rng.uniform(5, 150) * DAY
            store.observe(
                account_id,
                at,
                outcome,
                latest_post_at=latest if outcome is Outcome.OK else None,
                complete_since=since,
            )
            observations.append(
                ObservationFacts(
                    at, outcome, latest if outcome is Outcome.OK else None, complete_since=since
                )
            )
        if rng.random() < 0.2:
            at = start + rng.uniform(0, 300) * DAY
            latest = at - rng.uniform(0, 5) * DAY
            count = rng.randint(0, 3)
            store.manual(account_id, at, latest, posts_this_week=count)
            observations.append(ObservationFacts(at, Outcome.OK, latest, count, source="manual"))
        facts[account_id] = (
            AccountFacts(
                account_id,
                "dept",
                Platform.WEIBO,
                status,
                opened,
                None,
                closure and closure.get("approved_on"),
                closure and closure.get("notice_on"),
                closure and closure.get("deregistered_on"),
                closure and closure.get("filed_on"),
            ),
            posts,
            observations,
        )
    policy = store.config.policy
    for at in (T, T + 30 * DAY, T - 45 * DAY, T - 130 * DAY):
        checked = store.check(at)
        for account_id, (account_facts, posts, obs) in facts.items():
            expected = verdict_at(policy, account_facts, posts, obs, at)
            got = checked[account_id]
            assert got.as_json() == expected.as_json(), (account_id, at)
            assert (got.missed_weeks, got.relaunched, got.rule_key) == (
                expected.missed_weeks,
                expected.relaunched,
                expected.rule_key,
            ), (account_id, at)
    for last_week, n in ((IsoWeek.containing(T), 30), (IsoWeek.containing(T + 60 * DAY), 5)):
        weeks = last_week.back(n)
        history = store.history(weeks, at=T + 60 * DAY)
        for account_id, (account_facts, posts, obs) in facts.items():
            assert history[account_id] == week_verdicts(
                policy, account_facts, posts, obs, weeks, at=T + 60 * DAY
            ), account_id
