"""The output folder as a static site, and the `reports` table that says what was rendered.

Layout (relative to `output_dir`):

    index.html                       every report present, newest first
    weekly/2026-W48/report.html      the weekly report (also .xlsx .md .csv) and summary.json
    notices/2026-11/notice.html      the notice (also notice.docx, unqualified.xlsx), summary.json
    annual/2026/annual.html          the annual figures (also annual.json, annual.md)
    accounts/index.html              the account list
    accounts/<id>.html               one page per account: its last 26 weeks
    filings/index.html               the closure filings (reports/filings.py), one folder per account

The index is rebuilt from the files present, so a folder copied elsewhere, or pruned by hand,
still lists exactly what it holds.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from registry.constants import LOCAL_TZ, ReportKind
from registry.store import reports as reports_table
from reports.contexts import (
    AccountLink,
    AccountListContext,
    AccountPageContext,
    AccountRow,
    FormatLink,
    IndexContext,
    IndexEntry,
)
from reports.files import write_text
from reports.render import environment, fields, pct, render
from reports.writers import FORMAT_LABELS

SUMMARY_FILE = "summary.json"
KIND_DIRS: dict[ReportKind, str] = {
    ReportKind.WEEKLY: "weekly",
    ReportKind.NOTICE: "notices",
    ReportKind.ANNUAL: "annual",
}
MAIN_FILES: dict[ReportKind, str] = {
    ReportKind.WEEKLY: "report",
    ReportKind.NOTICE: "notice",
    ReportKind.ANNUAL: "annual",
}


def report_dir(out_dir: Path, kind: ReportKind, period: str) -> Path:
    return out_dir / KIND_DIRS[kind] / period


FILINGS_DIR = "filings"


def filings_index(out_dir: Path) -> Path | None:
    """The closure filings' index under the site root, when `govmedia filings` wrote one."""
    index = out_dir / FILINGS_DIR / "index.html"
    return index if index.is_file() else None


def account_page(account_id: str) -> str:
    """An account page's path relative to the site root."""
    return f"accounts/{account_id}.html"


# ---------------------------------------------------------------------------------------------
# The reports table


def record_report(
    engine: Engine,
    kind: ReportKind,
    period: str,
    path: Path,
    rendered_at: dt.datetime,
    figures: dict[str, Any] | None = None,
) -> None:
    """Record (or replace) a rendered report: one row per kind and period, with what it said
    (`figures`). What its first rendering said, and when, is kept across re-renderings: that is
    what was published (`published_report`)."""
    where = (reports_table.c.kind == kind.value) & (reports_table.c.period == period)
    with engine.begin() as conn:
        old = conn.execute(select(reports_table).where(where)).first()
        first_at, first = rendered_at, figures
        if old is not None and (old.first_figures is not None or old.figures is not None):
            first_at = old.first_rendered_at or old.rendered_at
            first = old.first_figures if old.first_figures is not None else old.figures
        conn.execute(reports_table.delete().where(where))
        conn.execute(
            reports_table.insert().values(
                kind=kind.value,
                period=period,
                path=str(path.resolve()),
                rendered_at=rendered_at,
                figures=figures,
                first_rendered_at=first_at,
                first_figures=first,
            )
        )


@dataclass(frozen=True)
class Published:
    """What a report said when it was first rendered (published), and when."""

    period: str
    at: dt.datetime
    figures: dict[str, Any]


def published_report(engine: Engine, kind: ReportKind, period: str) -> Published | None:
    """The first rendering of a report, if it was recorded with its figures."""
    r = reports_table.c
    with engine.connect() as conn:
        row = conn.execute(
            select(r.period, r.first_rendered_at, r.first_figures).where(
                (r.kind == kind.value) & (r.period == period)
            )
        ).first()
    if row is None or row.first_figures is None or row.first_rendered_at is None:
        return None
    return Published(row.period, row.first_rendered_at, row.first_figures)


def issued_periods(engine: Engine, kind: ReportKind) -> list[str]:
    """The periods of every recorded report of `kind` (e.g. every notice issued)."""
    r = reports_table.c
    with engine.connect() as conn:
        return list(conn.execute(select(r.period).where(r.kind == kind.value)).scalars())


def recorded_reports(engine: Engine, kind: ReportKind | None = None) -> list[dict[str, Any]]:
    """The reports table, newest period first."""
    query = select(reports_table)
    if kind is not None:
        query = query.where(reports_table.c.kind == kind.value)
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
    return sorted(rows, key=lambda r: (r["kind"], r["period"]), reverse=True)


# ---------------------------------------------------------------------------------------------
# Summaries: what the index shows about each report


def write_summary(folder: Path, summary: dict[str, Any]) -> Path:
    text = json.dumps(summary, ensure_ascii=False, indent=2, default=str)
    return write_text(folder / SUMMARY_FILE, text + "\n")


def _read_summary(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _entry(out_dir: Path, kind: ReportKind, folder: Path) -> IndexEntry | None:
    main = MAIN_FILES[kind]
    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")),
        key=lambda p: (p.stem != main, p.suffix != ".html", p.name),
    )
    shown = [p for p in files if p.name != SUMMARY_FILE]
    if not shown:
        return None
    summary = _read_summary(folder)
    rendered_at = None
    if summary.get("rendered_at"):
        try:
            rendered_at = dt.datetime.fromisoformat(summary["rendered_at"]).astimezone(LOCAL_TZ)
        except ValueError:
            rendered_at = None
    links = [
        FormatLink(
            label=summary.get("labels", {}).get(p.name)
            or FORMAT_LABELS.get(p.suffix.lstrip("."), p.suffix.lstrip(".")),
            href=p.relative_to(out_dir).as_posix(),
        )
        for p in shown
    ]
    return IndexEntry(
        kind=kind.value,
        period=folder.name,
        label=summary.get("label") or folder.name,
        href=links[0].href,
        files=links,
        rendered_at=rendered_at,
        summary=summary.get("line"),
    )


