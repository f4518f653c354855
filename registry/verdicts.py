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

from sqlalchemy import (
    Connection,
    Engine,
    String,
    and_,
    bindparam,
    func,
    select,
    text,
    type_coerce,
)

from registry.compliance import (
    AccountFacts,
    ObservationFacts,
    Timeline,
    Verdict,
    WeekGrid,
    WeekVerdict,
)
from registry.config import Config, Policy
from registry.constants import AccountStatus, Outcome, Platform, Source, VerdictStatus
from registry.store import accounts, observations, posts, status_changes, verdicts
from registry.weeks import IsoWeek

UTC = dt.UTC
# A literal (not a bound parameter), so that the partial index ix_observations_manual applies.
_MANUAL = text(f"observations.source = '{Source.MANUAL.value}'")


@dataclass
class Facts:
    """Everything the rules read, per account, as loaded from the store.

    `posts` are naive UTC instants in ascending order (the rules' inside representation).
    """

    accounts: list[AccountFacts]
    posts: dict[str, list[dt.datetime]] = field(default_factory=dict)
    observations: dict[str, list[ObservationFacts]] = field(default_factory=dict)


def _naive(value: Any) -> dt.datetime:
    """A stored instant as a naive UTC datetime, whether the driver gave text (SQLite) or a
    datetime (PostgreSQL)."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _aware(value: Any) -> dt.datetime | None:
    return None if value is None else _naive(value).replace(tzinfo=UTC)


def _raw(column: Any) -> Any:
    """A datetime column without SQLAlchemy's per-row conversion (parsed in bulk instead)."""
    return type_coerce(column, String)


def load_accounts(conn: Connection) -> list[AccountFacts]:
    """The accounts of the ledger copy in the store, with their closure dates."""
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
    for chunk in _chunks(non_active):
        for r in conn.execute(
            select(accounts.c.id, accounts.c.data).where(accounts.c.id.in_(chunk))
        ):
            closures[r.id] = (r.data or {}).get("closure") or {}
    out: list[AccountFacts] = []
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


