"""The store side of compliance: load facts, call the pure rules, store verdicts and changes.

Public API (stable; the cycle, reports and filings call it):

- `check(engine, config, at)` → `list[Verdict]`: the verdict of every account in the ledger copy
  of the store (`accounts.in_ledger`; run `registry.store.sync_ledger` first) at T = `at`. It
  upserts one `verdicts` row per account and T (unique account_id + at), and adds a
  `status_changes` row (old, new, at, reason) when an account's status, shutdown flag or relaunch
  differs from its current state (its latest `status_changes` row). Running it again for the same
  T changes nothing. A check at a T earlier than the latest stored verdict (a back-fill for a past
  report) stores its verdicts but records no change: status changes tell the present.
- `weekly_history(engine, config, weeks, *, at=None)` → `{account_id: [WeekVerdict]}`: natural
  ISO weeks for every account, computed (not stored), for reports.
- `load_facts(conn, config, ...)`: the facts the rules read, for callers that need both.

Queries are built for a county-sized store and far beyond (20,000 accounts × a year of posts):
one scan of `posts` grouped by account for the columns the rules read, never a query per account.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, String, and_, bindparam, func, select, type_coerce

from registry.compliance import (
    AccountFacts,
    ObservationFacts,
    Timeline,
    Verdict,
    WeekGrid,
    WeekVerdict,
)
from registry.config import Config
from registry.constants import AccountStatus, Outcome, Platform, VerdictStatus
from registry.store import accounts, observations, posts, status_changes, verdicts
from registry.weeks import IsoWeek

UTC = dt.UTC


@dataclass
class Facts:
    """Everything the rules read, per account, as loaded from the store."""

    accounts: list[AccountFacts]
    posts: dict[str, list[dt.datetime]] = field(default_factory=dict)  # sorted, UTC
    observations: dict[str, list[ObservationFacts]] = field(default_factory=dict)


def _utc(value: Any) -> dt.datetime:
    """A stored instant as aware UTC, whether the driver gave text (SQLite) or a datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def load_accounts(conn: Connection) -> list[AccountFacts]:
    """The accounts of the ledger copy in the store, with their closure dates."""
    out: list[AccountFacts] = []
    rows = conn.execute(
        select(
            accounts.c.id,
            accounts.c.department_id,
            accounts.c.platform,
            accounts.c.status,
            accounts.c.opened_on,
            accounts.c.filed_on,
        )
        .where(accounts.c.in_ledger.is_(True))
        .order_by(accounts.c.id)
    ).all()
    closures: dict[str, dict[str, Any]] = {}
    non_active = [r.id for r in rows if r.status != AccountStatus.ACTIVE.value]
    if non_active:
        for r in conn.execute(
            select(accounts.c.id, accounts.c.data).where(accounts.c.id.in_(non_active))
        ):
            closures[r.id] = (r.data or {}).get("closure") or {}
    for r in rows:
        closure = closures.get(r.id, {})
        out.append(
            AccountFacts(
                id=r.id,
                department_id=r.department_id,
                platform=Platform(r.platform),
                status=AccountStatus(r.status),
                opened_on=r.opened_on,
                filed_on=r.filed_on,
                approved_on=_date(closure.get("approved_on")),
                notice_on=_date(closure.get("notice_on")),
                deregistered_on=_date(closure.get("deregistered_on")),
                closure_filed_on=_date(closure.get("filed_on")),
            )
        )
    return out


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def load_posts(
    conn: Connection, *, upto: dt.datetime | None = None
) -> dict[str, list[dt.datetime]]:
    """Publish instants per account, sorted, from one scan of the posts index."""
    published = type_coerce(posts.c.published_at, String)  # raw text on SQLite: parsed below
    query = select(posts.c.account_id, published).order_by(posts.c.account_id, posts.c.published_at)
    if upto is not None:
        query = query.where(posts.c.published_at <= upto)
    out: dict[str, list[dt.datetime]] = {}
    current: list[dt.datetime] = []
    current_id: str | None = None
    fromiso = dt.datetime.fromisoformat
    for account_id, value in conn.execute(query):
        if account_id != current_id:
            current = out.setdefault(account_id, [])
            current_id = account_id
        if isinstance(value, str):
            current.append(fromiso(value).replace(tzinfo=UTC))
        else:
            current.append(_utc(value))
    return out


