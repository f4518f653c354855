"""WeChat official accounts through the platform backend, with the office's own login.

Without a configured `fakeid` the account is searched by its exact name first. Articles are listed
with `appmsgpublish` (default) or the older `appmsg list_ex` (`crawl.wechat_list`), five pushes or
articles a page.
"""

from __future__ import annotations

from scrapy.http import Request, Response

from registry.constants import Outcome, Source
from spiders.base import Job, SourceSpider
from spiders.items import AccountTarget
from spiders.parsers import wechat

TOKEN_ENV = "GOVMEDIA_WECHAT_TOKEN"
COOKIE_ENV = "GOVMEDIA_WECHAT_COOKIE"
PAGE_SIZE = 5


class WechatSpider(SourceSpider):
    source = Source.WECHAT
    default_base_url = "https://mp.weixin.qq.com"

    @property
    def token(self) -> str:
        return self.environ.get(TOKEN_ENV, "")

    def precheck(self, target: AccountTarget) -> tuple[Outcome, str] | None:
        missing = [name for name in (TOKEN_ENV, COOKIE_ENV) if not self.environ.get(name)]
        if missing:
            return (
                Outcome.AUTH_EXPIRED,
                f"no platform login: set {' and '.join(missing)} (see README, Secrets)",
            )
        return None

    def request_headers(self, job: Job) -> dict[str, str]:
        return {
            "Accept": "application/json, text/javascript, */*; q=0.01",
            "X-Requested-With": "XMLHttpRequest",
            "Referer": f"{self.base_url}/cgi-bin/home?t=home/index&lang=zh_CN&token={self.token}",
            "Cookie": self.environ.get(COOKIE_ENV, ""),
        }

    def first_request(self, job: Job) -> Request:
        if job.target.identifier:
            job.state["fakeid"] = job.target.identifier
            return self.list_request(job, 0)
        params: list[tuple[str, str | int]] = [
            ("action", "search_biz"),
            ("begin", 0),
            ("count", 5),
            ("query", job.target.name),
            ("token", self.token),
            ("lang", "zh_CN"),
            ("f", "json"),
            ("ajax", 1),
        ]
        return self.fetch(job, self.api("/cgi-bin/searchbiz", params), self.on_search)

    def on_search(self, job: Job, response: Response) -> Request:
        job.state["fakeid"] = wechat.parse_search(response.body, job.target.name)
        return self.list_request(job, 0)

    def list_request(self, job: Job, begin: int) -> Request:
        fakeid = job.state["fakeid"]
        if self.crawl.wechat_list == "appmsg":
            path = "/cgi-bin/appmsg"
            params: list[tuple[str, str | int]] = [
                ("action", "list_ex"),
                ("begin", begin),
                ("count", PAGE_SIZE),
                ("fakeid", fakeid),
                ("type", 9),
                ("query", ""),
            ]
        else:
            path = "/cgi-bin/appmsgpublish"
            params = [
                ("sub", "list"),
                ("begin", begin),
                ("count", PAGE_SIZE),
                ("fakeid", fakeid),
                ("type", "101_1"),
                ("free_publish_type", 1),
                ("sub_action", "list_ex"),
            ]
        params += [("token", self.token), ("lang", "zh_CN"), ("f", "json"), ("ajax", 1)]
        return self.fetch(job, self.api(path, params), self.on_list, begin=begin)

    def on_list(self, job: Job, response: Response, begin: int = 0) -> Request | None:
        if self.crawl.wechat_list == "appmsg":
            page = wechat.parse_appmsg(response.body, begin, PAGE_SIZE)
        else:
            page = wechat.parse_publish(response.body, begin, PAGE_SIZE)
        return self.next_page(
            job, response, page, lambda: self.list_request(job, begin + PAGE_SIZE)
        )