def _chunks(items: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def load_posts(
    conn: Connection, *, upto: dt.datetime, since: dt.datetime | None = None
) -> dict[str, list[dt.datetime]]:
    """Publish instants per account (naive UTC, ascending) up to `upto`.

    With `since`, only what the rules can tell apart when `min_posts_per_week` ≤ 1: each
    account's first post, its last post before `since`, and every post from `since` on. Any week
    before `since` with a post then still has one, so runs, silences and firsts come out the same.
    """
    p = posts.c
    out: dict[str, list[dt.datetime]] = {}
    in_ledger = select(accounts.c.id).where(accounts.c.in_ledger.is_(True))
    query = (
        select(p.account_id, _raw(p.published_at))
        .where(p.account_id.in_(in_ledger), p.published_at <= upto)
        .order_by(p.account_id, p.published_at)
    )
    if since is not None:
        since_n, upto_n = _naive_utc(since), _naive_utc(upto)
        query = query.where(p.published_at >= since)
        a = accounts.c
        first = select(_raw(func.min(p.published_at))).where(p.account_id == a.id).scalar_subquery()
        before = (
            select(_raw(func.max(p.published_at)))
            .where(p.account_id == a.id, p.published_at < since, p.published_at <= upto)
            .scalar_subquery()
        )
        for account_id, first_at, before_at in conn.execute(
            select(a.id, first, before).where(a.in_ledger.is_(True))
        ):
            edges = sorted({_naive(v) for v in (first_at, before_at) if v is not None})
            edges = [e for e in edges if e < since_n and e <= upto_n]
            if edges:
                out[account_id] = edges
    fromiso = dt.datetime.fromisoformat
    current: list[dt.datetime] = []
    current_id: str | None = None
    result = conn.execute(query)
    while rows := result.fetchmany(50_000):
        for account_id, value in rows:
            if account_id != current_id:
                current = out.setdefault(account_id, [])
                current_id = account_id
            current.append(fromiso(value) if isinstance(value, str) else _naive(value))
    return out


def _naive_utc(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(UTC).replace(tzinfo=None)


def load_observations(conn: Connection) -> dict[str, list[ObservationFacts]]:
    """The observations the rules can tell apart, per account: the first and the last ok one
    (the last with the latest post it saw), and every manual one (a person's latest post and
    weekly count). Crawled posts are in the posts table already. The last failures are loaded
    only for accounts that turn out unknown (`load_last_failures`)."""
    a, o = accounts.c, observations.c

    def ok_at(order: Any, column: Any) -> Any:
        return (
            select(_raw(column))
            .where(o.account_id == a.id, o.outcome == Outcome.OK.value)
            .order_by(order)
            .limit(1)
            .scalar_subquery()
        )

    out: dict[str, list[ObservationFacts]] = defaultdict(list)
    edges = select(
        a.id,
        ok_at(o.at.asc(), o.at),
        ok_at(o.at.desc(), o.at),
        ok_at(o.at.desc(), o.latest_post_at),
    ).where(a.in_ledger.is_(True))
    for account_id, first_at, last_at, latest in conn.execute(edges):
        if first_at is None:
            continue
        out[account_id].append(ObservationFacts(at=_aware(first_at), outcome=Outcome.OK))
        out[account_id].append(
            ObservationFacts(at=_aware(last_at), outcome=Outcome.OK, latest_post_at=_aware(latest))
        )
    manual = select(
        o.account_id, _raw(o.at), _raw(o.latest_post_at), o.posts_this_week, o.detail
    ).where(_MANUAL, o.outcome == Outcome.OK.value)
    for account_id, at, latest, n, detail in conn.execute(manual):
        out[account_id].append(
            ObservationFacts(
                at=_aware(at),
                outcome=Outcome.OK,
                latest_post_at=_aware(latest),
                posts_this_week=n,
                detail=detail,
                source=Source.MANUAL.value,
            )
        )
    return dict(out)


def load_last_failures(conn: Connection, account_ids: Sequence[str]) -> dict[str, ObservationFacts]:
    """Each account's latest failed observation (outcome other than ok)."""
    o = observations.c
    out: dict[str, ObservationFacts] = {}
    for chunk in _chunks(account_ids):
        rows = conn.execute(
            select(o.account_id, _raw(o.at), o.outcome, o.detail, o.source)
            .where(o.account_id.in_(chunk), o.outcome != Outcome.OK.value)
            .order_by(o.account_id, o.at)
        )
        for account_id, at, outcome, detail, source in rows:
            out[account_id] = ObservationFacts(
                at=_aware(at), outcome=Outcome(outcome), detail=detail, source=source
            )
    return out


def load_facts(
    conn: Connection, policy: Policy, *, upto: dt.datetime, since: dt.datetime | None = None
) -> Facts:
    """The facts for time points up to `upto`. `since` (the earliest instant whose week counts
    are needed) narrows the posts read when the policy allows it (min_posts_per_week ≤ 1)."""
    if policy.min_posts_per_week > 1:
        since = None
    return Facts(
        accounts=load_accounts(conn),
        posts=load_posts(conn, upto=upto, since=since),
        observations=load_observations(conn),
    )


# ---------------------------------------------------------------------------------------------
# Check


def compute(config: Config, facts: Facts, at: dt.datetime) -> list[Verdict]:
    """Verdicts at T from loaded facts (pure)."""
    policy, tz = config.policy, config.tz
    return [
        Timeline(
            policy,
            account,
            facts.posts.get(account.id, []),
            facts.observations.get(account.id, ()),
            tz,
            presorted=True,
        ).verdict(at)
        for account in facts.accounts
    ]


def check(engine: Engine, config: Config, at: dt.datetime) -> list[Verdict]:
    """Compute every account's verdict at T, store it, and record status changes."""
    if at.tzinfo is None:
        raise ValueError("check: `at` must be an aware datetime")
    local = at.astimezone(config.tz)
    at_utc = at.astimezone(UTC)
    week_start = IsoWeek.containing(local, config.tz).start(config.tz)
    since = min(week_start, local - dt.timedelta(days=7))
    with engine.connect() as conn:
        facts = load_facts(conn, config.policy, upto=at_utc, since=since)
        result = compute(config, facts, local)
        unknown = [v.account_id for v in result if v.status is VerdictStatus.UNKNOWN]
        if unknown:
            # Only unknown verdicts show the last failure: read failures for those alone.
            failures = load_last_failures(conn, unknown)
            for account_id, failure in failures.items():
                facts.observations.setdefault(account_id, []).append(failure)
            by_id = {a.id: a for a in facts.accounts}
            redo = Facts(
                accounts=[by_id[i] for i in failures],
                posts=facts.posts,
                observations=facts.observations,
            )
            again = {v.account_id: v for v in compute(config, redo, local)}
            result = [again.get(v.account_id, v) for v in result]
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
            a = _aware(a)
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
        forward = latest_at is None or at_utc >= _aware(latest_at)
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
    upto = grid.ends[-1].replace(tzinfo=UTC)
    if at is not None:
        upto = min(upto, at.astimezone(UTC))
    since = grid.starts[0].replace(tzinfo=UTC)
    with engine.connect() as conn:
        facts = load_facts(conn, config.policy, upto=upto, since=since)
    return history_from_facts(config, facts, grid, at)


def history_from_facts(
    config: Config, facts: Facts, grid: WeekGrid, at: dt.datetime | None
) -> dict[str, list[WeekVerdict]]:
    """Week verdicts per account from loaded facts (pure)."""
    policy, tz = config.policy, config.tz
    return {
        account.id: Timeline(
            policy,
            account,
            facts.posts.get(account.id, []),
            facts.observations.get(account.id, ()),
            tz,
            presorted=True,
        ).week_verdicts(grid, at)
        for account in facts.accounts
    }