def load_observations(conn: Connection) -> dict[str, list[ObservationFacts]]:
    """The observations the rules need, per account."""
    out: dict[str, list[ObservationFacts]] = defaultdict(list)
    o = observations.c
    for row in conn.execute(
        select(
            o.account_id, o.at, o.outcome, o.latest_post_at, o.posts_this_week, o.detail, o.source
        )
    ):
        out[row.account_id].append(
            ObservationFacts(
                at=_utc(row.at),
                outcome=Outcome(row.outcome),
                latest_post_at=_utc(row.latest_post_at) if row.latest_post_at else None,
                posts_this_week=row.posts_this_week,
                detail=row.detail,
                source=row.source,
            )
        )
    return dict(out)


def load_facts(conn: Connection, *, upto: dt.datetime | None = None) -> Facts:
    return Facts(
        accounts=load_accounts(conn),
        posts=load_posts(conn, upto=upto),
        observations=load_observations(conn),
    )


# ---------------------------------------------------------------------------------------------
# Check


def compute(config: Config, facts: Facts, at: dt.datetime) -> list[Verdict]:
    """Verdicts at T from loaded facts (pure)."""
    policy, tz = config.policy, config.tz
    out = []
    for account in facts.accounts:
        timeline = Timeline(
            policy,
            account,
            facts.posts.get(account.id, ()),
            facts.observations.get(account.id, ()),
            tz,
            presorted=True,
        )
        out.append(timeline.verdict(at))
    return out


def check(engine: Engine, config: Config, at: dt.datetime) -> list[Verdict]:
    """Compute every account's verdict at T, store it, and record status changes."""
    if at.tzinfo is None:
        raise ValueError("check: `at` must be an aware datetime")
    at_utc = at.astimezone(UTC)
    with engine.connect() as conn:
        facts = load_facts(conn, upto=at_utc)
    result = compute(config, facts, at.astimezone(config.tz))
    store_verdicts(engine, result, at_utc, now=dt.datetime.now(UTC))
    return result


