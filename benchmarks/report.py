"""Benchmark: the weekly report in every format for a large county (default 20,000 accounts).

Seeds a SQLite store with the compliance benchmark's seeder (benchmarks/check.py: the real
schema, ~3 posts a week per account, weekly crawl observations, a mix of zombie, veto, unknown and
closed accounts), then renders the report of the last closed week the way `govmedia report
weekly` does, timing each step:

- prepare (untimed): the eleven earlier weeks checked at their T, as the weekly cycle leaves the
  store (the trend then reads their stored verdicts);
- baseline: the account-detail rows written with a bare `csv.writer` (the least any format costs);
- report: `render_weekly` without the site pages: check at T (stored), trend, the week's runs,
  the context, then HTML, XLSX (in a forked child from 2,000 accounts), Markdown and CSV, with
  each step's seconds;
- site: the account pages, one per account with its last 26 weeks, and the account list.

It prints seconds, the ratio to the baseline and the peak RSS after each step, and the report's
total against the target (≤ 20 s).

    .venv/bin/python benchmarks/report.py                      # 20,000 accounts
    .venv/bin/python benchmarks/report.py --accounts 2000      # a quick run
    .venv/bin/python benchmarks/report.py --db /tmp/r.sqlite3 --keep   # reuse a seeded store
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.config import Config  # noqa: E402
from registry.store import open_store  # noqa: E402
from registry.verdicts import check  # noqa: E402
from reports import build, writers  # noqa: E402
from reports.publish import render_weekly  # noqa: E402

TARGET_SECONDS = 20.0


def _check_benchmark():
    """benchmarks/check.py as a module: its seeder and its T."""
    spec = importlib.util.spec_from_file_location("bench_check", ROOT / "benchmarks" / "check.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--weeks", type=int, default=30, help="Weeks of seeded posts.")
    parser.add_argument("--db", type=Path, help="SQLite file (default: a temporary one).")
    parser.add_argument("--out", type=Path, help="Output folder (default: a temporary one).")
    parser.add_argument("--keep", action="store_true", help="Reuse --db if it is already seeded.")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    bench = _check_benchmark()
    tmp = tempfile.TemporaryDirectory()
    db = args.db or Path(tmp.name) / "bench.sqlite3"
    out = args.out or Path(tmp.name) / "out"
    url = f"sqlite:///{db}"
    if not (args.keep and db.exists()):
        db.unlink(missing_ok=True)
        started = time.perf_counter()
        n_posts = bench.seed(url, args.accounts, args.weeks, 3.0, random.Random(args.seed))
        print(
            f"seeded {args.accounts:,} accounts, {n_posts:,} posts "
            f"in {time.perf_counter() - started:.1f} s"
        )
    engine = open_store(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM verdicts")
        conn.exec_driver_sql("DELETE FROM status_changes")
        conn.exec_driver_sql("DELETE FROM reports")
    config = Config.model_validate({"jurisdiction": "基准县"})
    now = bench.T
    week = build.last_closed_week(now, config.tz)

    # The store as the weekly cycle leaves it: each earlier week's report checked at its T.
    started = time.perf_counter()
    for earlier in week.back(config.reports.trend_weeks)[:-1]:
        check(engine, config, build.week_point(earlier, config.tz))
    print(
        f"{'prepare':8s} {time.perf_counter() - started:6.2f} s   (untimed) earlier weeks checked"
    )

    # Baseline: the account-detail rows through a bare csv.writer.
    built = build.build_weekly(engine, config, week, now=now)
    rows = list(writers.account_rows(built.context))
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(out.parent / "baseline.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header for c in writers.ACCOUNT_COLUMNS])
        for r in rows:
            writer.writerow([c.value(r) for c in writers.ACCOUNT_COLUMNS])
    base = time.perf_counter() - started
    print(
        f"{'baseline':8s} {base:6.2f} s   csv.writer, {len(rows):,} rows   "
        f"peak RSS {peak_rss_mb():6.0f} MB"
    )
    del built, rows

    def line(label: str, seconds: float, note: str = "") -> None:
        print(
            f"{label:8s} {seconds:6.2f} s  ({seconds / base:6.1f}× baseline)   "
            f"peak RSS {peak_rss_mb():6.0f} MB   {note}"
        )

    # The weekly report in every format (what `report weekly` renders), without the site pages.
    started = time.perf_counter()
    rendered = render_weekly(engine, config, out, week, now=now, account_pages=False)
    total = time.perf_counter() - started
    for step, seconds in rendered.timings.items():
        line(step, seconds)
    for fmt, path in rendered.files.items():
        print(f"         {fmt:5s} {path.stat().st_size / 1e6:6.1f} MB")
    verdict = "ok" if total <= TARGET_SECONDS else "SLOW"
    line("report", total, f"target ≤ {TARGET_SECONDS:.0f} s: {verdict}")

    # The site's account pages: one per account with its last 26 weeks.
    started = time.perf_counter()
    rendered = render_weekly(engine, config, out, week, now=now, formats=["md"], account_pages=True)
    seconds = time.perf_counter() - started
    line("site", seconds, f"{rendered.account_pages:,} account pages (with a re-render of the md)")
    engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
