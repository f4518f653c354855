"""Benchmark: `check` at T and 52 weekly verdicts on a large store.

Seeds a SQLite store (the real schema, through `open_store`) with N accounts (default 20,000),
a year of posts (about 3 a week each, ≈ 3M rows) and weekly crawl observations, then times:

- baseline: a bare `SELECT account_id, published_at FROM posts` fetched to the end;
- check: `registry.verdicts.check` at T (compute and store every verdict, status changes);
- check again at the same T (idempotent: nothing changes);
- weeks: `registry.verdicts.weekly_history` for the 52 weeks ending with T's week.

It prints seconds, the ratio to the baseline and the peak RSS after each step. Targets: check
≤ 5 s, 52 weeks ≤ 30 s.

    .venv/bin/python benchmarks/check.py                  # 20,000 accounts (seeding takes a while)
    .venv/bin/python benchmarks/check.py --accounts 2000  # a quick run
    .venv/bin/python benchmarks/check.py --db /tmp/bench.sqlite3 --keep   # reuse the seeded store
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.constants import LOCAL_TZ  # noqa: E402
from registry.models import Config  # noqa: E402
from registry.store import open_store  # noqa: E402
from registry.verdicts import check, weekly_history  # noqa: E402
from registry.weeks import IsoWeek  # noqa: E402

T = dt.datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)
BATCH = 100_000


def _ts(epoch: float) -> str:
    """An instant as SQLAlchemy stores a DateTime in SQLite (naive UTC, microseconds)."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(url: str, n_accounts: int, weeks: int, per_week: float, rng: random.Random) -> int:
    """Fill the store with raw executemany batches. Returns the number of posts."""
    engine = open_store(url)
    raw = engine.raw_connection()
    cur = raw.cursor()
    t_end = T.timestamp()
    t_start = t_end - weeks * 7 * 86400
    synced = _ts(t_start)
    n_departments = max(1, n_accounts // 10)
    cur.executemany(
        "INSERT INTO departments (id, name, level, contact, in_ledger, synced_at) "
        "VALUES (?, ?, 'department', NULL, 1, ?)",
        [(f"d{i:05d}", f"第{i}局", synced) for i in range(n_departments)],
    )
    account_rows = []
    post_rows: list[tuple] = []
    obs_rows: list[tuple] = []
    n_posts = 0
    key = 0
    for i in range(n_accounts):
        account_id = f"a{i:05d}"
        roll = rng.random()
        status, data = "active", '{"status": "active"}'
        stop = t_end  # when the account stops posting
        failing = False
        if roll < 0.03:
            stop = t_end - rng.uniform(95, 200) * 86400  # zombie
        elif roll < 0.08:
            stop = t_end - rng.uniform(15, 60) * 86400  # veto, some flagged
        elif roll < 0.10:
            failing = True  # recent crawls blocked: unknown
        elif roll < 0.11:
            status = "closed"
            data = (
                '{"status": "closed", "closure": {"reason": "无力维护", "approved_on": '
                '"2026-05-01", "deregistered_on": "2026-06-01", "filed_on": "2026-06-03"}}'
            )
        account_rows.append(
            (
                account_id,
                f"d{i % n_departments:05d}",
                f"账号{i}",
                "weibo",
                "weibo",
                str(1000000 + i),
                status,
                "2019-01-01",
                "2019-02-01",
                1,
                1,
                "张三",
                "13800000000",
                None,
                data,
                1,
                synced,
                synced,
            )
        )
        # Posts: a Poisson-ish stream at `per_week` a week until `stop`.
        rate = per_week / (7 * 86400)
        t = t_start + rng.expovariate(rate)
        while t < stop:
            key += 1
            stamp = _ts(t)
            post_rows.append((account_id, f"k{key}", stamp, "标题", 0, stamp))
            n_posts += 1
            t += rng.expovariate(rate)
        # Weekly ok crawls, each seeing the latest post; recent ones fail for `failing` accounts.
        last_post = None
        for w in range(weeks):
            at = t_start + (w + 1) * 7 * 86400 - rng.uniform(0, 86400)
            outcome = "blocked" if failing and at > t_end - 10 * 86400 else "ok"
            obs_rows.append((account_id, "weibo", _ts(at), outcome, last_post, 10, None))
        if len(post_rows) >= BATCH:
            _flush_posts(cur, post_rows)
        if len(obs_rows) >= BATCH:
            _flush_obs(cur, obs_rows)
    cur.executemany(
        "INSERT INTO accounts (id, department_id, name, platform, source, identifier, status, "
        "opened_on, filed_on, national, provincial, owner_name, owner_phone, owner_email, data, "
        "in_ledger, first_synced_at, synced_at) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        account_rows,
    )
    _flush_posts(cur, post_rows)
    _flush_obs(cur, obs_rows)
    raw.commit()
    cur.execute("ANALYZE")
    raw.commit()
    raw.close()
    engine.dispose()
    return n_posts


def _flush_posts(cur, rows: list[tuple]) -> None:
    cur.executemany(
        "INSERT INTO posts (account_id, post_key, published_at, title, pinned, first_seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    rows.clear()


def _flush_obs(cur, rows: list[tuple]) -> None:
    cur.executemany(
        "INSERT INTO observations (account_id, source, at, outcome, latest_post_at, posts_seen, "
        "detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    rows.clear()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--weeks", type=int, default=52, help="Weeks of posts and of history.")
    parser.add_argument("--posts-per-week", type=float, default=3.0)
    parser.add_argument("--db", type=Path, help="SQLite file (default: a temporary one).")
    parser.add_argument(
        "--keep", action="store_true", help="Reuse --db, which must already be seeded."
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory()
        args.db = Path(tmp.name) / "bench.sqlite3"
    url = f"sqlite:///{args.db}"
    if args.db.exists() and not args.keep:
        parser.error(f"{args.db} exists; pass --keep to reuse it (it is never deleted)")
    if not args.db.exists():
        started = time.perf_counter()
        n_posts = seed(
            url, args.accounts, args.weeks, args.posts_per_week, random.Random(args.seed)
        )
        print(
            f"seeded {args.accounts:,} accounts, {n_posts:,} posts "
            f"in {time.perf_counter() - started:.1f} s"
        )
    engine = open_store(url)
    config = Config.model_validate({"jurisdiction": "基准县"})
    with engine.connect() as conn:
        conn.exec_driver_sql("DELETE FROM verdicts")
        conn.exec_driver_sql("DELETE FROM status_changes")
        conn.commit()

    # The floor: the driver fetching the two columns the rules read, no Python work per row.
    started = time.perf_counter()
    raw = engine.raw_connection()
    cursor = raw.cursor()
    cursor.execute("SELECT account_id, published_at FROM posts")
    n = 0
    while rows := cursor.fetchmany(50_000):
        n += len(rows)
    raw.close()
    baseline = time.perf_counter() - started
    print(
        f"baseline  bare scan of {n:,} posts: {baseline:6.2f} s   peak RSS {peak_rss_mb():7.0f} MB"
    )

    def timed(label: str, target: float, fn) -> None:
        started = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - started
        verdict = "ok" if seconds <= target else "SLOW"
        print(
            f"{label:9s} {seconds:6.2f} s  ({seconds / baseline:5.1f}× baseline, target ≤ "
            f"{target:.0f} s: {verdict})   peak RSS {peak_rss_mb():7.0f} MB   {result}"
        )

    def run_check() -> str:
        verdicts = check(engine, config, T)
        counts: dict[str, int] = {}
        for v in verdicts:
            counts[v.status.value] = counts.get(v.status.value, 0) + 1
        flagged = sum(v.flag_shutdown for v in verdicts)
        return f"{len(verdicts):,} verdicts {counts}, {flagged} flagged"

    def run_weeks() -> str:
        weeks = IsoWeek.containing(T).back(args.weeks)
        history = weekly_history(engine, config, weeks, at=T)
        n_weeks = sum(len(v) for v in history.values())
        return f"{n_weeks:,} week verdicts"

    timed("check", 5, run_check)
    timed("re-check", 5, run_check)
    timed("weeks", 30, run_weeks)
    engine.dispose()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
