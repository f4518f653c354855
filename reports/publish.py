"""Render a report end to end: build its context, write its files, refresh the site, record it.

These are what the CLI and the cycle (issue 7) call. Each one writes every file atomically,
then records the report in the store's `reports` table (kind + period, re-rendering replaces),
so the cycle can tell from the store what is still due.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from registry.constants import ReportKind
from registry.i18n import _
from registry.models import Config
from registry.weeks import IsoWeek
from reports import build, site, writers
from reports.contexts import AccountRow, AnnualContext
from reports.files import write_text
from reports.notify.summary import notice_mail, weekly_mail
from reports.periods import Period
from reports.render import pct, render


@dataclass
class Rendered:
    """What one rendering wrote."""

    kind: ReportKind
    period: str
    files: dict[str, Path]
    main: Path
    account_pages: int = 0
    summary: dict[str, object] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step
    # The supervisors' mail about it, from the same context (reports/notify/summary.py).
    mail: Any = None


# From this many accounts on, the XLSX file (openpyxl's slowest output) is written by a forked
# child process, and the site's account pages are shared between the parent and a second child
# (every other account each), while the parent also writes the other formats.
PARALLEL_MIN_ACCOUNTS = 2000
PAGE_WORKERS = 2


def _forked(target: Callable[..., object], *args: object) -> Any:
    """Start `target(*args)` in a forked child (the context is inherited, not pickled), or
    return None where fork is unavailable."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    process = multiprocessing.get_context("fork").Process(target=target, args=args, daemon=True)
    process.start()
    return process


def _in_child(engine: Engine, target: Callable[..., object], *args: object) -> None:
    """`target(*args)` in a forked child. The child inherits the parent's pooled connections: it
    must neither use nor close them (SQLAlchemy's rule for os.fork), so its copy of the pool is
    dropped without closing anything, and the child reads nothing from the store. The parent
    keeps its own connections: it never reconnects mid-report, so the whole report reads one
    database even if the file at the store's path is replaced meanwhile."""
    engine.dispose(close=False)
    target(*args)


def _join(child: Any, what: Path) -> None:
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(
            _("writing {what} failed (exit {code})").format(what=what, code=child.exitcode)
        )


def _write_pages(out_dir: Path, inputs: build.SiteInputs, rows: Sequence[AccountRow]) -> int:
    """The account pages of `rows`, their weeks computed here (in whichever process runs it)."""
    return site.write_account_pages(out_dir, inputs.pages(rows))


class _AccountPages:
    """The site's account pages of one report. What they need from the store is read first,
    here; then every `workers`-th account goes to one process: this one and forked children."""

    def __init__(
        self, engine: Engine, config: Config, out_dir: Path, built: build.WeeklyBuild, workers: int
    ) -> None:
        self.out_dir = out_dir
        self.inputs = build.site_inputs(engine, config, built)
        self.own: list[list[AccountRow]] = []
        self.children: list[tuple[Any, int]] = []
        for index in range(workers):
            rows = self.inputs.shard(index, workers)
            child = None
            if index > 0:
                child = _forked(_in_child, engine, _write_pages, out_dir, self.inputs, rows)
            if child is None:
                self.own.append(rows)
            else:
                self.children.append((child, len(rows)))

    def write(self) -> int:
        """This process's share of the pages, and the account list; returns the pages written."""
        written = sum(_write_pages(self.out_dir, self.inputs, rows) for rows in self.own)
        ctx = self.inputs.context
        site.write_account_list(
            self.out_dir,
            build.report_rows(ctx),
            jurisdiction=ctx.jurisdiction,
            week=ctx.week,
            generated_at=ctx.generated_at,
        )
        return written

    def wait(self) -> int:
        """The children's pages, once they are written; returns how many."""
        written = 0
        for child, count in self.children:
            _join(child, self.out_dir / "accounts")
            written += count
        return written


