"""The store side of compliance: load facts, call the pure rules, store verdicts and changes.

Public API (stable; the cycle, reports and filings call it):

- `check(engine, config, at)` → `list[Verdict]`: the verdict of every account in the ledger copy
  of the store (`accounts.in_ledger`; run `registry.store.sync_ledger` first) at T = `at`. It
  upserts one `verdicts` row per account and T (unique account_id + at), and adds a
  `status_changes` row (old, new, at, reason, flag_shutdown, relaunched) when an account's
  status, shutdown flag or relaunch differs from its current state (its latest `status_changes`
  row; the first verdict of an account is a change from None). Running it again for the same T
  changes nothing; new facts for the same T update its verdict and record the change. A check at
  a T earlier than the latest stored verdict (a back-fill for a past report) stores its verdicts
  but records no change: status changes tell the present.
- `evaluate(engine, config, at)` → `list[Verdict]`: the same verdicts, stored nowhere.
- `store_verdicts(engine, verdicts, at_utc, *, now)` → number of changes: the storing half of
  `check`, for a caller that computed the verdicts itself from facts it already loaded (the
  weekly report: one facts load serves T, the trend and the week runs).
- `weekly_history(engine, config, weeks, *, at=None)` → `{account_id: [WeekVerdict]}`: natural
  ISO weeks for every account, computed (not stored), for reports.
- `flagged_since(engine)` → `{account_id: when its current shutdown flag was raised}`.
- `load_facts(conn, policy, *, upto, since=None)` → `Facts`: what the rules read, exact for any
  time point in [since, upto]; feed `Facts` to `registry.compliance.Timeline(…, presorted=True)`
  to ask many time points (reports do).

Queries are built for a county-sized store and far beyond (20,000 accounts × a year of posts,
≈ 3M posts; see benchmarks/check.py): the posts index is scanned once for the two columns the
rules read (only the window a question needs, plus each account's first post and last post before
it, through index seeks; pinned posts, which the rules never read, are taken out through a
partial index); ok crawls are read as the first and last one of each `complete_since` per account
(one scan of a partial covering index: the spans they prove), every manual one (a partial
index) and the last failure (a partial index). Never a query per account; rows come straight from
the driver's cursor, instants stay naive UTC inside.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    String,
    bindparam,
    func,
    select,
    text,
    type_coerce,
)

from registry.bulk import bulk_allocation
from registry.compliance import (
    AccountFacts,
    ObservationFacts,
    Timeline,
    Verdict,
    WeekGrid,
    WeekVerdict,
    aware,
    naive_utc,
)
from registry.constants import AccountStatus, Outcome, Platform, Source, VerdictStatus
from registry.models import Config, Policy
from registry.store import accounts, observations, posts, status_changes, verdicts
from registry.weeks import IsoWeek

UTC = dt.UTC
# A literal (not a bound parameter), so that the partial index ix_observations_manual applies.
_MANUAL = text(f"observations.source = '{Source.MANUAL.value}'")
_PINNED = text("posts.pinned")  # the partial index ix_posts_pinned
# Literals too, for the partial index ix_observations_crawled_ok.
_CRAWLED_OK = text(
    f"observations.outcome = '{Outcome.OK.value}' AND observations.source <> '{Source.MANUAL.value}'"
)


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
    return None if value is None else aware(_naive(value))


def _raw(column: Any) -> Any:
    """A datetime column without SQLAlchemy's per-row conversion (parsed in bulk instead)."""
    return type_coerce(column, String)


