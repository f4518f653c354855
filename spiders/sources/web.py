"""Government-site columns: fetch the column's list page and read its rows (spiders/parsers/web.py).

Government sites move their columns about (`/zwyw` → `/zwyw/`, http → https), so this spider
follows a few redirects itself, to http(s) URLs only (a redirect to file:///… is malformed and
never fetched); any other answer is judged by the base spider.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urljoin, urlsplit

from scrapy.http import Request, Response

from registry.constants import Outcome, Source
from spiders.base import Handler, Job, SourceSpider
from spiders.parsers import web
from spiders.parsers.common import Malformed

MAX_REDIRECTS = 5
FOLLOWED_SCHEMES = frozenset({"http", "https"})  # never file:, ftp:, data:… (spiders/settings.py)


class RedirectFollowing(SourceSpider):
    """A spider that follows up to MAX_REDIRECTS redirects of a page before judging it."""

    accept: ClassVar[str] = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
    end_is_history = False  # one page of a feed or column: its newest rows only

    def request_headers(self, job: Job) -> dict[str, str]:
        return {"Accept": self.accept, "Accept-Language": "zh-CN,zh;q=0.9"}

    def http_outcome(self, response: Response) -> tuple[Outcome, str] | None:
        if 300 <= response.status < 400 and response.headers.get("Location"):
            return None  # the handler follows it
        return super().http_outcome(response)

    def follow(self, job: Job, response: Response, handler: Handler) -> Request | None:
        """The request that follows a redirect, or None when `response` is not one."""
        if not 300 <= response.status < 400:
            return None
        hops = job.state.get("redirects", 0) + 1
        location = response.headers.get("Location", b"").decode("latin-1")
        if hops > MAX_REDIRECTS:
            raise Malformed(f"more than {MAX_REDIRECTS} redirects (last to {location})")
        target = urljoin(response.url, location)
        scheme = urlsplit(target).scheme.lower()
        if scheme not in FOLLOWED_SCHEMES:
            # The answer is a redirect we will not take: judged like any other unexpected
            # redirect (base spider), malformed, and nothing is fetched.
            raise Malformed(
                f"redirect (HTTP {response.status}) to a {scheme or 'schemeless'}: URL, not followed"
            )
        job.state["redirects"] = hops
        return self.fetch(job, target, handler)


class WebSpider(RedirectFollowing):
    source = Source.WEB

    def first_request(self, job: Job) -> Request:
        return self.fetch(job, job.target.identifier or "", self.on_page)

    def on_page(self, job: Job, response: Response) -> Request | None:
        redirect = self.follow(job, response, self.on_page)
        if redirect is not None:
            return redirect
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        page = web.parse_column(
            response.body,
            url=response.url,
            now=self.response_now(response),
            content_type=content_type,
            status=response.status,
            selectors=job.target.selectors,
        )
        return self.next_page(job, response, page, None)
