"""The report site on a phone, without a browser: every page the program writes declares a
viewport, the closure filings are linked from the site index and the weekly report, and the
narrow charts keep their text legible by construction. tests/test_browser_report.py looks at the
same pages in Chromium at 390 px."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

from govmedia.cycle import run_cycle
from registry.config import load_config
from reports import charts
from reports.build import build_weekly
from reports.contexts import TrendPoint
from reports.filings import render_filings
from reports.periods import Period
from reports.publish import render_annual, render_notice, render_weekly
from tests.fixtures.reports import NOW, WEEK

VIEWPORT = re.compile(
    r'<meta name="viewport" content="width=device-width, initial-scale=1">', re.IGNORECASE
)


def render_site(store) -> Path:
    """Every kind of HTML page the program writes, into the store's output folder: the closure
    filings (as `govmedia filings` writes them), a weekly report with its account pages, a notice
    and the annual figures, plus the site index they rebuild."""
    out = store.out_dir
    assert render_filings(store.engine, store.config, out, now=NOW)
    render_weekly(store.engine, store.config, out, WEEK, now=NOW)
    render_notice(store.engine, store.config, out, Period.month("2026-11"), now=NOW)
    render_annual(store.engine, store.config, out, 2026, now=NOW)
    return out


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def filings_links(page: Path) -> list[Path]:
    """The targets of a page's links into the filings folder, resolved from the page."""
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return [
        (page.parent / href).resolve()
        for href in parser.hrefs
        if href.rstrip("/").split("/")[-2:-1] == ["filings"] or href.startswith("filings/")
    ]


def test_every_html_page_declares_a_viewport(report_store) -> None:
    out = render_site(report_store)
    pages = sorted(out.rglob("*.html"))
    kinds = {p.relative_to(out).parts[0] for p in pages}
    assert {"index.html", "weekly", "accounts", "notices", "annual", "filings"} <= kinds
    assert len([p for p in pages if p.parts[-3:-2] == ("filings",)]) >= 4  # filing documents
    missing = [str(p.relative_to(out)) for p in pages if not VIEWPORT.search(p.read_text("utf-8"))]
    assert missing == []


def test_site_index_and_weekly_report_link_the_filings(report_store) -> None:
    out = render_site(report_store)
    index = out / "filings" / "index.html"
    from_index = filings_links(out / "index.html")
    from_report = filings_links(out / "weekly" / "2026-W48" / "report.html")
    assert from_index and set(from_index) == {index.resolve()}
    assert from_report and set(from_report) == {index.resolve()}
    assert index.is_file()
    # ... and the filings' index links back to the site's
    back = _Links()
    back.feed(index.read_text(encoding="utf-8"))
    assert "../index.html" in back.hrefs
    assert "关停材料（3个账号）" in (out / "index.html").read_text(encoding="utf-8")


def test_no_filings_link_without_filings(report_store) -> None:
    out = report_store.out_dir
    render_weekly(report_store.engine, report_store.config, out, WEEK, now=NOW)
    assert not (out / "filings").exists()
    assert filings_links(out / "index.html") == []
    assert filings_links(out / "weekly" / "2026-W48" / "report.html") == []
    assert "关停材料" not in (out / "index.html").read_text(encoding="utf-8")


def test_filings_elsewhere_leave_the_site_alone(report_store, tmp_path: Path) -> None:
    """`govmedia filings --out DIR` outside the site: no link back, no site index written."""
    elsewhere = tmp_path / "elsewhere"
    render_filings(
        report_store.engine, report_store.config, report_store.out_dir, now=NOW, out=elsewhere
    )
    assert "../index.html" not in (elsewhere / "index.html").read_text(encoding="utf-8")
    assert not (report_store.out_dir / "index.html").exists()


def test_the_cycle_renders_filings_before_the_weekly_report_links_them(report_store) -> None:
    loaded = load_config(report_store.config_path, today=NOW.date())
    result = run_cycle(
        loaded, now=NOW + dt.timedelta(minutes=1), crawl=False, weekly=[WEEK], filings=True
    )
    assert result.errors == []
    report = report_store.out_dir / "weekly" / "2026-W48" / "report.html"
    links = filings_links(report)
    assert links and set(links) == {(report_store.out_dir / "filings" / "index.html").resolve()}


def test_narrow_charts_scale_less_than_the_wide_ones(report_store) -> None:
    """A phone shows the narrow charts: their text (12 units) is drawn in a viewBox at most
    NARROW_WIDTH wide, so it is ≥ 11 px wherever the chart is ≥ 303 px wide, and every week
    label it keeps is at least 48 units from the next."""
    ctx = build_weekly(report_store.engine, report_store.config, WEEK, now=NOW, store=False).context
    for svg in (
        charts.trend_svg(ctx.trend, narrow=True),
        charts.department_bars_svg(ctx.departments, narrow=True),
    ):
        width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
        sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
        assert width == charts.NARROW_WIDTH and min(sizes) * 303 / width >= 11
        assert 'class="chart ' in svg and " narrow" in svg
    trend = charts.trend_svg(ctx.trend, narrow=True)
    labels = [p.label for p in ctx.trend]
    shown = [label for label in labels if f">{label}</text>" in trend]
    assert labels[-1] in shown and len(shown) < len(labels)


def test_a_rate_below_its_neighbours_is_labelled_under_its_point() -> None:
    """The line reaches a dip from above: the dip's rate is written under the point, not on
    the line; a peak's above it; a dip at 0% above too (under it are the week labels)."""

    def point(n: int, rate: float) -> TrendPoint:
        return TrendPoint(week=f"2026-W{n}", label=f"W{n}", pass_rate=rate, checked=8, passed=4)

    for narrow in (False, True):
        rates = {44: 0.9, 45: 0.5, 46: 0.9, 47: 0.0, 48: 0.8}
        svg = charts.trend_svg([point(n, r) for n, r in rates.items()], narrow=narrow)
        found = re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"[^>]*><title>2026-W(\d+)', svg)
        cy = {int(week): float(y) for y, week in found}
        for week, rate in rates.items():
            value = f"{rate * 100:.1f}%"
            ys = [
                float(y) for y in re.findall(rf'y="([\d.]+)"[^>]*>{re.escape(value)}</text>', svg)
            ]
            if not ys:  # not labelled in the narrow chart
                continue
            below = week == 45
            assert (min(ys) > cy[week]) == below, (narrow, week, ys, cy[week])
