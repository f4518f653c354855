"""Weibo: the user info, then the post list, page by page (see spiders/parsers/weibo.py)."""

from __future__ import annotations

from typing import ClassVar

from scrapy.http import Request, Response

from registry.constants import Source
from spiders.base import Job, SourceSpider
from spiders.parsers import weibo

GET_INDEX = "/api/container/getIndex"
COOKIE_ENV = "GOVMEDIA_WEIBO_COOKIE"


class WeiboSpider(SourceSpider):
    source = Source.WEIBO
    default_base_url = "https://m.weibo.cn"
    login_hosts: ClassVar[frozenset[str]] = frozenset({"passport.weibo.cn", "passport.weibo.com"})

    def request_headers(self, job: Job) -> dict[str, str]:
        headers = {
            "Accept": "application/json, text/plain, */*",
            "X-Requested-With": "XMLHttpRequest",
            "Referer": f"{self.base_url}/u/{job.target.identifier}",
        }
        cookie = self.environ.get(COOKIE_ENV)
        if cookie:
            headers["Cookie"] = cookie
        return headers

    def first_request(self, job: Job) -> Request:
        uid = job.target.identifier or ""
        return self.fetch(job, self.api(GET_INDEX, [("type", "uid"), ("value", uid)]), self.on_user)

    def on_user(self, job: Job, response: Response) -> Request:
        job.state["user"] = weibo.parse_user(response.body)
        return self.posts_request(job, 1)

    def posts_request(self, job: Job, page: int) -> Request:
        uid = job.target.identifier or ""
        params: list[tuple[str, str | int]] = [
            ("type", "uid"),
            ("value", uid),
            ("containerid", f"107603{uid}"),
            ("page", page),
        ]
        return self.fetch(job, self.api(GET_INDEX, params), self.on_posts)

    def on_posts(self, job: Job, response: Response) -> Request | None:
        parsed = weibo.parse_posts(response.body, self.response_now(response))
        page = job.pages + 1
        return self.next_page(job, response, parsed, lambda: self.posts_request(job, page + 1))