def render_weekly(
    engine: Engine,
    config: Config,
    out_dir: Path,
    week: IsoWeek,
    *,
    now: dt.datetime,
    formats: Sequence[str] | None = None,
    account_pages: bool | None = None,
    parallel_min_accounts: int = PARALLEL_MIN_ACCOUNTS,
    logins: Path | None = None,
) -> Rendered:
    """The weekly report of `week` in `formats`, plus the site's index and account pages.

    Account pages show the latest week: they are rewritten when `week` is the newest weekly
    report in the folder (or when `account_pages` says so). Their weeks come from the same
    facts as the report, loaded once. From `parallel_min_accounts` accounts on, the XLSX file
    and half of the account pages are written by forked children while this process writes the
    rest."""
    formats = list(formats or config.reports.formats)
    unknown = sorted(set(formats) - set(writers.WEEKLY_FORMATS))
    if unknown:
        raise ValueError(
            _("unknown format {format!r}; use {formats}").format(
                format=unknown[0], formats=", ".join(writers.WEEKLY_FORMATS)
            )
        )
    latest = site.latest_weekly(out_dir)
    with_pages = bool(account_pages) or (
        account_pages is None and (latest is None or str(week) >= latest)
    )
    timings: dict[str, float] = {}
    started = time.perf_counter()
    built = build.build_weekly(
        engine, config, week, now=now, site_weeks=with_pages, store=False, logins=logins
    )
    ctx = built.context
    timings["build"] = time.perf_counter() - started
    folder = site.report_dir(out_dir, ReportKind.WEEKLY, ctx.week)
    folder.mkdir(parents=True, exist_ok=True)
    parallel = ctx.headline.monitored >= parallel_min_accounts
    children: list[Any] = []  # every forked child, joined before returning, whatever happens
    try:
        xlsx_child = None
        if "xlsx" in formats and parallel:
            xlsx_child = _forked(
                _in_child, engine, writers.write_weekly_xlsx, ctx, folder / "report.xlsx"
            )
            children.append(xlsx_child)
        started = time.perf_counter()
        built.store(engine)  # the verdicts at T, while the child writes
        timings["build (stored)"] = time.perf_counter() - started
        site_pages = None
        if with_pages:
            started = time.perf_counter()
            site_pages = _AccountPages(
                engine, config, out_dir, built, PAGE_WORKERS if parallel else 1
            )
            children += [child for child, _ in site_pages.children]
            timings["pages (facts)"] = time.perf_counter() - started
        files: dict[str, Path] = {}
        filings = site.filings_index(out_dir)
        filings_href = filings.relative_to(out_dir).as_posix() if filings else None
        for fmt in writers.WEEKLY_FORMATS:
            if fmt not in formats:
                continue
            started = time.perf_counter()
            target = folder / f"report.{fmt}"
            if fmt == "html":
                write_text(target, writers.weekly_html(ctx, filings_href=filings_href))
            elif fmt == "md":
                write_text(target, writers.weekly_markdown(ctx))
            elif fmt == "csv":
                writers.write_weekly_csv(ctx, target)
            elif fmt == "xlsx" and xlsx_child is None:
                writers.write_weekly_xlsx(ctx, target)
            files[fmt] = target
            if fmt != "xlsx" or xlsx_child is None:
                timings[fmt] = time.perf_counter() - started
        pages = 0
        if site_pages is not None:
            started = time.perf_counter()
            pages = site_pages.write()
            timings["pages"] = time.perf_counter() - started
            if site_pages.children:
                started = time.perf_counter()
                pages += site_pages.wait()
                timings["pages (waited)"] = time.perf_counter() - started
            del site_pages  # the report's facts: every post read
        if xlsx_child is not None:
            started = time.perf_counter()
            _join(xlsx_child, folder / "report.xlsx")
            timings["xlsx (waited)"] = time.perf_counter() - started
    finally:
        for child in children:
            child.join()
    summary = site.weekly_summary(ctx, files, now)
    site.write_summary(folder, summary)
    site.rebuild_index(out_dir, jurisdiction=config.jurisdiction, now=now)
    main = next(iter(files.values()))
    site.record_report(
        engine, ReportKind.WEEKLY, ctx.week, main, now, build.weekly_figures(ctx.headline)
    )
    return Rendered(
        ReportKind.WEEKLY, ctx.week, files, main, pages, summary, timings, weekly_mail(ctx)
    )