def _verdict_row(v: Verdict, at_utc: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    return {
        "account_id": v.account_id,
        "at": at_utc,
        "status": v.status.value,
        "last_post_at": v.last_post_at,
        "days_silent": v.days_silent,
        "posts_7d": v.posts_7d,
        "posts_this_week": v.posts_this_week,
        "flag_shutdown": v.flag_shutdown,
        "relaunched": v.relaunched,
        "rule": v.rule,
        "basis": v.basis,
        "detail": v.detail,
        "computed_at": now,
        "missed_weeks": v.missed_weeks,
        "flag_reason": v.flag_reason,
        "rule_key": v.rule_key.value,
        "ledger_status": v.ledger_status.value,
    }


_COMPARED = (
    "status",
    "last_post_at",
    "days_silent",
    "posts_7d",
    "posts_this_week",
    "flag_shutdown",
    "relaunched",
    "rule",
    "basis",
    "detail",
    "missed_weeks",
    "flag_reason",
    "rule_key",
    "ledger_status",
)


def _same(stored: Any, row: dict[str, Any]) -> bool:
    for key in _COMPARED:
        a, b = getattr(stored, key), row[key]
        if key == "last_post_at" and a is not None:
            a = _utc(a)
        if key == "days_silent" and a is not None and b is not None:
            if abs(a - b) > 1e-9:
                return False
            continue
        if a != b:
            return False
    return True


def store_verdicts(
    engine: Engine, result: Sequence[Verdict], at_utc: dt.datetime, *, now: dt.datetime
) -> int:
    """Upsert verdicts at T and add status changes; returns the number of changes recorded."""
    changes = 0
    with engine.begin() as conn:
        latest_at = conn.execute(select(func.max(verdicts.c.at))).scalar()
        forward = latest_at is None or at_utc >= _utc(latest_at)
        existing = {
            r.account_id: r for r in conn.execute(select(verdicts).where(verdicts.c.at == at_utc))
        }
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for v in result:
            row = _verdict_row(v, at_utc, now)
            old = existing.get(v.account_id)
            if old is None:
                inserts.append(row)
            elif not _same(old, row):
                updates.append({**row, "b_id": old.id})
        if inserts:
            conn.execute(verdicts.insert(), inserts)
        if updates:
            conn.execute(
                verdicts.update().where(verdicts.c.id == bindparam("b_id")),
                updates,
            )
        if forward:
            current = current_states(conn)
            change_rows = []
            for v in result:
                state = current.get(v.account_id)
                if state is not None and state == v.state():
                    continue
                change_rows.append(
                    {
                        "account_id": v.account_id,
                        "old_status": state[0].value if state else None,
                        "new_status": v.status.value,
                        "at": at_utc,
                        "reason": change_reason(v, state),
                        "flag_shutdown": v.flag_shutdown,
                        "relaunched": v.relaunched,
                    }
                )
            if change_rows:
                conn.execute(status_changes.insert(), change_rows)
            changes = len(change_rows)
    return changes


def current_states(conn: Connection) -> dict[str, tuple[VerdictStatus, bool, bool]]:
    """Each account's current (status, flag, relaunched): its latest status_changes row."""
    latest = (
        select(func.max(status_changes.c.id).label("id"))
        .group_by(status_changes.c.account_id)
        .subquery()
    )
    sc = status_changes.c
    rows = conn.execute(
        select(sc.account_id, sc.new_status, sc.flag_shutdown, sc.relaunched).join(
            latest, and_(sc.id == latest.c.id)
        )
    )
    return {
        r.account_id: (VerdictStatus(r.new_status), bool(r.flag_shutdown), bool(r.relaunched))
        for r in rows
    }


def change_reason(v: Verdict, old: tuple[VerdictStatus, bool, bool] | None) -> str:
    """Why the state changed, in Chinese, naming the rule and its document."""
    parts = [f"{v.rule}（{v.basis}）"]
    if v.detail:
        parts.append(v.detail)
    if v.flag_reason:
        parts.append(v.flag_reason)
    elif old is not None and old[1] and not v.flag_shutdown:
        parts.append("不再符合应申请关停的条件")
    return "；".join(parts)


# ---------------------------------------------------------------------------------------------
# Weekly history


def weekly_history(
    engine: Engine,
    config: Config,
    weeks: Sequence[IsoWeek],
    *,
    at: dt.datetime | None = None,
) -> dict[str, list[WeekVerdict]]:
    """Week verdicts per account for `weeks` (computed, not stored). With `at`, weeks starting
    after it are left out and the week holding it is judged at `at` (a week in progress)."""
    grid = WeekGrid(sorted(weeks), config.tz)
    if not grid.weeks:
        return {}
    upto = grid.ends[-1] if at is None else min(grid.ends[-1], at.astimezone(UTC))
    with engine.connect() as conn:
        facts = load_facts(conn, upto=upto)
    return history_from_facts(config, facts, grid, at)


def history_from_facts(
    config: Config, facts: Facts, grid: WeekGrid, at: dt.datetime | None
) -> dict[str, list[WeekVerdict]]:
    out: dict[str, list[WeekVerdict]] = {}
    for account in facts.accounts:
        timeline = Timeline(
            config.policy,
            account,
            facts.posts.get(account.id, ()),
            facts.observations.get(account.id, ()),
            config.tz,
            presorted=True,
        )
        out[account.id] = timeline.week_verdicts(grid, at)
    return out


def weeks_ending(week: IsoWeek, n: int) -> list[IsoWeek]:
    """The `n` weeks ending with `week`, oldest first."""
    return week.back(n)