def rebuild_index(out_dir: Path, *, jurisdiction: str, now: dt.datetime) -> Path:
    """Write index.html listing every report folder present under `out_dir`."""
    found: dict[ReportKind, list[IndexEntry]] = {}
    for kind, name in KIND_DIRS.items():
        base = out_dir / name
        folders = (
            sorted((p for p in base.iterdir() if p.is_dir()), reverse=True) if base.is_dir() else []
        )
        found[kind] = [e for f in folders if (e := _entry(out_dir, kind, f)) is not None]
    accounts_index = out_dir / "accounts" / "index.html"
    filings = filings_index(out_dir)
    ctx = IndexContext(
        jurisdiction=jurisdiction,
        weekly=found[ReportKind.WEEKLY],
        notices=found[ReportKind.NOTICE],
        annual=found[ReportKind.ANNUAL],
        accounts_href="accounts/index.html" if accounts_index.exists() else None,
        filings_href=filings.relative_to(out_dir).as_posix() if filings else None,
        filings_accounts=sum(1 for p in filings.parent.iterdir() if p.is_dir()) if filings else 0,
        generated_at=now.astimezone(LOCAL_TZ),
    )
    return write_text(out_dir / "index.html", render("index.html.j2", ctx))


def weekly_summary(ctx: Any, files: dict[str, Path], rendered_at: dt.datetime) -> dict[str, Any]:
    h = ctx.headline
    return {
        "kind": ReportKind.WEEKLY.value,
        "period": ctx.week,
        "label": ctx.week_label,
        "line": (
            f"监测 {h.monitored} 个，合格率 {pct(h.pass_rate)}，不合格 {h.failed} 个，"
            f"无法核验 {h.unknown} 个，应申请关停 {h.flagged} 个"
        ),
        "pass_rate": h.pass_rate,
        "monitored": h.monitored,
        "failed": h.failed,
        "unknown": h.unknown,
        "flagged": h.flagged,
        "rendered_at": rendered_at.isoformat(),
        "files": sorted(p.name for p in files.values()),
    }


def latest_weekly(out_dir: Path) -> str | None:
    base = out_dir / KIND_DIRS[ReportKind.WEEKLY]
    if not base.is_dir():
        return None
    periods = sorted(p.name for p in base.iterdir() if p.is_dir())
    return periods[-1] if periods else None


# ---------------------------------------------------------------------------------------------
# Account pages


# The last line of an account page: what its content was made from (see `page_digest`).
_DIGEST_MARK = "<!-- govmedia-content: "
_DIGEST_TAIL = 100  # bytes read from a page's end to find the mark


def write_account_pages(out_dir: Path, pages: Iterable[AccountPageContext]) -> int:
    """One page per account, each written as its context arrives (pages of accounts no longer
    listed are left alone). Returns the number of pages, written or already up to date.

    A page whose content would not change (same digest of its context, bar the time it is
    generated, and of the templates) is neither rendered nor written: a re-run of a week touches
    none of 20,000 files, and a page's footer keeps the time its content was made."""
    folder = out_dir / "accounts"
    folder.mkdir(parents=True, exist_ok=True)
    template = environment().get_template("account.html.j2")
    templates = _templates_digest()
    pages_done = 0
    for page in pages:
        target = folder / f"{page.account.account_id}.html"
        digest = page_digest(page, templates)
        if _stored_digest(target) != digest:
            html = template.render(fields(page))
            write_text(target, f"{html}{_DIGEST_MARK}{digest} -->\n", make_parent=False)
        pages_done += 1
    return pages_done


def page_digest(page: AccountPageContext, templates: str) -> str:
    """SHA-256 of what a page shows: its context without `generated_at`, and the templates."""
    content = page.model_dump_json(exclude={"generated_at"})
    return hashlib.sha256(f"{templates}\n{content}".encode()).hexdigest()


@functools.cache
def _templates_digest() -> str:
    """SHA-256 of every template's source and of the package version: a new template or
    release renders every page again."""
    from importlib.metadata import PackageNotFoundError, version

    env = environment()
    digest = hashlib.sha256()
    with suppress(PackageNotFoundError):
        digest.update(version("govmedia").encode())
    for name in sorted(env.list_templates(filter_func=lambda name: name.endswith(".j2"))):
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        digest.update(f"{name}\0{source}\0".encode())
    return digest.hexdigest()


def _stored_digest(target: Path) -> str | None:
    """The digest in a page's last line, or None (no page, or one without it)."""
    try:
        with open(target, "rb") as handle:
            handle.seek(0, 2)
            handle.seek(max(0, handle.tell() - _DIGEST_TAIL))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    mark = tail.rfind(_DIGEST_MARK)
    if mark < 0:
        return None
    return tail[mark + len(_DIGEST_MARK) :].removesuffix(" -->\n")


def write_account_list(
    out_dir: Path,
    rows: Iterable[AccountRow],
    *,
    jurisdiction: str,
    week: str,
    generated_at: dt.datetime,
) -> Path:
    """accounts/index.html: every account of the report, linked to its page."""
    listing = AccountListContext(
        jurisdiction=jurisdiction,
        week=week,
        accounts=[account_link(row) for row in rows],
        generated_at=generated_at,
    )
    return write_text(out_dir / "accounts" / "index.html", render("accounts.html.j2", listing))


def account_link(row: AccountRow) -> AccountLink:
    return AccountLink(
        account_id=row.account_id,
        name=row.name,
        department_name=row.department_name,
        platform_label=row.platform_label,
        status=row.status,
        status_label=row.status_label,
        href=row.page,
    )