def summary_json(rendered: Rendered) -> str:
    return json.dumps(
        {
            "kind": rendered.kind.value,
            "period": rendered.period,
            "main": str(rendered.main),
            "files": {k: str(v) for k, v in rendered.files.items()},
            "account_pages": rendered.account_pages,
            **{
                k: v
                for k, v in rendered.summary.items()
                if k in ("pass_rate", "monitored", "failed")
            },
        },
        ensure_ascii=False,
        indent=2,
    )


def render_notice(
    engine: Engine,
    config: Config,
    out_dir: Path,
    period: Period,
    *,
    now: dt.datetime,
    issued_on: dt.date | None = None,
) -> Rendered:
    """The notice of a month or quarter: notice.docx, notice.html and its XLSX attachment."""
    from reports.notice import build_notice

    ctx = build_notice(engine, config, period, now=now, issued_on=issued_on)
    folder = site.report_dir(out_dir, ReportKind.NOTICE, ctx.period)
    files = {
        "html": write_text(folder / "notice.html", writers.notice_html(ctx)),
        "docx": writers.write_notice_docx(ctx, folder / "notice.docx"),
        "xlsx": writers.write_notice_xlsx(ctx, folder / "unqualified.xlsx"),
    }
    summary: dict[str, object] = {
        "kind": ReportKind.NOTICE.value,
        "period": ctx.period,
        "label": ctx.period_label + "通报",
        "line": (
            f"检查 {ctx.accounts_checked} 个，合格率 {pct(ctx.pass_rate)}，"
            f"不合格 {ctx.accounts_failed} 个，其他问题 {len(ctx.others)} 项"
        ),
        "labels": {"unqualified.xlsx": f"附件：{ctx.attachment_title}"},
        "pass_rate": ctx.pass_rate,
        "checked": ctx.accounts_checked,
        "failed": ctx.accounts_failed,
        "others": len(ctx.others),
        "rendered_at": now.isoformat(),
    }
    site.write_summary(folder, summary)
    site.rebuild_index(out_dir, jurisdiction=config.jurisdiction, now=now)
    figures = {
        "pass_rate": ctx.pass_rate,
        "failed": dict(ctx.named_failures),
        "cases": {"due": ctx.cases_due, "fixed": ctx.cases_fixed},
    }
    site.record_report(engine, ReportKind.NOTICE, ctx.period, files["docx"], now, figures)
    return Rendered(
        ReportKind.NOTICE, ctx.period, files, files["docx"], 0, summary, mail=notice_mail(ctx)
    )


def render_annual(
    engine: Engine, config: Config, out_dir: Path, year: int, *, now: dt.datetime
) -> tuple[Rendered, AnnualContext]:
    """The annual figures as JSON, Markdown and HTML."""
    from reports.annual import build_annual

    ctx = build_annual(engine, config, year, now=now)
    folder = site.report_dir(out_dir, ReportKind.ANNUAL, str(year))
    files = {
        "html": write_text(folder / "annual.html", render("annual.html.j2", ctx)),
        "md": write_text(folder / "annual.md", render("annual.md.j2", ctx)),
        "json": write_text(folder / "annual.json", annual_json(ctx) + "\n"),
    }
    summary: dict[str, object] = {
        "kind": ReportKind.ANNUAL.value,
        "period": str(year),
        "label": f"{year}年",
        "line": (
            f"年末账号 {ctx.accounts_at_year_end} 个，纳入国家、省监管平台 {ctx.units_supervised} 家"
            f"单位，新开设 {len(ctx.registrations)} 个，关停 {len(ctx.closures)} 个"
        ),
        "labels": {"annual.json": "JSON"},
        "rendered_at": now.isoformat(),
    }
    site.write_summary(folder, summary)
    site.rebuild_index(out_dir, jurisdiction=config.jurisdiction, now=now)
    site.record_report(engine, ReportKind.ANNUAL, str(year), files["json"], now)
    return Rendered(ReportKind.ANNUAL, str(year), files, files["json"], 0, summary), ctx


def annual_json(ctx: AnnualContext) -> str:
    return json.dumps(ctx.model_dump(mode="json"), ensure_ascii=False, indent=2)
