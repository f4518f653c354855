"""How a source's spider hands out its accounts: one first request at a time, shared by Scrapy's
start loop and the callbacks of finished accounts (so the concurrency stays used)."""

from __future__ import annotations

from scrapy.http import Request

from registry.constants import Outcome, Source
from registry.models import CrawlSettings
from spiders.items import AccountTarget, ObservationItem
from spiders.sources.weibo import WeiboSpider


def _spider(*uids: str) -> WeiboSpider:
    targets = [AccountTarget(f"acc-{uid}", Source.WEIBO, f"name {uid}", uid) for uid in uids]
    return WeiboSpider(
        targets=targets, crawl_id="c1", crawl=CrawlSettings(), base_url="http://127.0.0.1:9"
    )


def test_each_call_starts_exactly_one_account_in_ledger_order() -> None:
    spider = _spider("11", "22")
    first, second = list(spider._start_next()), list(spider._start_next())
    assert [type(o) for o in first + second] == [Request, Request]
    assert "value=11" in first[0].url and "value=22" in second[0].url
    assert list(spider._start_next()) == []  # every account started once, never twice


def test_accounts_settled_without_a_request_are_observed_on_the_way() -> None:
    spider = _spider("11", "22", "33")
    list(spider._start_next())
    spider.breaker.tripped = Outcome.BLOCKED
    rest = list(spider._start_next())
    assert [(type(o), o.account_id, o.outcome) for o in rest] == [
        (ObservationItem, "acc-22", Outcome.BLOCKED),
        (ObservationItem, "acc-33", Outcome.BLOCKED),
    ]
