"""Issue 12, "false history": the sample demo's account pages and past checks never show a
silence that no crawl proved (an old pinned post before the crawl's look-back window)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import SAMPLE_CONFIG

NOW = "2026-11-28T09:00:00+08:00"
WORSE_THAN_UNKNOWN = ("预警", "单项否决", "僵尸账号", "应申请关停")


def _govmedia(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}
    return subprocess.run(
        [sys.executable, "-c", "from govmedia.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo of the sample ledger at NOW (simulated platforms, real crawl, real store)."""
    tmp = tmp_path_factory.mktemp("history")
    folder = tmp / "demo"
    done = _govmedia("demo", "-c", str(SAMPLE_CONFIG), "--dir", str(folder), "--now", NOW, cwd=tmp)
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


def _week_rows(page: Path) -> list[tuple[str, str]]:
    """(week, the row's text) for each row of an account page's weekly table."""
    html = page.read_text(encoding="utf-8")
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S):
        cells = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))).strip()
        found = re.match(r"(\d{4}-W\d{2}) ", cells)
        if found:
            rows.append((found.group(1), cells))
    return rows


def _first_complete_week(folder: Path, account_id: str) -> str | None:
    """The first ISO week wholly inside what the account's ok observations saw completely: from
    a crawl's complete_since, a list read to its end from its oldest row (the first unpinned
    post; an empty one from the week it was read, whose T comes after), a person's report from
    the post they saw. None: never observed."""
    engine = create_engine(f"sqlite:///{folder / 'data' / 'govmedia.sqlite3'}")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT CASE WHEN source = 'manual' THEN latest_post_at "
                "WHEN complete_since IS NOT NULL THEN complete_since "
                "ELSE (SELECT min(published_at) FROM posts p WHERE p.account_id = o.account_id "
                "AND NOT p.pinned) END, at FROM observations o "
                "WHERE account_id = :a AND outcome = 'ok'"
            ),
            {"a": account_id},
        ).all()
    engine.dispose()
    weeks = []
    for since, at in rows:
        if since is None:  # a list read to its end and empty: nothing was ever posted
            local = dt.datetime.fromisoformat(str(at)).replace(tzinfo=dt.UTC)
            year, week, _ = (local + dt.timedelta(hours=8)).date().isocalendar()
        else:
            local = dt.datetime.fromisoformat(str(since)).replace(tzinfo=dt.UTC)
            local += dt.timedelta(hours=8)
            monday = local.date() - dt.timedelta(days=local.weekday())
            year, week, _ = (monday + dt.timedelta(days=7)).isocalendar()  # the first whole week
        weeks.append(f"{year}-W{week:02d}")
    return min(weeks, default=None)


def test_a_daily_account_shows_nothing_worse_than_unknown_before_its_first_complete_crawl(demo):
    first = _first_complete_week(demo, "gaj-weibo")
    assert first is not None
    rows = _week_rows(demo / "out" / "accounts" / "gaj-weibo.html")
    before = [(week, cells) for week, cells in rows if week < first]
    assert before, "the page's 26 weeks reach back before the first complete crawl"
    for week, cells in before:
        assert not any(word in cells for word in WORSE_THAN_UNKNOWN), (week, cells)
    after = [cells for week, cells in rows if week >= first]
    assert after and all("合格" in cells for cells in after)


def test_no_account_page_shows_a_verdict_worse_than_unknown_before_tracking(demo):
    checked = 0
    for page in sorted((demo / "out" / "accounts").glob("*.html")):
        if page.name == "index.html":
            continue
        first = _first_complete_week(demo, page.stem)
        for week, cells in _week_rows(page):
            if first is None or week < first:
                checked += 1
                assert not any(w in cells for w in WORSE_THAN_UNKNOWN), (page.name, week, cells)
    assert checked > 100


def test_a_daily_column_with_an_old_pinned_row_is_not_a_zombie_in_the_past(demo):
    done = _govmedia(
        "check", "--at", "2026-09-13T23:59:59", "--json", "-c", "config.yaml", cwd=demo
    )
    assert done.returncode == 0, done.stderr
    verdicts = {v["account"]: v for v in json.loads(done.stdout)}
    column = verdicts["xzf-web-zwyw"]
    assert column["status"] == "unknown", column
    assert column["flag_shutdown"] is False
    weibo = verdicts["gaj-weibo"]
    assert weibo["status"] in ("ok", "unknown") and weibo["flag_shutdown"] is False
