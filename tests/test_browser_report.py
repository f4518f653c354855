"""A real headless Chromium loads the weekly report: no console errors, A4-width screenshot.

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

CHROMIUM = os.environ.get("GOVMEDIA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
A4_WIDTH = 794  # 210 mm at 96 dpi
A4_HEIGHT = 1123
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
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": A4_WIDTH, "height": A4_HEIGHT},
        )
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
            svg_count = page.locator("svg.chart").count()
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            name_shown = page.get_by_text(SCRIPT_NAME).count()
            page.screenshot(path=str(shot), full_page=True)
            page.emulate_media(media="print")
            nav_hidden = page.evaluate(
                "getComputedStyle(document.querySelector('nav.toc')).display"
            )
        finally:
            context.close()
    assert messages == []
    assert failed_requests == []
    assert "周报" in title and heading == "博爱县政务新媒体监测周报"
    assert svg_count == 2
    assert scroll_width <= A4_WIDTH  # nothing overflows an A4-wide page
    assert name_shown >= 1  # the hostile name is text, not a script
    assert nav_hidden == "none"
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("GOVMEDIA_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
