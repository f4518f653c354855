"""Search spiders for discovery (排查): one per searchable source, on the base spider's steps.

A sweep's jobs are keywords, not accounts: each `AccountTarget` names a keyword (`name`) under a
job key (`account_id`), and yields one `SweepItem`, an observation that carries the accounts the
search found. Everything else is the base spider's: HTTP statuses, login redirects, captcha pages
and refusal codes become outcomes (blocked, auth_expired, malformed, network_error), the circuit
breaker stops a source that keeps refusing, so a refused search is never "nothing found".

A target with an `identifier` is a verification (`register --verify`): Weibo looks the uid up
(the user info), WeChat and Bilibili search the ledger's name and the runner picks the hit with
that identifier (their search is the only public lookup).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from scrapy.http import Request, Response

from registry.constants import Outcome, Source
from registry.discovery import SearchHit
from spiders import wbi
from spiders.base import Job, SourceSpider, Wait
from spiders.items import ObservationItem
from spiders.parsers import bilibili, search
from spiders.sources.bilibili import BilibiliSpider
from spiders.sources.wechat import WechatSpider
from spiders.sources.weibo import COOKIE_ENV as WEIBO_COOKIE_ENV
from spiders.sources.weibo import GET_INDEX

WEIBO_SEARCH_CONTAINER = "100103type=3&q={q}"  # the user tab of Weibo's mobile search
WECHAT_PAGE_SIZE = 5  # what searchbiz serves a page
BILIBILI_SEARCH = "/x/web-interface/wbi/search/type"


@dataclass(slots=True)
class SweepItem(ObservationItem):
    """One keyword's search on one source: the outcome and the accounts found."""

    keyword: str = ""
    hits: list[SearchHit] = field(default_factory=list)
    requests: int = 0
    identifier: str | None = None  # a verification's identifier


class SearchMixin:
    """The search spiders' shared steps: count requests, finish with the hits found."""

    source: ClassVar[Source]

    def fetch(self, job: Job, url: str, handler: Any, **extra: Any) -> Request:
        job.state["requests"] = job.state.get("requests", 0) + 1
        return super().fetch(job, url, handler, **extra)  # type: ignore[misc]

    def found(self, job: Job, response: Response, hits: list[SearchHit]) -> None:
        """A search answered: keep its hits and the response as evidence (the job is done)."""
        job.state["hits"] = hits
        job.evidence = (response.url, response.status, response.body)

    def finish_ok(self, job: Job, *, counted: bool = True) -> ObservationItem:
        if counted:
            self.breaker.record(Outcome.OK)  # type: ignore[attr-defined]
        hits = job.state.get("hits", [])
        item = self.observation(job, Outcome.OK, f"{len(hits)} accounts found")
        if job.evidence is not None:
            item.url, item.http_status, item.raw = job.evidence
        return item

    def observation(
        self, job: Job, outcome: Outcome, detail: str, *, response: Response | None = None
    ) -> SweepItem:
        item = SweepItem(
            account_id=job.target.account_id,
            source=self.source,
            crawl_id=self.crawl_id,  # type: ignore[attr-defined]
            at=self.clock(),  # type: ignore[attr-defined]
            outcome=outcome,
            detail=detail,
            keyword=job.target.name,
            hits=list(job.state.get("hits", [])) if outcome is Outcome.OK else [],
            requests=job.state.get("requests", 0),
            identifier=job.target.identifier,
        )
        if response is not None:
            item.url, item.http_status, item.raw = response.url, response.status, response.body
        return item


class WeiboSearchSpider(SearchMixin, SourceSpider):
    source = Source.WEIBO
    default_base_url = "https://m.weibo.cn"
    login_hosts: ClassVar[frozenset[str]] = frozenset({"passport.weibo.cn", "passport.weibo.com"})

    def request_headers(self, job: Job) -> dict[str, str]:
        headers = {
            "Accept": "application/json, text/plain, */*",
            "X-Requested-With": "XMLHttpRequest",
            "Referer": f"{self.base_url}/search?containerid=100103",
        }
        cookie = self.environ.get(WEIBO_COOKIE_ENV)
        if cookie:
            headers["Cookie"] = cookie
        return headers

    def first_request(self, job: Job) -> Request:
        uid = job.target.identifier
        if uid:
            params: list[tuple[str, str | int]] = [("type", "uid"), ("value", uid)]
            return self.fetch(job, self.api(GET_INDEX, params), self.on_profile)
        params = [
            ("containerid", WEIBO_SEARCH_CONTAINER.format(q=job.target.name)),
            ("page_type", "searchall"),
        ]
        return self.fetch(job, self.api(GET_INDEX, params), self.on_search)

    def on_search(self, job: Job, response: Response) -> None:
        self.found(job, response, search.parse_weibo_users(response.body))

    def on_profile(self, job: Job, response: Response) -> None:
        self.found(job, response, [search.parse_weibo_profile(response.body)])


class WechatSearchSpider(SearchMixin, WechatSpider):
    """WeChat's `searchbiz`, with the crawl's logins (WechatSpider): the environment's token and
    cookie, else the stored sessions of `govmedia login wechat`, in turn; freq control on one
    drops it for another. Only the request and its parser differ."""

    def first_request(self, job: Job) -> Request:
        params: list[tuple[str, str | int]] = [
            ("action", "search_biz"),
            ("begin", 0),
            ("count", WECHAT_PAGE_SIZE),
            ("query", job.target.name),
            ("token", self.token(job)),
            ("lang", "zh_CN"),
            ("f", "json"),
            ("ajax", 1),
        ]
        return self.fetch(job, self.api("/cgi-bin/searchbiz", params), self.on_search)

    def on_search(self, job: Job, response: Response) -> None:
        self.found(job, response, search.parse_wechat_biz(response.body))


class BilibiliSearchSpider(SearchMixin, BilibiliSpider):
    """Bilibili's user search is Wbi-signed: the keys, their refresh on a refused signature and
    the one retry are BilibiliSpider's; only the request and its parser differ."""

    def request_headers(self, job: Job) -> dict[str, str]:
        headers = {
            "Accept": "application/json, text/plain, */*",
            "Referer": "https://search.bilibili.com/upuser",
            "Origin": "https://search.bilibili.com",
        }
        cookie = self.environ.get("GOVMEDIA_BILIBILI_COOKIE")
        if cookie:
            headers["Cookie"] = cookie
        return headers

    def videos_request(self, job: Job, page: int) -> Request:
        shared = self.shared
        assert shared.keys is not None
        params: dict[str, object] = {
            "search_type": "bili_user",
            "keyword": job.target.name,
            "page": page,
            "order": "",
            "order_sort": 0,
            "user_type": 0,
            "web_location": 1430654,
        }
        signed = wbi.sign(params, *shared.keys, wts=int(self.clock().timestamp()))
        url = self.api(BILIBILI_SEARCH, list(signed.items()))
        return self.fetch(job, url, self.on_videos, generation=shared.generation)

    def on_videos(self, job: Job, response: Response, generation: int) -> Request | Wait | None:
        try:
            hits = search.parse_bilibili_users(response.body)
        except bilibili.SignatureRefused as refused:
            return self.after_refusal(job, 1, generation, refused)
        self.found(job, response, hits)
        return None


SEARCH_SPIDERS: dict[Source, type[SourceSpider]] = {
    Source.WEIBO: WeiboSearchSpider,
    Source.WECHAT: WechatSearchSpider,
    Source.BILIBILI: BilibiliSearchSpider,
}
