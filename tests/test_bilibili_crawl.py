"""End-to-end: Bilibili accounts crawled from the simulated API, Wbi-signed, including keys that
rotate mid-crawl and a platform that refuses every signature."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from govmedia.crawling import CrawlResult, crawl_in_subprocess
from registry.constants import Outcome
from registry.models import Config
from spiders import wbi
from spiders.simulator import Profile, RunningSimulator, World, start_simulator
from spiders.simulator.bilibili import day_keys
from spiders.simulator.world import WbiRotation
from tests.fixtures.simulator import SIM_ENV, SIM_NOW, write_crawl_config
from tests.fixtures.sources import OWNER, SourcesCrawl, days_before_sim_now

NAV = "/x/web-interface/nav"
ARC_SEARCH = "/x/space/wbi/arc/search"


def get(sources_crawl: SourcesCrawl, path: str, params: dict[str, str]) -> dict:
    return get_from(sources_crawl.simulator, path, params)


def get_from(simulator: RunningSimulator, path: str, params: dict[str, str]) -> dict:
    url = f"{simulator.url}{path}?{urlencode(params)}"
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
    # a lone v_voucher is also how the platform refuses a stale signature: retried once
    assert (result.outcome, result.detail) == (
        Outcome.BLOCKED,
        "risk control answered with only a v_voucher (also with the crawl's newest Wbi keys)",
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


# Key rotation -------------------------------------------------------------------------------
# Each scenario is its own simulator (its keys change) and one `govmedia crawl` child process.


@dataclass
class BilibiliCrawl:
    results: list[CrawlResult]
    simulator: RunningSimulator

    def outcomes(self) -> set[Outcome]:
        return {r.outcome for r in self.results}

    def asked(self, path: str) -> int:
        return len(self.simulator.requests(path))


def crawl_uploaders(
    directory: Path, *, uploaders: int, profile: Profile, concurrency: int, wbi: WbiRotation
) -> BilibiliCrawl:
    """`uploaders` accounts of one profile crawled once, `concurrency` requests at a time, from a
    simulator whose keys follow `wbi`."""
    accounts: list[dict[str, Any]] = [
        {
            "id": f"up-{index}",
            "name": f"测试UP主{index}",
            "platform": "bilibili",
            "mid": str(910_000 + index),
            "owner": dict(OWNER),
            "filed_on": "2020-01-01",
        }
        for index in range(uploaders)
    ]
    data = {
        "jurisdiction": "测试县",
        "policy": {"one_account_per_platform": "off", "require_exception_basis": False},
        "departments": [{"id": "t", "name": "测试单位", "level": "county", "accounts": accounts}],
    }
    overrides = {account["id"]: profile for account in accounts}
    world = World.from_config(Config.model_validate(data), SIM_NOW, overrides=overrides)
    world.wbi = wbi
    with start_simulator(world, port=0) as simulator:
        sources = {"bilibili": {"concurrency": concurrency}}
        path = write_crawl_config(directory, simulator.url, data, sources=sources)
        results = crawl_in_subprocess(path, now=SIM_NOW, env=SIM_ENV, timeout=60)
    return BilibiliCrawl(results, simulator)


@pytest.fixture(scope="module")
def steady(tmp_path_factory: pytest.TempPathFactory) -> BilibiliCrawl:
    """Six uploaders, four at a time, keys unchanged."""
    directory = tmp_path_factory.mktemp("steady")
    return crawl_uploaders(
        directory, uploaders=6, profile=Profile.WEEKLY, concurrency=4, wbi=WbiRotation()
    )


@pytest.fixture(scope="module")
def rotated_between_accounts(tmp_path_factory: pytest.TempPathFactory) -> BilibiliCrawl:
    """Three uploaders one at a time; the keys change right after the first one's answer."""
    directory = tmp_path_factory.mktemp("rotated-between")
    return crawl_uploaders(
        directory,
        uploaders=3,
        profile=Profile.WEEKLY,
        concurrency=1,
        wbi=WbiRotation(after_accepted=1),
    )


@pytest.fixture(scope="module")
def rotated_while_paging(tmp_path_factory: pytest.TempPathFactory) -> BilibiliCrawl:
    """Six daily uploaders (five pages each), four at a time; the keys change after the third
    accepted page, so pages signed before the change keep arriving after it."""
    directory = tmp_path_factory.mktemp("rotated-paging")
    return crawl_uploaders(
        directory,
        uploaders=6,
        profile=Profile.DAILY,
        concurrency=4,
        wbi=WbiRotation(after_accepted=3),
    )


