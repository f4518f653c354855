"""End-to-end: Bilibili accounts crawled from the simulated API, Wbi-signed."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlencode

from registry.constants import Outcome
from spiders import wbi
from spiders.simulator.bilibili import day_keys
from tests.fixtures.sources import SourcesCrawl, days_before_sim_now


def get(sources_crawl: SourcesCrawl, path: str, params: dict[str, str]) -> dict:
    url = f"{sources_crawl.simulator.url}{path}?{urlencode(params)}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_weekly_uploader_is_ok(sources_crawl: SourcesCrawl) -> None:
    result = sources_crawl.result("b-weekly")
    assert result.outcome is Outcome.OK and days_before_sim_now(result.latest_post_at) < 8


def test_daily_uploader_is_paged_until_the_look_back_window(sources_crawl: SourcesCrawl) -> None:
    # 1-2 videos a day, 30 a page: 100 days take 4-7 pages, far fewer than the whole history
    result = sources_crawl.result("b-daily")
    assert 120 <= result.posts_seen <= 210, result.detail


def test_every_list_request_is_signed(sources_crawl: SourcesCrawl) -> None:
    asked = sources_crawl.simulator.requests("/x/space/wbi/arc/search")
    assert asked and all("w_rid=" in r and "wts=" in r for r in asked)


def test_minus_352_is_blocked(sources_crawl: SourcesCrawl) -> None:
    assert sources_crawl.result("b-352").outcome is Outcome.BLOCKED


def test_v_voucher_only_is_blocked_not_zero_posts(sources_crawl: SourcesCrawl) -> None:
    result = sources_crawl.result("b-voucher")
    assert (result.outcome, result.detail) == (
        Outcome.BLOCKED,
        "risk control answered with only a v_voucher",
    )


def test_minus_404_is_not_found(sources_crawl: SourcesCrawl) -> None:
    assert sources_crawl.result("b-gone").outcome is Outcome.NOT_FOUND


def test_truncated_body_is_malformed(sources_crawl: SourcesCrawl) -> None:
    assert sources_crawl.result("b-truncated").outcome is Outcome.MALFORMED


def test_no_videos_is_ok_with_no_posts(sources_crawl: SourcesCrawl) -> None:
    result = sources_crawl.result("b-empty")
    assert (result.outcome, result.posts_seen) == (Outcome.OK, 0)


def test_simulator_serves_the_keys_on_nav(sources_crawl: SourcesCrawl) -> None:
    payload = get(sources_crawl, "/x/web-interface/nav", {})
    assert wbi.keys_from_nav(payload) == day_keys(sources_crawl.simulator.world)


def test_simulator_rejects_a_wrong_signature(sources_crawl: SourcesCrawl) -> None:
    keys = day_keys(sources_crawl.simulator.world)
    signed = wbi.sign({"mid": "900001", "ps": 30, "pn": 1}, *keys, wts=1795838400)
    payload = get(sources_crawl, "/x/space/wbi/arc/search", {**signed, "w_rid": "0" * 32})
    assert payload["code"] == -403


def test_simulator_rejects_an_unsigned_request(sources_crawl: SourcesCrawl) -> None:
    payload = get(sources_crawl, "/x/space/wbi/arc/search", {"mid": "900001", "ps": "30"})
    assert payload["code"] == -403


def test_simulator_accepts_a_signed_request(sources_crawl: SourcesCrawl) -> None:
    keys = day_keys(sources_crawl.simulator.world)
    signed = wbi.sign({"mid": "900001", "ps": 30, "pn": 1}, *keys, wts=1795838400)
    payload = get(sources_crawl, "/x/space/wbi/arc/search", signed)
    assert (payload["code"], len(payload["data"]["list"]["vlist"]) > 0) == (0, True)
