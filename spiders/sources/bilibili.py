"""Bilibili: the day's Wbi keys from nav, then the uploader's videos, signed, page by page.

The keys are fetched once per crawl (they change daily) and every `arc/search` request is signed
with them (spiders/wbi.py). An optional cookie (`buvid3=…; SESSDATA=…`) from
`GOVMEDIA_BILIBILI_COOKIE` makes the risk control (-352) less likely.
"""

from __future__ import annotations

from typing import Any

from scrapy.http import Request, Response

from registry.constants import Source
from spiders import wbi
from spiders.base import Job, SourceSpider
from spiders.parsers import bilibili

NAV = "/x/web-interface/nav"
ARC_SEARCH = "/x/space/wbi/arc/search"
PAGE_SIZE = 30
COOKIE_ENV = "GOVMEDIA_BILIBILI_COOKIE"


class BilibiliSpider(SourceSpider):
    source = Source.BILIBILI
    default_base_url = "https://api.bilibili.com"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wbi_keys: tuple[str, str] | None = None

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

    def first_request(self, job: Job) -> Request:
        if self.wbi_keys is None:
            return self.fetch(job, self.api(NAV), self.on_nav)
        return self.videos_request(job, 1)

    def on_nav(self, job: Job, response: Response) -> Request:
        self.wbi_keys = bilibili.parse_nav(response.body)
        return self.videos_request(job, 1)

    def videos_request(self, job: Job, page: int) -> Request:
        assert self.wbi_keys is not None
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
        signed = wbi.sign(params, *self.wbi_keys, wts=int(self.clock().timestamp()))
        return self.fetch(job, self.api(ARC_SEARCH, list(signed.items())), self.on_videos)

    def on_videos(self, job: Job, response: Response) -> Request | None:
        parsed = bilibili.parse_videos(response.body)
        page = job.pages + 1
        return self.next_page(job, response, parsed, lambda: self.videos_request(job, page + 1))