def load_accounts(conn: Connection) -> list[AccountFacts]:
    """The accounts of the ledger copy in the store, with their closure dates."""
    a = accounts.c
    query = (
        select(a.id, a.department_id, a.platform, a.status, a.opened_on, a.filed_on)
        .where(a.in_ledger.is_(True))
        .order_by(a.id)
    )
    rows = [row for batch in _batches(conn, query) for row in batch]
    closures: dict[str, dict[str, Any]] = {}
    non_active = [r[0] for r in rows if r[3] != AccountStatus.ACTIVE.value]
    for chunk in _chunks(non_active):
        for r in conn.execute(select(a.id, a.data).where(a.id.in_(chunk))):
            closures[r.id] = (r.data or {}).get("closure") or {}
    platforms = {p.value: p for p in Platform}
    statuses = {s.value: s for s in AccountStatus}
    out: list[AccountFacts] = []
    for account_id, department_id, platform, status, opened_on, filed_on in rows:
        closure = closures.get(account_id, {})
        out.append(
            AccountFacts(
                account_id,
                department_id,
                platforms[platform],
                statuses[status],
                _date(opened_on),
                _date(filed_on),
                _date(closure.get("approved_on")),
                _date(closure.get("notice_on")),
                _date(closure.get("deregistered_on")),
                _date(closure.get("filed_on")),
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
    """Publish instants per account (naive UTC, ascending) up to `upto`; see `iter_posts`."""
    return dict(iter_posts(conn, upto=upto, since=since))


def iter_posts(
    conn: Connection, *, upto: dt.datetime, since: dt.datetime | None = None
) -> Iterator[tuple[str, list[dt.datetime]]]:
    """(account id, publish instants as naive UTC, ascending) for each ledger account with posts
    up to `upto`, streamed from one scan of the posts index, so that a caller can judge one
    account and drop its posts before the next.

    With `since`, only what the rules can tell apart when `min_posts_per_week` ≤ 1: each
    account's first post, its last post before `since`, and every post from `since` on. Any week
    before `since` with a post then still has one, so runs, silences and firsts come out the same.

    Pinned posts are left out: a pinned post is often old and shown above everything a crawl's
    look-back window reaches, so it never ends a silence (README, compliance rules).
    """
    p = posts.c
    in_ledger = select(accounts.c.id).where(accounts.c.in_ledger.is_(True))
    pinned = _pinned(conn, in_ledger, upto=upto, since=since)
    query = (
        select(p.account_id, _raw(p.published_at))
        .where(p.account_id.in_(in_ledger), p.published_at <= upto)
        .order_by(p.account_id, p.published_at)
    )
    edges: dict[str, list[dt.datetime]] = {}
    if since is not None:
        since_n, upto_n = _naive_utc(since), _naive_utc(upto)
        query = query.where(p.published_at >= since)
        a = accounts.c
        first = (
            select(_raw(func.min(p.published_at)))
            .where(p.account_id == a.id, p.pinned.is_(False))
            .scalar_subquery()
        )
        before = (
            select(_raw(func.max(p.published_at)))
            .where(
                p.account_id == a.id,
                p.published_at < since,
                p.published_at <= upto,
                p.pinned.is_(False),
            )
            .scalar_subquery()
        )
        for account_id, first_at, before_at in _rows(
            conn, select(a.id, first, before).where(a.in_ledger.is_(True))
        ):
            found = sorted({_naive(v) for v in (first_at, before_at) if v is not None})
            found = [e for e in found if e < since_n and e <= upto_n]
            if found:
                edges[account_id] = found
    fromiso = dt.datetime.fromisoformat
    current: list[dt.datetime] = []
    current_id: str | None = None
    for rows in _batches(conn, query):
        for account_id, value in rows:
            if account_id != current_id:
                if current_id is not None:
                    yield current_id, _unpinned(current, pinned.get(current_id))
                current_id = account_id
                current = edges.pop(account_id, [])
            current.append(fromiso(value) if isinstance(value, str) else _naive(value))
    if current_id is not None:
        yield current_id, _unpinned(current, pinned.get(current_id))
    yield from edges.items()  # accounts with no post since `since`


def _pinned(
    conn: Connection, account_ids: Any, *, upto: dt.datetime, since: dt.datetime | None = None
) -> dict[str, list[dt.datetime]]:
    """The pinned posts' instants per account (naive UTC), through the partial index of pinned
    posts: few rows, taken out of the scan of all posts (`_unpinned`) rather than filtering it."""
    p = posts.c
    query = select(p.account_id, _raw(p.published_at)).where(
        _PINNED, p.account_id.in_(account_ids), p.published_at <= upto
    )
    if since is not None:
        query = query.where(p.published_at >= since)
    out: dict[str, list[dt.datetime]] = {}
    for account_id, value in _rows(conn, query):
        out.setdefault(account_id, []).append(_naive(value))
    return out


def _unpinned(instants: list[dt.datetime], pinned: list[dt.datetime] | None) -> list[dt.datetime]:
    """`instants` (ascending) without one occurrence of each pinned instant."""
    for instant in pinned or ():
        i = bisect_left(instants, instant)
        if i < len(instants) and instants[i] == instant:
            del instants[i]
    return instants


def load_posts_of(
    conn: Connection, account_ids: Sequence[str], *, upto: dt.datetime
) -> dict[str, list[dt.datetime]]:
    """Every post up to `upto` of a few accounts (naive UTC, ascending)."""
    p = posts.c
    out: dict[str, list[dt.datetime]] = {}
    for chunk in _chunks(account_ids):
        query = (
            select(p.account_id, _raw(p.published_at))
            .where(p.account_id.in_(chunk), p.published_at <= upto, p.pinned.is_(False))
            .order_by(p.account_id, p.published_at)
        )
        for account_id, value in _rows(conn, query):
            out.setdefault(account_id, []).append(_naive(value))
    return out


def _batches(conn: Connection, query: Any, size: int = 50_000) -> Iterator[Sequence[Any]]:
    """The rows of a query whose columns need no conversion, in batches straight from the
    driver's cursor: SQLAlchemy's per-row wrapping would cost more than the scan itself."""
    result = conn.execute(query)
    cursor = getattr(result, "cursor", None)
    if cursor is None or result._metadata is None:  # pragma: no cover - other result kinds
        while rows := result.fetchmany(size):
            yield rows
        return
    try:
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        result.close()


def _rows(conn: Connection, query: Any) -> Iterator[Any]:
    for batch in _batches(conn, query):
        yield from batch


def _naive_utc(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(UTC).replace(tzinfo=None)


def load_observations(conn: Connection) -> dict[str, list[ObservationFacts]]:
    """The observations the rules can tell apart, per account: of the ok crawls, the first and
    the last of each `complete_since` (crawls that share it prove one span together, the last
    one the widest), the last one with the latest post it saw; and every manual one (a person's
    latest post and weekly count). Crawled posts are in the posts table already. The last
    failures are loaded only for accounts that turn out unknown (`load_last_failures`)."""
    a, o = accounts.c, observations.c
    out: dict[str, list[ObservationFacts]] = defaultdict(list)
    latest_of_last = (
        select(_raw(o.latest_post_at))
        .where(o.account_id == a.id, _CRAWLED_OK)
        .order_by(o.at.desc())
        .limit(1)
        .scalar_subquery()
    )
    latest: dict[str, Any] = {
        account_id: value
        for account_id, value in _rows(
            conn, select(a.id, latest_of_last).where(a.in_ledger.is_(True))
        )
        if value is not None
    }
    # One scan of the partial covering index; accounts outside the ledger are never asked for.
    spans = (
        select(o.account_id, _raw(o.complete_since), _raw(func.min(o.at)), _raw(func.max(o.at)))
        .where(_CRAWLED_OK)
        .group_by(o.account_id, o.complete_since)
    )
    last_crawl: dict[str, tuple[Any, int]] = {}  # account → (its last crawl, index in out)
    for account_id, since, first_at, last_at in _rows(conn, spans):
        crawled = out[account_id]
        since_at = _aware(since)
        if first_at != last_at:
            crawled.append(
                ObservationFacts(at=_aware(first_at), outcome=Outcome.OK, complete_since=since_at)
            )
        crawled.append(
            ObservationFacts(at=_aware(last_at), outcome=Outcome.OK, complete_since=since_at)
        )
        seen = last_crawl.get(account_id)
        if seen is None or _naive(last_at) > _naive(seen[0]):
            last_crawl[account_id] = (last_at, len(crawled) - 1)
    # The account's last crawl carries the latest post it saw (the posts table holds it too,
    # unless it was recorded without).
    for account_id, value in latest.items():
        if account_id not in last_crawl:
            continue
        index = last_crawl[account_id][1]
        last = out[account_id][index]
        out[account_id][index] = ObservationFacts(
            at=last.at,
            outcome=Outcome.OK,
            latest_post_at=_aware(value),
            complete_since=last.complete_since,
        )
    manual = select(
        o.account_id, _raw(o.at), _raw(o.latest_post_at), o.posts_this_week, o.detail
    ).where(_MANUAL, o.outcome == Outcome.OK.value)
    for account_id, at, latest, n, detail in _rows(conn, manual):
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


def load_last_failures(
    conn: Connection, account_ids: Sequence[str] | None = None
) -> dict[str, ObservationFacts]:
    """Each account's latest failed observation (outcome other than ok), for all accounts or a
    few. Reads the partial index of failures, never the ok crawls."""
    o = observations.c
    failed = text(f"observations.outcome <> '{Outcome.OK.value}'")  # a literal: the index's
    latest = select(o.account_id, func.max(o.at).label("at")).where(failed)
    if account_ids is not None:
        latest = latest.where(o.account_id.in_(account_ids))
    latest_q = latest.group_by(o.account_id).subquery()
    query = (
        select(o.account_id, _raw(o.at), o.outcome, o.detail, o.source)
        .join(latest_q, (o.account_id == latest_q.c.account_id) & (o.at == latest_q.c.at))
        .where(failed)
        .order_by(o.account_id, o.id)
    )
    outcomes = {x.value: x for x in Outcome}
    out: dict[str, ObservationFacts] = {}
    for account_id, at, outcome, detail, source in _rows(conn, query):
        out[account_id] = ObservationFacts(
            at=_aware(at), outcome=outcomes[outcome], detail=detail, source=source
        )
    return out


def load_facts(
    conn: Connection, policy: Policy, *, upto: dt.datetime, since: dt.datetime | None = None
) -> Facts:
    """The facts the rules need for any time point in [`since`, `upto`], exactly.

    `since` (the earliest instant whose week counts are needed) narrows the posts read when the
    policy allows it (min_posts_per_week ≤ 1, see `iter_posts`). An account last seen before
    `since` − `stale_after_hours` gets all of its posts: its missed run walks back over unknown
    weeks, past the posts the window would leave out.
    """
    if policy.min_posts_per_week > 1:
        since = None
    observed = load_observations(conn)
    for account_id, failure in load_last_failures(conn).items():
        observed.setdefault(account_id, []).append(failure)
    posts_by_account = load_posts(conn, upto=upto, since=since)
    if since is not None:
        full = _needs_full_history(observed, since, policy)
        for account_id, instants in load_posts_of(conn, full, upto=upto).items():
            posts_by_account[account_id] = instants
        for account_id in full:
            posts_by_account.setdefault(account_id, [])
    return Facts(accounts=load_accounts(conn), posts=posts_by_account, observations=observed)


def _needs_full_history(
    observed: dict[str, list[ObservationFacts]], since: dt.datetime, policy: Policy
) -> list[str]:
    threshold = naive_utc(since) - dt.timedelta(hours=policy.stale_after_hours)
    return [
        account_id
        for account_id, obs in observed.items()
        if (last := _last_ok(obs)) is not None and last < threshold
    ]


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
    result = evaluate(engine, config, at)
    store_verdicts(engine, result, at.astimezone(UTC), now=dt.datetime.now(UTC))
    return result


def evaluate(engine: Engine, config: Config, at: dt.datetime) -> list[Verdict]:
    """Every account's verdict at T, computed from the store and stored nowhere."""
    if at.tzinfo is None:
        raise ValueError("evaluate: `at` must be an aware datetime")
    local = at.astimezone(config.tz)
    at_utc = at.astimezone(UTC)
    week_start = IsoWeek.containing(local, config.tz).start(config.tz)
    since = min(week_start, local - dt.timedelta(days=7))
    with bulk_allocation(), engine.connect() as conn:
        facts = load_facts(conn, config.policy, upto=at_utc, since=since)
        return compute(config, facts, local)


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


# What a stored verdict is compared on, to tell whether recomputing the same T changed it.
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
_LAST_POST = _COMPARED.index("last_post_at")
_BOOLS = (_COMPARED.index("flag_shutdown"), _COMPARED.index("relaunched"))


def _comparable(values: Sequence[Any]) -> tuple[Any, ...]:
    """A verdict's compared values in one form, whether read raw from the store or computed."""
    out = list(values)
    if out[_LAST_POST] is not None:
        out[_LAST_POST] = _naive(out[_LAST_POST])
    for i in _BOOLS:
        out[i] = bool(out[i])
    return tuple(out)


def store_verdicts(
    engine: Engine, result: Sequence[Verdict], at_utc: dt.datetime, *, now: dt.datetime
) -> int:
    """Upsert verdicts at T and add status changes; returns the number of changes recorded."""
    changes = 0
    with engine.begin() as conn:
        latest_at = conn.execute(select(func.max(verdicts.c.at))).scalar()
        forward = latest_at is None or at_utc >= _aware(latest_at)
        columns = [
            _raw(verdicts.c[name]) if name == "last_post_at" else verdicts.c[name]
            for name in _COMPARED
        ]
        existing: dict[str, tuple[int, tuple[Any, ...]]] = {}
        query = select(verdicts.c.account_id, verdicts.c.id, *columns).where(
            verdicts.c.at == at_utc
        )
        for rows in _batches(conn, query):
            for account_id, row_id, *values in rows:
                existing[account_id] = (row_id, _comparable(values))
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for v in result:
            row = _verdict_row(v, at_utc, now)
            old = existing.get(v.account_id)
            if old is None:
                inserts.append(row)
            elif old[1] != _comparable([row[name] for name in _COMPARED]):
                updates.append({**row, "b_id": old[0]})
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
    sc = status_changes.c
    latest = select(func.max(sc.id).label("id")).group_by(sc.account_id).subquery()
    query = select(sc.account_id, sc.new_status, sc.flag_shutdown, sc.relaunched).join(
        latest, sc.id == latest.c.id
    )
    statuses = {s.value: s for s in VerdictStatus}
    return {
        account_id: (statuses[status], bool(flag), bool(relaunched))
        for rows in _batches(conn, query)
        for account_id, status, flag, relaunched in rows
    }


def flagged_since(engine: Engine) -> dict[str, dt.datetime]:
    """For each account whose current state is flagged for shutdown, when the flag was raised:
    the status change that began its current run of flagged states."""
    sc = status_changes.c
    query = select(sc.account_id, _raw(sc.at), sc.flag_shutdown).order_by(sc.account_id, sc.id)
    out: dict[str, dt.datetime] = {}
    with engine.connect() as conn:
        for account_id, at, flag in _rows(conn, query):
            if not flag:
                out.pop(account_id, None)
            elif account_id not in out:
                out[account_id] = aware(_naive(at))
    return out


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
    """Week verdicts per account for `weeks` (computed, not stored), in account id order. With
    `at`, weeks starting after it are left out and the week holding it is judged at `at` (a
    week in progress). Posts are streamed: each account's are dropped once its weeks are judged.
    """
    grid = WeekGrid(sorted(weeks), config.tz)
    if not grid.weeks:
        return {}
    upto = aware(grid.ends[-1])
    if at is not None:
        upto = min(upto, at.astimezone(UTC))
    since = aware(grid.starts[0]) if config.policy.min_posts_per_week <= 1 else None
    policy, tz = config.policy, config.tz
    out: dict[str, list[WeekVerdict]] = {}
    with bulk_allocation(), engine.connect() as conn:
        by_id = {account.id: account for account in load_accounts(conn)}
        observed = load_observations(conn)

        # An account last seen before the first week walks back over unknown weeks whose posts
        # the window leaves out (see `load_facts`): it is judged on all of its posts.
        full_history = (
            [i for i in _needs_full_history(observed, since, policy) if i in by_id]
            if since is not None
            else []
        )

        def judge(account: AccountFacts, instants: list[dt.datetime]) -> None:
            timeline = Timeline(
                policy, account, instants, observed.get(account.id, ()), tz, presorted=True
            )
            out[account.id] = timeline.week_verdicts(grid, at)

        skip = set(full_history)
        for account_id, instants in iter_posts(conn, upto=upto, since=since):
            if account_id in by_id and account_id not in skip:
                judge(by_id[account_id], instants)
        for account_id, instants in load_posts_of(conn, full_history, upto=upto).items():
            judge(by_id[account_id], instants)
        for account_id, account in by_id.items():
            if account_id not in out:
                judge(account, [])
    return {account_id: out[account_id] for account_id in sorted(out)}


def _last_ok(observations: Sequence[ObservationFacts]) -> dt.datetime | None:
    """The latest ok observation, as a naive UTC instant."""
    ats = [o.at for o in observations if o.outcome is Outcome.OK]
    return naive_utc(max(ats)) if ats else None


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
