"""A real headless Chromium loads the report site: the weekly report at A4 width (no console
errors, screenshot), and the site at a phone's 390 px (nothing scrolls sideways, problem lists as
cards, chart text legible, screenshot).

Debian's chromium (installed by .ci/run) is driven over CDP by the `playwright` package, whose
wheel bundles its driver; no browser is ever downloaded. In CI (CI=true) a missing browser is a
failure, elsewhere the test skips and says why.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reports.publish import render_weekly
from tests.fixtures.reports import NOW, SCRIPT_NAME, WEEK
from tests.test_site_phone import render_site

CHROMIUM = os.environ.get("GOVMEDIA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
A4_WIDTH = 794  # 210 mm at 96 dpi
A4_HEIGHT = 1123
PHONE_WIDTH = 390  # CSS px of a common phone (iPhone 12–15)
PHONE_HEIGHT = 844
MIN_CHART_TEXT_PX = 11
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser_ready() -> None:
    missing = _browser_missing()
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser test: {missing}")
    pytest.skip(missing)


def test_weekly_report_in_chromium(browser_ready, report_store, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    result = render_weekly(
        report_store.engine, report_store.config, report_store.out_dir, WEEK, now=NOW
    )
    page_path = result.files["html"]
    messages: list[str] = []
    failed_requests: list[str] = []
    shot = tmp_path / "weekly-a4.png"
    with sync_playwright() as pw:
        context = _launch(pw, tmp_path / "profile", A4_WIDTH, A4_HEIGHT)
        try:
            page = context.new_page()
            page.on(
                "console",
                lambda m: (
                    messages.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
            page.on("requestfailed", lambda r: failed_requests.append(r.url))
            page.on("dialog", lambda d: messages.append(f"dialog: {d.message}"))
            page.goto(page_path.as_uri(), wait_until="load")
            title = page.title()
            heading = page.inner_text("h1")
            svg_count = page.locator("svg.chart:visible").count()
            stacked = page.evaluate(STACKED_TABLES)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            name_shown = page.get_by_text(SCRIPT_NAME).count()
            page.screenshot(path=str(shot), full_page=True)
            page.emulate_media(media="print")
            nav_hidden = page.evaluate(
                "getComputedStyle(document.querySelector('nav.toc')).display"
            )
            print_charts = page.locator("svg.chart:visible").count()
        finally:
            context.close()
    assert messages == []
    assert failed_requests == []
    assert "周报" in title and heading == "博爱县政务新媒体监测周报"
    assert svg_count == 2  # the wide charts; the narrow ones are a phone's
    # the problem lists stay tables, with their headings, on an A4-wide page
    assert stacked and {(t["display"], t["thead"]) for t in stacked} == {
        ("table", "table-header-group")
    }
    assert scroll_width <= A4_WIDTH  # nothing overflows an A4-wide page
    assert name_shown >= 1  # the hostile name is text, not a script
    assert nav_hidden == "none"
    assert print_charts == 2
    assert shot.stat().st_size > 10_000
    _keep(shot)


# Every table of class "stack" (the problem lists, the department tables, the site index, the
# filings index): how it is laid out, and each body cell's data-label beside its column's heading
# and what is drawn before it.
STACKED_TABLES = """() => Array.from(document.querySelectorAll('table.stack')).map(t => {
  const heads = Array.from(t.querySelectorAll('thead th')).map(th => th.textContent.trim());
  const cells = Array.from(t.querySelectorAll('tbody tr')).flatMap(tr =>
    Array.from(tr.children).map((td, i) => ({
      display: getComputedStyle(td).display,
      label: td.dataset.label || '',
      heading: heads[i] || '',
      before: getComputedStyle(td, '::before').content,
      right: td.getBoundingClientRect().right,
    })));
  return {display: getComputedStyle(t).display,
          thead: t.tHead ? getComputedStyle(t.tHead).display : null, cells};
})"""

# The rendered size (px) of every chart text shown: its computed font size times the scale of
# the SVG it is drawn in.
CHART_TEXT_PX = """() => Array.from(document.querySelectorAll('svg.chart text'))
  .filter(t => t.getBoundingClientRect().width > 0)
  .map(t => ({text: t.textContent,
              px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a}))"""


def _launch(pw, profile: Path, width: int, height: int):
    return pw.chromium.launch_persistent_context(
        str(profile),  # a fresh --user-data-dir
        executable_path=CHROMIUM,
        headless=True,
        args=FLAGS,
        viewport={"width": width, "height": height},
    )


def _keep(shot: Path) -> None:
    keep = os.environ.get("GOVMEDIA_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


def test_site_at_phone_width_in_chromium(browser_ready, report_store, tmp_path: Path) -> None:
    """At 390 px: no page of the site scrolls sideways, the problem lists (and the site's and
    the filings' indexes) are cards whose every cell is led by its column's heading, and the
    weekly report's chart text is at least MIN_CHART_TEXT_PX."""
    from playwright.sync_api import sync_playwright

    out = render_site(report_store)
    pages = sorted(out.rglob("*.html"))
    weekly = out / "weekly" / "2026-W48" / "report.html"
    carded = [
        weekly,
        out / "index.html",
        out / "filings" / "index.html",
        out / "notices" / "2026-11" / "notice.html",
    ]
    required = [
        *carded,
        out / "accounts" / "gaj-wechat.html",
        out / "filings" / "gaj-wechat" / "gaj-wechat-application.html",
    ]
    assert set(required) <= set(pages)
    messages: list[str] = []
    widths: dict[str, int] = {}
    tables: dict[str, list[dict]] = {}
    shots = [tmp_path / "weekly-390.png", tmp_path / "filings-390.png"]
    with sync_playwright() as pw:
        context = _launch(pw, tmp_path / "profile", PHONE_WIDTH, PHONE_HEIGHT)
        try:
            page = context.new_page()
            page.on(
                "console",
                lambda m: (
                    messages.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
            for path in pages:
                page.goto(path.as_uri(), wait_until="load")
                name = path.relative_to(out).as_posix()
                widths[name] = page.evaluate("document.documentElement.scrollWidth")
                viewport_meta = page.locator('meta[name="viewport"]').count()
                assert viewport_meta == 1, name
                if path in carded:
                    tables[name] = page.evaluate(STACKED_TABLES)
                if path == weekly:
                    chart_text = page.evaluate(CHART_TEXT_PX)
                    narrow_charts = page.locator("svg.chart.narrow:visible").count()
                    wide_charts = page.locator("svg.chart.wide:visible").count()
                    page.screenshot(path=str(shots[0]), full_page=True)
                if path == out / "filings" / "index.html":
                    page.screenshot(path=str(shots[1]), full_page=True)
        finally:
            context.close()
    assert messages == []
    assert {name: w for name, w in widths.items() if w > PHONE_WIDTH} == {}
    for name, found in tables.items():
        assert found, name
        for table in found:
            assert (table["display"], table["thead"]) == ("block", "none"), name
            assert table["cells"], name
            for cell in table["cells"]:
                assert cell["display"] == "block", (name, cell)
                # led by its column's heading: from its data-label, or (the department
                # tables, one row per account) from the stylesheet
                assert cell["heading"] and cell["before"] == f'"{cell["heading"]}"', (name, cell)
                assert cell["label"] in ("", cell["heading"]), (name, cell)
                assert cell["right"] <= PHONE_WIDTH, (name, cell)
    # the department tables are among them (their labels from the stylesheet)
    weekly_cells = [c for t in tables["weekly/2026-W48/report.html"] for c in t["cells"]]
    assert any(c["label"] == "" and c["heading"] == "判定依据" for c in weekly_cells)
    # the narrow charts replace the wide ones, and every text they show is legible
    assert (narrow_charts, wide_charts) == (2, 0)
    assert len(chart_text) > 10
    small = [t for t in chart_text if t["px"] < MIN_CHART_TEXT_PX]
    assert small == []
    for shot in shots:
        assert shot.stat().st_size > 10_000
        _keep(shot)
