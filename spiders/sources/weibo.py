"""Weibo: the user info, then the post list, page by page (see spiders/parsers/weibo.py).

m.weibo.cn serves public profiles to a visitor holding its visitor cookies (SUB, SUBP). Without
a configured `GOVMEDIA_WEIBO_COOKIE` (which always wins), an account that m.weibo.cn sends to
the visitor system, or answers 432 or `ok: -100`, makes the spider fetch visitor cookies from
the visitor passport in two steps (`genvisitor` → tid, then `incarnate` → SUB and SUBP; where
`genvisitor` is gone, the one-step `genvisitor2` newer pages use): once
per crawl, while the other refused accounts wait on it. Each refused account then retries once
with them; only a second refusal (or a passport that refuses) is recorded. The cookies are stored
with their expiry (registry/credentials.py), so the next crawls send them from the start.

The passport lives on passport.weibo.com; with a `sources.weibo.base_url` of its own (the
simulator, a proxy) the passport is asked there too.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from registry import credentials
from registry.constants import Outcome, Source
from spiders.base import WAIT, Job, SourceSpider, Wait
from spiders.parsers import weibo
from spiders.parsers.common import AuthExpired, ParseError

GET_INDEX = "/api/container/getIndex"
COOKIE_ENV = "GOVMEDIA_WEIBO_COOKIE"
PASSPORT = "https://passport.weibo.com"
GENVISITOR = "/visitor/genvisitor"
GENVISITOR2 = "/visitor/genvisitor2"
INCARNATE = "/visitor/visitor"
PASSPORT_OK = 20000000
VISITOR_RETRIED = "visitor_retried"  # job.state: the account has retried with visitor cookies
# The browser fingerprint genvisitor asks for (what a desktop Chrome sends).
FINGERPRINT = json.dumps(
    {
        "os": "1",
        "browser": "Chrome120,0,0,0",
        "fonts": "undefined",
        "screenInfo": "1920*1080*24",
        "plugins": "",
    },
    separators=(",", ":"),
)
_JSONP = re.compile(rb"^[^(]*\((\{.*\})\)\s*;?\s*$", re.DOTALL)


@dataclass(slots=True)
class Visitor:
    """The crawl's visitor cookies, and the accounts waiting while they are fetched."""

    cookie: str = ""
    generation: int = 0  # how many times the passport has issued cookies in this crawl
    asking: Job | None = None
    waiting: list[tuple[Job, Any]] = field(default_factory=list)
    refused: str = ""  # why the passport gave none (then it is not asked again)


