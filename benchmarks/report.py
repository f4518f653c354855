"""Benchmark: `govmedia report weekly` as a user runs it, for a county of 20,000 accounts.

First what the user runs: a generated 20,000-account ledger (benchmarks/check.py's `county`:
config.yaml, its SQLite store and a year of posts and weekly crawl observations) and the
command `govmedia report weekly` in a subprocess, start-up to exit, every format and the site's
account pages, for the last closed week at T:

- baseline: `govmedia check --json` at the same point (start-up, the ledger, the same facts and
  rules, no report), in a subprocess;
- report, fresh: into an empty output folder (every account page written), --repeat times;
- report, re-run: the same week again into the same folder (as a cycle that renders twice):
  only the pages whose content changed are written (none here).

Then the steps inside, in this process on a store seeded without a ledger (`--db`), as before:

- prepare (untimed): the eleven earlier weeks checked at their T, as the weekly cycle leaves the
  store (the trend then reads their stored counts);
- baseline: the account-detail rows written with a bare `csv.writer` (the least any format costs);
- XLSX: the workbook as the report writes it (xlsxwriter, constant_memory mode) beside the
  same sheets through openpyxl's write-only mode (how it was written before);
- report, every format: `render_weekly` without the site's account pages;
- report + site pages: `render_weekly` for the newest week, which also writes the site's account
  pages, shared between the parent and a second forked child.

For each it prints every step's seconds, the total, the CPU seconds of the parent and of the
children and the peak RSS. It checks what it timed: one account page per account monitored,
every format written, and the store file still the one it opened (two benchmark runs sharing one
`--db` path once replaced each other's store mid-run, and a report printed "0 account pages":
see `--db`). Targets: the command ≤ 20 s.

    .venv/bin/python benchmarks/report.py                      # 20,000 accounts
    .venv/bin/python benchmarks/report.py --accounts 2000      # a quick run
    .venv/bin/python benchmarks/report.py --dir /tmp/county --db /tmp/r.sqlite3 --keep  # reuse
"""

from __future__ import annotations

import argparse
import csv
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

from registry.models import Config  # noqa: E402
from registry.store import open_store  # noqa: E402
from registry.verdicts import check  # noqa: E402
from reports import build, writers  # noqa: E402
from reports.publish import PARALLEL_MIN_ACCOUNTS, render_weekly  # noqa: E402

TARGET_SECONDS = 20.0


