"""End-to-end: government-site columns crawled from the simulated sites, every layout and case."""

from __future__ import annotations

import pytest

from registry.constants import LOCAL_TZ, Outcome
from tests.fixtures.sources import SourcesCrawl, days_before_sim_now

LAYOUTS = ["w-ul", "w-bracket", "w-table-gbk", "w-hanweb", "w-cn-date", "w-anchor-time"]


@pytest.mark.parametrize("account_id", LAYOUTS)
def test_every_layout_is_read_without_configuration(
    sources_crawl: SourcesCrawl, account_id: str
) -> None:
    result = sources_crawl.result(account_id)
    assert (result.outcome, result.posts_seen >= 20) == (Outcome.OK, True), result.detail


def test_date_only_rows_are_midnight_shanghai(sources_crawl: SourcesCrawl) -> None:
    latest = sources_crawl.result("w-bracket").latest_post_at
    assert latest is not None and latest.astimezone(LOCAL_TZ).strftime("%H:%M%z") == "00:00+0800"


def test_date_and_time_inside_the_link_keep_the_time(sources_crawl: SourcesCrawl) -> None:
    latest = sources_crawl.result("w-anchor-time").latest_post_at
    assert latest is not None and latest.astimezone(LOCAL_TZ).strftime("%H:%M") != "00:00"


def test_gbk_page_declared_gb2312_keeps_gbk_only_characters(sources_crawl: SourcesCrawl) -> None:
    titles = {p["title"] for p in sources_crawl.posts("w-table-gbk")}
    assert any("王镕" in t or "李珺" in t for t in titles), titles


def test_pinned_old_row_is_stored_but_not_the_latest(sources_crawl: SourcesCrawl) -> None:
    stored = sources_crawl.posts("w-ul")
    pinned = [p for p in stored if p["pinned"]]
    latest = sources_crawl.result("w-ul").latest_post_at
    assert len(pinned) == 1 and latest is not None and pinned[0]["published_at"] < latest


def test_hanweb_datastore_silence_is_measured(sources_crawl: SourcesCrawl) -> None:
    assert 20 <= days_before_sim_now(sources_crawl.result("w-hanweb").latest_post_at) < 23


def test_moved_column_is_followed(sources_crawl: SourcesCrawl) -> None:
    assert sources_crawl.result("w-redirect").outcome is Outcome.OK


def test_configured_selectors_are_used(sources_crawl: SourcesCrawl) -> None:
    assert "selectors (item 'div.list_box li')" in sources_crawl.result("w-selectors").detail


def test_412_ruishu_challenge_is_blocked(sources_crawl: SourcesCrawl) -> None:
    result = sources_crawl.result("w-412")
    assert (result.outcome, result.detail) == (
        Outcome.BLOCKED,
        "HTTP 412: the platform refused the request",
    )


def test_js_cookie_challenge_is_blocked(sources_crawl: SourcesCrawl) -> None:
    assert sources_crawl.result("w-js").outcome is Outcome.BLOCKED


def test_page_without_dates_is_malformed_and_says_so(sources_crawl: SourcesCrawl) -> None:
    result = sources_crawl.result("w-nodates")
    assert result.outcome is Outcome.MALFORMED
    assert result.detail.startswith("no dates found on the page")


def test_empty_column_is_ok_with_no_posts(sources_crawl: SourcesCrawl) -> None:
    result = sources_crawl.result("w-empty")
    assert (result.outcome, result.posts_seen) == (Outcome.OK, 0)


def test_gone_column_is_not_found(sources_crawl: SourcesCrawl) -> None:
    assert sources_crawl.result("w-gone").outcome is Outcome.NOT_FOUND


def test_challenge_page_is_kept_as_evidence(sources_crawl: SourcesCrawl) -> None:
    assert sources_crawl.observation("w-js")["evidence"] is not None
