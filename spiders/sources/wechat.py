"""WeChat official accounts through the platform backend, with the office's own login.

Without a configured `fakeid` the account is searched by its exact name first. Articles are listed
with `appmsgpublish` (default) or the older `appmsg list_ex` (`crawl.wechat_list`), five pushes or
articles a page.

The login is GOVMEDIA_WECHAT_TOKEN and GOVMEDIA_WECHAT_COOKIE when both are set, else the
sessions `govmedia login wechat` stored (registry/credentials.py) that have not expired. Several
stored logins (e.g. two offices' MP accounts) share the accounts in turn; one that answers freq
control (200013) is not used again in this crawl, and the account asks again with another
(the last one left is kept: the circuit breaker then decides).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import Request, Response

from registry.constants import Outcome, Source
from spiders.base import Job, SourceSpider, Wait
from spiders.items import AccountTarget
from spiders.parsers import wechat

TOKEN_ENV = "GOVMEDIA_WECHAT_TOKEN"
COOKIE_ENV = "GOVMEDIA_WECHAT_COOKIE"
PAGE_SIZE = 5
LOGIN_HINT = "run `govmedia login wechat` or set GOVMEDIA_WECHAT_TOKEN and GOVMEDIA_WECHAT_COOKIE"


@dataclass(slots=True)
class Session:
    label: str  # who logged in ("environment" for the variables); never the secret
    token: str
    cookie: str
    dropped: bool = False


class WechatSpider(SourceSpider):
    source = Source.WECHAT
    default_base_url = "https://mp.weixin.qq.com"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sessions: list[Session] = []
        self.no_session = ""  # why there is none
        self.turn = 0
        token, cookie = self.environ.get(TOKEN_ENV, ""), self.environ.get(COOKIE_ENV, "")
        if token and cookie:
            self.sessions = [Session("environment", token, cookie)]
            return
        missing = " and ".join(n for n, v in ((TOKEN_ENV, token), (COOKIE_ENV, cookie)) if not v)
        stored = self.stored_credentials().wechat
        now = self.clock()
        self.sessions = [
            Session(s.account, s.token, s.cookie) for s in stored if not s.expired(now)
        ]
        if stored and not self.sessions:
            ends = max(s.expires_at for s in stored if s.expires_at is not None)
            self.no_session = (
                f"the stored WeChat login expired at {ends:%Y-%m-%d %H:%M} UTC: "
                "run `govmedia login wechat` (see README, Logins)"
            )
        elif not self.sessions:
            self.no_session = f"no platform login: set {missing} or run `govmedia login wechat` (see README, Secrets)"

    def session(self, job: Job) -> Session:
        """The login this account uses: assigned in turn among those still in use."""
        index = job.state.get("session")
        if index is None or self.sessions[index].dropped:
            usable = [i for i, s in enumerate(self.sessions) if not s.dropped]
            index = usable[self.turn % len(usable)]
            self.turn += 1
            job.state["session"] = index
        return self.sessions[index]

    def token(self, job: Job) -> str:
        return self.session(job).token

    def precheck(self, target: AccountTarget) -> tuple[Outcome, str] | None:
        if not self.sessions:
            return Outcome.AUTH_EXPIRED, self.no_session
        return None

    def request_headers(self, job: Job) -> dict[str, str]:
        session = self.session(job)
        return {
            "Accept": "application/json, text/javascript, */*; q=0.01",
            "X-Requested-With": "XMLHttpRequest",
            "Referer": f"{self.base_url}/cgi-bin/home?t=home/index&lang=zh_CN&token={session.token}",
            "Cookie": session.cookie,
        }

    def refused(
        self, job: Job, response: Response, outcome: Outcome, detail: str, again: Any
    ) -> Request | Wait | None:
        """Freq control (200013) on one of several logins: drop it, ask again with another."""
        if outcome is not Outcome.BLOCKED or str(wechat.RATE_LIMITED) not in detail:
            return None
        session = self.sessions[job.state["session"]]  # the login this answer was given to
        if not session.dropped:  # (another account may have dropped it meanwhile)
            if sum(not s.dropped for s in self.sessions) <= 1:
                return None
            session.dropped = True
            self.logger.warning(
                "WeChat login of %s answered freq control (200013): not used again in this crawl",
                session.label,
            )
        fresh = self.session(job)  # another login, now
        parts = urlsplit(response.url)
        query = [
            (k, fresh.token if k == "token" else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        url = urlunsplit(parts._replace(query=urlencode(query)))
        request = again()
        return request.replace(url=url, headers=self.request_headers(job))

    def first_request(self, job: Job) -> Request:
        if job.target.identifier:
            job.state["fakeid"] = job.target.identifier
            return self.list_request(job, 0)
        params: list[tuple[str, str | int]] = [
            ("action", "search_biz"),
            ("begin", 0),
            ("count", 5),
            ("query", job.target.name),
            ("token", self.token(job)),
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
        params += [("token", self.token(job)), ("lang", "zh_CN"), ("f", "json"), ("ajax", 1)]
        return self.fetch(job, self.api(path, params), self.on_list, begin=begin)

    def on_list(self, job: Job, response: Response, begin: int = 0) -> Request | None:
        if self.crawl.wechat_list == "appmsg":
            page = wechat.parse_appmsg(response.body, begin, PAGE_SIZE)
        else:
            page = wechat.parse_publish(response.body, begin, PAGE_SIZE)
        return self.next_page(
            job, response, page, lambda: self.list_request(job, begin + PAGE_SIZE)
        )
