"""Bilibili: the Wbi keys from nav, then each uploader's videos, signed, page by page.

The keys are shared by the whole crawl: every `arc/search` request is signed with them
(spiders/wbi.py). No account starts while nav is being asked, so a crawl asks it once.

The platform changes the keys daily, so they may change during a crawl. An answer that refuses
the signature (`SignatureRefused`: -403, or a `data` holding only `v_voucher`) to a request
signed with the newest keys makes the spider ask nav again: once, for every account refused
meanwhile (they wait on that one request), and each of them re-signs and retries its page once.
An account refused after a newer key pair arrived retries with it at once. If a retry is refused
too, or nav fails, the keys were not the cause: that refusal stands (blocked) and the crawl asks
nav no more.

An optional cookie (`buvid3=…; SESSDATA=…`) from `GOVMEDIA_BILIBILI_COOKIE` makes the risk
control (-352) less likely.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from registry.constants import Outcome, Source
from spiders import wbi
from spiders.base import WAIT, Job, SourceSpider, Wait
from spiders.items import ObservationItem
from spiders.parsers import bilibili

NAV = "/x/web-interface/nav"
ARC_SEARCH = "/x/space/wbi/arc/search"
PAGE_SIZE = 30
COOKIE_ENV = "GOVMEDIA_BILIBILI_COOKIE"
RETRIED = "wbi_retried"  # job.state: the account has re-signed and retried once


@dataclass(slots=True)
class SharedKeys:
    """The crawl's Wbi keys, and the one nav request that may be fetching newer ones."""

    keys: tuple[str, str] | None = None
    generation: int = 0  # how many times nav has answered with keys in this crawl
    asking: Job | None = None  # the account whose nav request is in flight
    # the accounts (and the page of each) refused while that request is in flight
    waiting: list[tuple[Job, int]] = field(default_factory=list)
    refresh_helps: bool = True  # False once fresh keys were refused too, or a refresh failed
    settled: list[Deferred[None]] = field(default_factory=list)  # start() waiting on nav


class BilibiliSpider(SourceSpider):
    source = Source.BILIBILI
    default_base_url = "https://api.bilibili.com"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shared = SharedKeys()

    def request_headers(self, job: Job) -> dict[str, str]:
        mid = job.target.identifier or ""
        headers = {
            "Accept": "application/json, text/plain, */*",
            "Referer": f"https://space.bilibili.com/{mid}",
            "Origin": "https://space.bilibili.com",
        }
        cookie = self.environ.get(COOKIE_ENV)
        if cookie:
            headers["Cookie"] = cookie
        return headers

    async def start(self) -> AsyncIterator[Any]:
        """The base's start, except that no account starts while nav is being asked: the keys
        it brings serve every account after it."""
        async for output in super().start():
            yield output
            while self.shared.asking is not None:
                settled: Deferred[None] = Deferred()
                self.shared.settled.append(settled)
                await maybe_deferred_to_future(settled)

    def first_request(self, job: Job) -> Request:
        if self.shared.keys is None:
            return self.ask_nav(job, 1)
        return self.videos_request(job, 1)

    def ask_nav(self, job: Job, page: int) -> Request:
        """Fetch the keys for every account; `job` goes on at `page` when they come."""
        self.shared.asking = job
        return self.fetch(job, self.api(NAV), self.on_nav, page=page)

    def on_nav(self, job: Job, response: Response, page: int) -> Request:
        keys = bilibili.parse_nav(response.body)  # a ParseError ends in fail(), below
        self.shared.keys = keys
        self.shared.generation += 1
        self.settle()
        return self.videos_request(job, page)

    def settle(self, *, failed: bool = False) -> None:
        """Nav has answered (or failed): the accounts waiting on it go on, with the keys at hand."""
        shared = self.shared
        shared.asking = None
        if failed and shared.keys is not None:
            shared.refresh_helps = False  # a refresh that failed is not tried again
        waiting, shared.waiting = shared.waiting, []
        for job, page in waiting:
            self.resume(self.videos_request(job, page))
        settled, shared.settled = shared.settled, []
        for deferred in settled:
            deferred.callback(None)

    def fail(
        self,
        job: Job,
        outcome: Outcome,
        detail: str,
        *,
        response: Response | None = None,
        counted: bool = True,
    ) -> ObservationItem:
        if job is self.shared.asking:  # its nav request brought no keys
            self.settle(failed=True)
        return super().fail(job, outcome, detail, response=response, counted=counted)

    def videos_request(self, job: Job, page: int) -> Request:
        shared = self.shared
        assert shared.keys is not None
        params: dict[str, object] = {
            "mid": job.target.identifier or "",
            "ps": PAGE_SIZE,
            "tid": 0,
            "pn": page,
            "keyword": "",
            "order": "pubdate",
            "platform": "web",
            "web_location": 1550101,
            "order_avoided": "true",
        }
        signed = wbi.sign(params, *shared.keys, wts=int(self.clock().timestamp()))
        url = self.api(ARC_SEARCH, list(signed.items()))
        return self.fetch(job, url, self.on_videos, generation=shared.generation)

    def on_videos(self, job: Job, response: Response, generation: int) -> Request | Wait | None:
        page = job.pages + 1
        try:
            parsed = bilibili.parse_videos(response.body)
        except bilibili.SignatureRefused as refused:
            return self.after_refusal(job, page, generation, refused)
        return self.next_page(job, response, parsed, lambda: self.videos_request(job, page + 1))

    def after_refusal(
        self, job: Job, page: int, generation: int, refused: bilibili.SignatureRefused
    ) -> Request | Wait:
        """Retry a refused page once with fresh keys, or let the refusal stand (raise it)."""
        shared = self.shared
        newest = f"{refused.detail} (also with the crawl's newest Wbi keys)"
        if job.state.get(RETRIED):
            shared.refresh_helps = False  # fresh keys refused too: the keys are not the cause
            raise bilibili.SignatureRefused(newest)
        if generation < shared.generation:  # newer keys came since this request was signed
            job.state[RETRIED] = True
            return self.videos_request(job, page)
        if not shared.refresh_helps:  # signed with the newest keys, and fresh ones do not help
            raise bilibili.SignatureRefused(newest)
        job.state[RETRIED] = True
        if shared.asking is not None:  # another account is already asking nav
            shared.waiting.append((job, page))
            return WAIT
        return self.ask_nav(job, page)