@pytest.fixture(scope="module")
def refused_always(tmp_path_factory: pytest.TempPathFactory) -> BilibiliCrawl:
    """Four uploaders, four at a time, on a platform that refuses every signature."""
    directory = tmp_path_factory.mktemp("refused")
    return crawl_uploaders(
        directory,
        uploaders=4,
        profile=Profile.WEEKLY,
        concurrency=4,
        wbi=WbiRotation(reject_all=True),
    )


def test_one_nav_serves_every_account_of_a_crawl(steady: BilibiliCrawl) -> None:
    # accounts started while nav is in flight wait for its keys instead of asking again
    assert (steady.outcomes(), steady.asked(NAV)) == ({Outcome.OK}, 1)


def test_keys_rotated_between_two_accounts_leave_every_account_ok(
    rotated_between_accounts: BilibiliCrawl,
) -> None:
    assert rotated_between_accounts.outcomes() == {Outcome.OK}


def test_keys_rotated_between_two_accounts_are_fetched_again_once(
    rotated_between_accounts: BilibiliCrawl,
) -> None:
    assert rotated_between_accounts.asked(NAV) == 2


def test_keys_rotated_while_paging_leave_every_account_ok_and_paged(
    rotated_while_paging: BilibiliCrawl,
) -> None:
    seen = {r.account: (r.outcome, r.posts_seen >= 120) for r in rotated_while_paging.results}
    assert seen == {f"up-{index}": (Outcome.OK, True) for index in range(6)}


def test_keys_rotated_while_paging_are_fetched_again_once_for_everyone(
    rotated_while_paging: BilibiliCrawl,
) -> None:
    assert rotated_while_paging.asked(NAV) == 2


def test_every_signature_refused_is_blocked(refused_always: BilibiliCrawl) -> None:
    assert [(r.outcome, r.detail) for r in refused_always.results] == [
        (Outcome.BLOCKED, "code -403 访问权限不足 (also with the crawl's newest Wbi keys)")
    ] * 4


def test_every_signature_refused_asks_nav_only_once_more(refused_always: BilibiliCrawl) -> None:
    assert refused_always.asked(NAV) == 2


def test_every_signature_refused_retries_each_account_at_most_once(
    refused_always: BilibiliCrawl,
) -> None:
    assert refused_always.asked(ARC_SEARCH) <= 2 * 4


# The simulator's rotation ------------------------------------------------------------------


@pytest.fixture(scope="module")
def rotating_simulator() -> Iterator[RunningSimulator]:
    """A simulator of this module's own, so that rotating its keys touches no other module."""
    with start_simulator(World(anchor=SIM_NOW), port=0) as running:
        yield running


@pytest.fixture
def own_simulator(rotating_simulator: RunningSimulator) -> RunningSimulator:
    """That simulator, its keys back to the day's pair, never rotated, for each test."""
    rotating_simulator.world.wbi = WbiRotation()
    return rotating_simulator


PARAMS: dict[str, object] = {"mid": "900001", "ps": 30, "pn": 1}


def test_simulator_serves_new_keys_after_a_rotation(own_simulator: RunningSimulator) -> None:
    before = day_keys(own_simulator.world)
    own_simulator.world.wbi.rotate()
    served = wbi.keys_from_nav(get_from(own_simulator, NAV, {}))
    assert (served == day_keys(own_simulator.world), served != before) == (True, True)


def test_simulator_refuses_the_old_keys_after_a_rotation(own_simulator: RunningSimulator) -> None:
    signed = wbi.sign(PARAMS, *day_keys(own_simulator.world), wts=1795838400)
    own_simulator.world.wbi.rotate()
    assert get_from(own_simulator, ARC_SEARCH, signed)["code"] == -403


def test_simulator_rotates_after_the_set_number_of_accepted_requests(
    own_simulator: RunningSimulator,
) -> None:
    own_simulator.world.wbi.after_accepted = 1
    signed = wbi.sign(PARAMS, *day_keys(own_simulator.world), wts=1795838400)
    codes = [get_from(own_simulator, ARC_SEARCH, signed)["code"] for _ in range(2)]
    assert codes == [0, -403]


def test_simulator_can_refuse_every_signature(own_simulator: RunningSimulator) -> None:
    own_simulator.world.wbi.reject_all = True
    signed = wbi.sign(PARAMS, *day_keys(own_simulator.world), wts=1795838400)
    assert get_from(own_simulator, ARC_SEARCH, signed)["code"] == -403