class WeiboSpider(SourceSpider):
    source = Source.WEIBO
    default_base_url = "https://m.weibo.cn"
    login_hosts: ClassVar[frozenset[str]] = frozenset({"passport.weibo.cn", "passport.weibo.com"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.visitor = Visitor()
        self.passport = PASSPORT if self.base_url == self.default_base_url else self.base_url
        if self.credentials_path and not self.environ.get(COOKIE_ENV):
            stored = self.stored_credentials().weibo_visitor
            if stored is not None and stored.valid(self.clock()):
                self.visitor.cookie = stored.cookie

    def request_headers(self, job: Job) -> dict[str, str]:
        headers = {
            "Accept": "application/json, text/plain, */*",
            "X-Requested-With": "XMLHttpRequest",
            "Referer": f"{self.base_url}/u/{job.target.identifier}",
        }
        cookie = self.environ.get(COOKIE_ENV) or self.visitor.cookie
        if cookie:
            headers["Cookie"] = cookie
        return headers

    def fetch(self, job: Job, url: str, handler: Any, **extra: Any) -> Request:
        request = super().fetch(job, url, handler, **extra)
        request.meta["visitor_generation"] = self.visitor.generation
        request.meta["visitor_sent"] = bool(self.visitor.cookie)
        return request

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

    # ------------------------------------------------------------------ visitor cookies

    def wants_visitor(self, response: Response, outcome: Outcome) -> bool:
        """The answers visitor cookies cure: the visitor system (also when the cookies sent are
        no longer accepted), or 432 and `ok: -100` to a request sent without them."""
        if 300 <= response.status < 400:
            location = response.headers.get("Location", b"").decode("latin-1")
            host = (urlsplit(location).hostname or "").lower()
            return host.startswith("visitor.")
        if response.meta.get("visitor_sent"):
            return False
        return response.status == 432 or (
            outcome is Outcome.AUTH_EXPIRED and response.status == 200
        )

    def refused(
        self, job: Job, response: Response, outcome: Outcome, detail: str, again: Any
    ) -> Request | Wait | None:
        visitor = self.visitor
        if (
            self.environ.get(COOKIE_ENV)  # a configured login wins: its refusal stands
            or job.state.get(VISITOR_RETRIED)
            or not self.wants_visitor(response, outcome)
        ):
            return None
        if visitor.refused:
            return None
        job.state[VISITOR_RETRIED] = True
        if response.meta.get("visitor_generation", 0) < visitor.generation:
            return again()  # newer cookies came since this request was sent
        if visitor.asking is not None:
            visitor.waiting.append((job, again))
            return WAIT
        visitor.asking = job
        job.state["visitor_again"] = again
        body = urlencode({"cb": "gen_callback", "fp": FINGERPRINT})
        return self.passport_request(
            job, self.passport + GENVISITOR, self.on_genvisitor, method="POST", body=body
        )

    def passport_request(
        self, job: Job, url: str, step: Any, *, method: str = "GET", body: str = ""
    ) -> Request:
        headers = {
            "Accept": "*/*",
            "Referer": f"{self.passport}/visitor/visitor?entry=miniblog&a=enter",
        }
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if "tid" in job.state:
            headers["Cookie"] = f"tid={job.state['tid']}__095"
        return Request(
            url,
            method=method,
            body=body,
            headers=headers,
            callback=self._on_passport,
            errback=self._on_passport_error,
            cb_kwargs={"job": job, "step": step},
            meta={
                "handle_httpstatus_all": True,
                "dont_redirect": True,
                "govmedia_account": job.target.account_id,
            },
            dont_filter=True,
        )

    def _on_passport(self, response: Response, job: Job, step: Any) -> Any:
        if step == self.on_genvisitor and response.status in (404, 405, 410):
            # the two-step flow is retired here: the one-step genvisitor2 that newer pages use
            body = urlencode({"cb": "visitor_gray_callback", "tid": "", "from": "weibo"})
            url = self.passport + GENVISITOR2
            yield self.passport_request(job, url, self.on_incarnate, method="POST", body=body)
            return
        try:
            if response.status != 200:
                raise AuthExpired(f"the visitor passport answered HTTP {response.status}")
            following = step(job, response)
        except ParseError as exc:
            yield from self.visitor_settled(job, exc.detail, response)
            return
        if following is not None:
            yield following
            return
        yield from self.visitor_settled(job, "", response)

    def _on_passport_error(self, failure: Failure) -> Any:
        job: Job = failure.request.cb_kwargs["job"]  # type: ignore[attr-defined]
        detail = f"the visitor passport did not answer ({failure.type.__name__})"
        yield from self.visitor_settled(job, detail, None)

    def on_genvisitor(self, job: Job, response: Response) -> Request:
        data = _passport_data(response.body, "genvisitor")
        tid = data.get("tid")
        if not isinstance(tid, str) or not tid:
            raise AuthExpired("the visitor passport's genvisitor gave no tid")
        job.state["tid"] = tid
        params = [
            ("a", "incarnate"),
            ("t", tid),
            ("w", "3" if data.get("new_tid") else "2"),
            ("c", "095"),
            ("gc", ""),
            ("cb", "cross_domain"),
            ("from", "weibo"),
            ("_rand", f"{random.random():.16f}"),  # noqa: S311 (cache-busting, not a secret)
        ]
        return self.passport_request(
            job, f"{self.passport}{INCARNATE}?{urlencode(params)}", self.on_incarnate
        )

    def on_incarnate(self, job: Job, response: Response) -> None:
        data = _passport_data(response.body, "incarnate")
        sub, subp = data.get("sub"), data.get("subp")
        if not isinstance(sub, str) or not sub or not isinstance(subp, str) or not subp:
            raise AuthExpired("the visitor passport's incarnate gave no SUB/SUBP")
        now = self.clock()
        set_cookie = [v.decode("latin-1") for v in response.headers.getlist("Set-Cookie")]
        expiries = [e for _, e in credentials.set_cookies(set_cookie, now).values() if e]
        cookie = f"SUB={sub}; SUBP={subp}"
        self.visitor.cookie = cookie
        self.visitor.generation += 1
        from registry.secrets import REDACTOR

        REDACTOR.add_values([cookie])
        if self.credentials_path:
            expires = min(expiries) if expiries else now + dt.timedelta(days=1)
            visitor = credentials.VisitorCookie(cookie=cookie, obtained_at=now, expires_at=expires)
            credentials.store_visitor(Path(self.credentials_path), visitor)
        self.logger.info("obtained Weibo visitor cookies from the visitor passport")

    def visitor_settled(self, job: Job, refusal: str, response: Response | None) -> Any:
        """The passport has answered: the asking account and those waiting retry, or (refused)
        are recorded as expired logins."""
        visitor = self.visitor
        visitor.asking = None
        again = job.state.pop("visitor_again")
        waiting, visitor.waiting = visitor.waiting, []
        if refusal:
            visitor.refused = refusal
            detail = f"no visitor cookies: {refusal}; set {COOKIE_ENV} (see README, Logins)"
            for waiter, _ in [(job, again), *waiting]:
                yield self.fail(waiter, Outcome.AUTH_EXPIRED, detail, response=response)
                yield from self._start_next()
            return
        yield again()
        for _waiter, retry in waiting:
            yield retry()


def _passport_data(body: bytes, step: str) -> dict[str, Any]:
    """The `data` of a successful JSONP answer, else AuthExpired naming the retcode."""
    match = _JSONP.match(body.strip())
    try:
        payload = json.loads(match.group(1) if match else body)
    except ValueError:
        raise AuthExpired(f"the visitor passport's {step} answer is not JSONP") from None
    if not isinstance(payload, dict):
        raise AuthExpired(f"the visitor passport's {step} answer is not an object")
    if payload.get("retcode") != PASSPORT_OK:
        raise AuthExpired(
            f"the visitor passport refused ({step}: retcode {payload.get('retcode')}, "
            f"{payload.get('msg')})"
        )
    data = payload.get("data")
    return data if isinstance(data, dict) else {}
