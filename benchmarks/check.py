"""Benchmark: `govmedia check` as a user runs it, on a county of 20,000 accounts.

Writes a varied 20,000-account ledger (benchmarks/ledger.py's generator) as config.yaml, syncs it
into its SQLite store (the real schema, through `open_store`) and seeds a year of posts (about 3 a
week each, ≈ 3M rows) and weekly crawl observations: a mix of ok, zombie, veto and unknown
accounts. Then it times, in this process:

- baseline: a bare `SELECT account_id, published_at FROM posts` fetched to the end;
- rules: `registry.verdicts.check` at T (compute and store every verdict, status changes);

and, each in a subprocess, start-up to exit, with the stored verdicts cleared before each run so
every run does the whole work:

- start-up: `govmedia --help` (the interpreter and the command line, no work);
- check: `govmedia check --at T` (default output: the problems and the counts) — target ≤ 5 s;
- check --json, check --all (every row);

printing seconds, the ratio to the rules' in-process seconds, the child's CPU seconds, its peak
RSS and how many lines it printed. `--repeat N` runs each command N times (a range).
`--history` also times `weekly_history` for the 52 weeks ending with T's week (target ≤ 30 s).

    .venv/bin/python benchmarks/check.py                   # 20,000 accounts (seeding ≈ 1 min)
    .venv/bin/python benchmarks/check.py --accounts 2000   # a quick run
    .venv/bin/python benchmarks/check.py --dir /tmp/county # seed once, reuse on later runs
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.config import load_config, store_url  # noqa: E402
from registry.constants import LOCAL_TZ  # noqa: E402
from registry.store import open_store, sync_ledger  # noqa: E402
from registry.verdicts import check, weekly_history  # noqa: E402
from registry.weeks import IsoWeek  # noqa: E402

T = dt.datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)
BATCH = 100_000


def _ts(epoch: float) -> str:
    """An instant as SQLAlchemy stores a DateTime in SQLite (naive UTC, microseconds)."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(
    url: str,
    n_accounts: int,
    weeks: int,
    per_week: float,
    rng: random.Random,
    account_ids: list[str] | None = None,
) -> int:
    """Fill the store with raw executemany batches. Returns the number of posts.

    With `account_ids` (accounts a ledger sync already registered) only their posts and
    observations are added."""
    engine = open_store(url)
    raw = engine.raw_connection()
    cur = raw.cursor()
    t_end = T.timestamp()
    t_start = t_end - weeks * 7 * 86400
    synced = _ts(t_start)
    n_departments = max(1, n_accounts // 10)
    if account_ids is None:
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
        account_id = account_ids[i] if account_ids is not None else f"a{i:05d}"
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
    if account_ids is None:
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


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _ledger_benchmark():
    """benchmarks/ledger.py as a module: its ledger generator."""
    spec = importlib.util.spec_from_file_location("bench_ledger", ROOT / "benchmarks" / "ledger.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def county(folder: Path, n_accounts: int, weeks: int, seed_value: int = 2026) -> Path:
    """folder/config.yaml (a generated ledger of `n_accounts`) and its store after `weeks` of
    crawls; an existing one with as many accounts is reused. Returns the config path."""
    path = folder / "config.yaml"
    if path.exists():
        loaded = load_config(path, today=T.date())
        n = sum(1 for _ in loaded.config.iter_accounts())
        if n != n_accounts:
            sys.exit(f"error: {path} holds {n:,} accounts, not {n_accounts:,}: use a new --dir")
        return path
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    path.write_text(_ledger_benchmark().generate(n_accounts), "utf-8")
    loaded = load_config(path, today=T.date())
    url = store_url(loaded)
    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = open_store(url)
    sync_ledger(engine, loaded.config, now=T - dt.timedelta(weeks=weeks))
    engine.dispose()
    ids = [account.id for _, account in loaded.config.iter_accounts()]
    n_posts = seed(url, len(ids), weeks, 3.0, random.Random(seed_value), account_ids=ids)
    print(
        f"county: {len(ids):,} accounts and {n_posts:,} posts written "
        f"in {time.perf_counter() - started:.1f} s  ({path})"
    )
    return path


def clear_verdicts(url: str) -> None:
    engine = open_store(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM verdicts")
        conn.exec_driver_sql("DELETE FROM status_changes")
    engine.dispose()


def run_command(args: list[str], url: str | None) -> tuple[float, float, float, int]:
    """One subprocess run, start-up to exit: (seconds, its CPU seconds, its peak RSS in MB,
    lines printed)."""
    if url is not None:
        clear_verdicts(url)
    ledger = _ledger_benchmark()
    seconds, cpu, rss, done = ledger.run_measured(
        ledger.govmedia_command() + args, env={**os.environ, "COLUMNS": "160"}
    )
    if done.returncode != 0:
        sys.exit(f"error: govmedia {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return seconds, cpu, rss, done.stdout.count("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--weeks", type=int, default=52, help="Weeks of posts and of history.")
    parser.add_argument(
        "--dir", type=Path, help="Folder of the county (default: a temporary one); reused."
    )
    parser.add_argument("--repeat", type=int, default=2, help="Runs of each command.")
    parser.add_argument("--history", action="store_true", help="Also time 52 weekly verdicts.")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    tmp = None
    if args.dir is None:
        tmp = tempfile.TemporaryDirectory()
        args.dir = Path(tmp.name)
    path = county(args.dir, args.accounts, args.weeks, args.seed)
    loaded = load_config(path, today=T.date())
    config = loaded.config
    url = store_url(loaded)
    clear_verdicts(url)
    engine = open_store(url)

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
    print(f"baseline   bare scan of {n:,} posts: {baseline:6.2f} s")

    started = time.perf_counter()
    verdicts = check(engine, config, T)
    rules = time.perf_counter() - started
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.status.value] = counts.get(v.status.value, 0) + 1
    flagged = sum(v.flag_shutdown for v in verdicts)
    print(
        f"rules      registry.verdicts.check in process: {rules:6.2f} s "
        f"({rules / baseline:4.1f}× the bare scan)   {len(verdicts):,} verdicts {counts}, "
        f"{flagged} flagged   peak RSS {peak_rss_mb():5.0f} MB"
    )
    engine.dispose()

    at = ["-c", str(path), "--at", T.isoformat()]
    commands = [
        ("start-up", ["--help"], None),
        ("check", ["check", *at], 5.0),
        ("check --json", ["check", *at, "--json"], None),
        ("check --all", ["check", *at, "--all"], None),
    ]
    print(f"commands   each start-up to exit in a subprocess, {args.repeat} run(s):")
    met = True
    for label, command, target in commands:
        runs = [
            run_command(command, None if label == "start-up" else url) for _ in range(args.repeat)
        ]
        seconds = [r[0] for r in runs]
        span = f"{min(seconds):5.2f}–{max(seconds):5.2f} s"
        ratio = f"{min(seconds) / rules:4.1f}–{max(seconds) / rules:4.1f}× rules"
        cpu = f"cpu {min(r[1] for r in runs):5.2f}–{max(r[1] for r in runs):5.2f} s"
        rss = f"peak RSS {max(r[2] for r in runs):4.0f} MB"
        verdict = ""
        if target is not None:
            ok = max(seconds) <= target
            met = met and ok
            verdict = f"   target ≤ {target:.0f} s: {'ok' if ok else 'SLOW'}"
        print(f"  {label:13s} {span}  ({ratio})  {cpu}  {rss}  {runs[0][3]:6,} lines{verdict}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    if args.history:
        engine = open_store(url)
        started = time.perf_counter()
        weeks = IsoWeek.containing(T).back(args.weeks)
        history = weekly_history(engine, config, weeks, at=T)
        seconds = time.perf_counter() - started
        n_weeks = sum(len(v) for v in history.values())
        print(
            f"history    weekly_history, {args.weeks} weeks: {seconds:6.2f} s "
            f"({seconds / baseline:4.1f}× the bare scan, target ≤ 30 s)   {n_weeks:,} week verdicts"
        )
        engine.dispose()
    if tmp is not None:
        tmp.cleanup()
    if not met:
        print("target NOT met on this run")


if __name__ == "__main__":
    main()