def _check_benchmark():
    """benchmarks/check.py as a module: its seeder and its T."""
    spec = importlib.util.spec_from_file_location("bench_check", ROOT / "benchmarks" / "check.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def open_seeded(args: argparse.Namespace, bench, db: Path) -> None:
    """Seed `db`, or reuse it with --keep after checking it holds the accounts asked for.

    A path given with --db is never deleted: another run may be using it (a second benchmark
    that deleted and re-seeded a shared path once left a running report reading an empty
    store)."""
    if db.exists():
        if not args.keep:
            fail(f"{db} exists: pass --keep to reuse it, or remove it first")
        engine = open_store(f"sqlite:///{db}")
        with engine.connect() as conn:
            n = conn.exec_driver_sql("SELECT count(*) FROM accounts WHERE in_ledger").scalar()
        engine.dispose()
        if n != args.accounts:
            fail(f"{db} holds {n:,} accounts, not {args.accounts:,}: seed a new file")
        return
    started = time.perf_counter()
    n_posts = bench.seed(
        f"sqlite:///{db}", args.accounts, args.weeks, 3.0, random.Random(args.seed)
    )
    print(
        f"seeded {args.accounts:,} accounts, {n_posts:,} posts "
        f"in {time.perf_counter() - started:.1f} s"
    )


def openpyxl_weekly(ctx, target: Path) -> None:  # noqa: ANN001 - a WeeklyContext
    """The weekly workbook as it was written before xlsxwriter: openpyxl's write-only mode
    through `writers.SheetWriter` (measured beside `writers.write_weekly_xlsx`)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    summary = writers.SheetWriter(workbook, "汇总", writers.SUMMARY_COLUMNS)
    summary.ws.column_dimensions["A"].width = 36
    summary.ws.column_dimensions["B"].width = 24
    summary.write([])
    formats = {"datetime": writers.DATETIME_FORMAT, "percent": "0.0%", "date": writers.DATE_FORMAT}
    for label, value, kind in writers._summary_rows(ctx):
        cell = WriteOnlyCell(summary.ws, value=value if value is not None else "—")
        if writers.formula_like(value):
            cell = writers._xlsx_value(summary.ws, value)
        elif kind in formats and value is not None:
            cell.number_format = formats[kind]
        summary.ws.append([writers._xlsx_value(summary.ws, label), cell])
    writers.SheetWriter(workbook, "账号明细", writers.ACCOUNT_COLUMNS).write(
        writers.account_rows(ctx)
    )
    writers.SheetWriter(workbook, "问题清单", writers.PROBLEM_COLUMNS).write(
        writers.problem_rows(ctx)
    )
    writers.SheetWriter(workbook, "关停跟踪", writers.SHUTDOWN_COLUMNS).write(
        writers.shutdown_rows(ctx)
    )
    workbook.save(target)


def command_runs(args: argparse.Namespace, bench, root: Path) -> list[float]:
    """`govmedia report weekly` in a subprocess on a county with a year of data: returns the
    seconds of the fresh runs."""
    ledger = bench._ledger_benchmark()
    folder = args.dir or root / "county"
    path = bench.county(folder, args.accounts, args.weeks)
    url = f"sqlite:///{folder / 'data' / 'bench.sqlite3'}"
    config = Config.model_validate({"jurisdiction": "基准县"})
    week = build.last_closed_week(bench.T, config.tz)
    point = build.week_point(week, config.tz)
    command = ledger.govmedia_command()
    print(
        f"command: govmedia report weekly -c {path.name} --week {week} (every format and the "
        f"site's account pages), {args.accounts:,} accounts, {args.weeks} weeks of posts"
    )

    def fresh_store() -> None:
        bench.clear_verdicts(url)
        engine = open_store(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM reports")
        engine.dispose()

    def run(label: str, argv: list[str], note: str = "") -> float:
        seconds, cpu, rss, done = ledger.run_measured([*command, *argv])
        if done.returncode != 0:
            fail(f"{' '.join(argv[:3])} exited {done.returncode}: {done.stderr[-2000:]}")
        ratio = f"({seconds / base:5.1f}× baseline)" if base else ""
        print(
            f"  {label:22s} {seconds:6.2f} s {ratio:18s} cpu {cpu:5.1f} s   "
            f"peak RSS {rss:4.0f} MB (largest child)   {note}"
        )
        return seconds

    base = 0.0
    fresh_store()
    base = run(
        "baseline: check --json", ["check", "-c", str(path), "--at", point.isoformat(), "--json"]
    )
    now = ["--now", bench.T.isoformat(), "--week", str(week)]
    fresh: list[float] = []
    out = root / "report-out-0"
    for index in range(1, args.repeat + 1):
        fresh_store()
        out = root / f"report-out-{index}"
        fresh.append(
            run(
                f"report, fresh ({index})",
                ["report", "weekly", "-c", str(path), "--out", str(out), *now],
                "every page written",
            )
        )
    pages = sorted((out / "accounts").glob("*.html"))
    before = {p: p.stat().st_ino for p in pages}
    run("report, re-run", ["report", "weekly", "-c", str(path), "--out", str(out), *now])
    rewritten = sum(p.stat().st_ino != inode for p, inode in before.items())
    print(f"  {'':22s} the re-run rewrote {rewritten:,} of {len(pages):,} files in accounts/")
    if len(pages) != args.accounts + 1:
        fail(f"{len(pages):,} files in accounts/ for {args.accounts:,} accounts and the list")
    return fresh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--weeks", type=int, default=52, help="Weeks of seeded posts.")
    parser.add_argument(
        "--dir", type=Path, help="Folder of the command's county (default: temporary); reused."
    )
    parser.add_argument(
        "--db", type=Path, help="SQLite file (default: a temporary one); never deleted."
    )
    parser.add_argument("--out", type=Path, help="Output folder (default: a temporary one).")
    parser.add_argument("--keep", action="store_true", help="Reuse --db (it must be seeded).")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=2, help="Run and render the report N times.")
    parser.add_argument(
        "--parallel-min-accounts",
        type=int,
        default=PARALLEL_MIN_ACCOUNTS,
        help="Fork the XLSX and page writers from this many accounts (as render_weekly does).",
    )
    args = parser.parse_args()

    bench = _check_benchmark()
    tmp = tempfile.TemporaryDirectory()
    commands = command_runs(args, bench, Path(tmp.name))
    print()
    print("steps, in this process:")
    db = args.db or Path(tmp.name) / "bench.sqlite3"
    out = args.out or Path(tmp.name) / "out"
    open_seeded(args, bench, db)
    inode = os.stat(db).st_ino
    engine = open_store(f"sqlite:///{db}")
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
    monitored = len(rows)
    del rows
    for name, write in (
        ("openpyxl (write_only, before)", openpyxl_weekly),
        ("xlsxwriter (constant_memory, writers.write_weekly_xlsx)", writers.write_weekly_xlsx),
    ):
        target = out.parent / f"{name.split()[0]}.xlsx"
        started = time.perf_counter()
        write(built.context, target)
        seconds = time.perf_counter() - started
        size = target.stat().st_size / 1e6
        print(
            f"{'xlsx':8s} {seconds:6.2f} s   ({seconds / base:6.1f}× baseline)   {name}, {size:.1f} MB"
        )
    del built

    def render(label: str, account_pages: bool) -> float:
        """One `render_weekly`, its steps, total, CPU seconds and peak RSS; checks its output."""
        cpu_self = cpu_seconds(resource.RUSAGE_SELF)
        cpu_children = cpu_seconds(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        rendered = render_weekly(
            engine,
            config,
            out,
            week,
            now=now,
            account_pages=account_pages,
            parallel_min_accounts=args.parallel_min_accounts,
        )
        total = time.perf_counter() - started
        cpu_self = cpu_seconds(resource.RUSAGE_SELF) - cpu_self
        cpu_children = cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_children
        print(label)
        for step, seconds in rendered.timings.items():
            note = ""
            if step == "pages":
                note = f"{rendered.account_pages:,} account pages (last 26 weeks each) and the list"
            elif step == "xlsx (waited)":
                note = "the forked child's XLSX, after the parent's work"
            print(f"  {step:14s} {seconds:6.2f} s  ({seconds / base:6.1f}× baseline)   {note}")
        sizes = ", ".join(f"{f} {p.stat().st_size / 1e6:.1f} MB" for f, p in rendered.files.items())
        print(f"  {'files':14s} {sizes}")
        print(
            f"  {'total':14s} {total:6.2f} s  ({total / base:6.1f}× baseline)   "
            f"cpu: parent {cpu_self:5.1f} s, children {cpu_children:5.1f} s   "
            f"peak RSS: parent {peak_rss_mb():4.0f} MB, largest child "
            f"{peak_rss_mb(resource.RUSAGE_CHILDREN):4.0f} MB"
        )
        expected = monitored if account_pages else 0
        if rendered.account_pages != expected:
            fail(f"{rendered.account_pages:,} account pages for {expected:,} expected")
        if sorted(rendered.files) != sorted(writers.WEEKLY_FORMATS):
            fail(f"formats written: {sorted(rendered.files)}")
        return total

    # A: the weekly report in every format, as `report weekly` renders a week that is not the
    # newest; B: the newest week, which also writes the site's account pages.
    reports, with_pages = [], []
    for run in range(1, args.repeat + 1):
        suffix = f" (run {run})" if args.repeat > 1 else ""
        reports.append(render(f"report: every format{suffix}", account_pages=False))
        with_pages.append(render(f"report + site pages{suffix}", account_pages=True))
    print(f"in process, report in every format: {', '.join(f'{t:.2f}' for t in reports)} s")
    print(
        f"in process, with the site's account pages: {', '.join(f'{t:.2f}' for t in with_pages)} s"
    )
    over = sum(t > TARGET_SECONDS for t in commands)
    verdict = "ok" if not over else f"SLOW in {over} of {len(commands)}"
    print(
        f"govmedia report weekly (fresh, start-up to exit): "
        f"{', '.join(f'{t:.2f}' for t in commands)} s   target ≤ {TARGET_SECONDS:.0f} s: "
        f"{verdict}   (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    if not db.exists() or os.stat(db).st_ino != inode:
        fail(f"{db} was replaced by another process during the run: figures are void")
    engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
