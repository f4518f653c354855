"""The base spider: the steps every source shares, so that a source's spider only parses.

One spider per source crawls all of that source's accounts (accounts are data, `AccountTarget`).
For each account the base spider:

- builds requests under `sources.<name>.base_url`, with the identifying User-Agent, never
  following redirects unless the source opts in (a redirect to a login page is an answer);
- maps an HTTP status or a transport failure to an `Outcome` (403/412/418/432/429 blocked, 404/410
  not_found, 401 and login redirects auth_expired, 5xx and timeouts network_error after the retry
  middleware's retries);
- hands a 2xx body to the subclass's handler, whose parser either returns the posts or raises a
  `ParseError` naming the outcome;
- pages until the posts are older than the look-back window, the list ends or the page cap is
  reached (pinned posts never stop paging);
- keeps the raw response the outcome was judged on as evidence;
- yields exactly one `ObservationItem` per account.

A subclass sets `source` (and `default_base_url`), implements `first_request(job)` and the
handlers it chains with `self.fetch(job, url, handler)`. A handler returns the next `Request`,
or `self.next_page(...)`'s answer, or None when the account is done, or `WAIT` when the account
waits on a step shared with other accounts (Bilibili's Wbi key refresh): the spider then hands
its next request to `self.resume(request)` once that step is done.

The per-source circuit breaker lives here too: after `crawl.breaker_threshold` consecutive blocked
(or login-expired) answers, the rest of the source's accounts are recorded with that outcome
without being requested.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode, urljoin, urlsplit

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.http import Request, Response
from twisted.internet.error import (
    ConnectError,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from registry.constants import Outcome, Source
from registry.models import CrawlSettings
from spiders.items import AccountTarget, ObservationItem
from spiders.parsers.common import ParsedPage, ParsedPost, ParseError, http_date

# HTTP answers that mean the platform refused us (anti-crawling), whatever the body says.
BLOCKED_STATUSES = frozenset({403, 412, 418, 429, 432})
NOT_FOUND_STATUSES = frozenset({404, 410})

Handler = Callable[..., "Request | Wait | None"]  # handler(job, response, **cb_kwargs extras)


class Wait:
    """The type of `WAIT`: a handler's answer for an account that goes on later (`resume`)."""


WAIT = Wait()


class CircuitOpen(scrapy.exceptions.IgnoreRequest):
    """Raised by the circuit-breaker middleware for a request it will not send."""


class CircuitBreaker:
    """Counts consecutive blocked (or login-expired) answers from one source in one crawl."""

    TRIPPING = (Outcome.BLOCKED, Outcome.AUTH_EXPIRED)

    def __init__(self, source: Source, threshold: int) -> None:
        self.source = source
        self.threshold = threshold
        self.streak = 0
        self.streak_outcome: Outcome | None = None
        self.tripped: Outcome | None = None

    def record(self, outcome: Outcome) -> None:
        """Note the outcome of one answer the platform really gave."""
        if self.tripped is not None or outcome is Outcome.NETWORK_ERROR:
            return  # a timeout says nothing about being blocked
        if outcome not in self.TRIPPING:
            self.streak, self.streak_outcome = 0, None
            return
        if outcome is self.streak_outcome:
            self.streak += 1
        else:
            self.streak, self.streak_outcome = 1, outcome
        if self.streak >= self.threshold:
            self.tripped = outcome

    @property
    def reason(self) -> str:
        return (
            f"not requested: {self.source.value} answered {self.streak_outcome} "
            f"{self.streak} times in a row in this crawl (circuit breaker open)"
        )


@dataclass(slots=True)
class Job:
    """One account's crawl in progress."""

    target: AccountTarget
    posts: dict[str, ParsedPost] = field(default_factory=dict)
    pages: int = 0
    notes: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)  # the subclass's own (e.g. a found fakeid)
    evidence: tuple[str, int, bytes] | None = None  # (url, status, body) of the first list page
    stop: str = ""  # end | known | window | cap | failure


class SourceSpider(scrapy.Spider):
    """Shared steps of every source's spider; see the module docstring."""

    source: ClassVar[Source]
    default_base_url: ClassVar[str | None] = None
    follow_redirects: ClassVar[bool] = False
    # Hosts (with their subdomains) a redirect to which means the session or cookie is not valid.
    login_hosts: ClassVar[frozenset[str]] = frozenset()
    # Whether the end of the list is the start of the account's history. A feed or a web column
    # shows only its newest rows, so reaching its end proves only back to its oldest row.
    end_is_history: ClassVar[bool] = True

    def __init__(
        self,
        *,
        targets: list[AccountTarget],
        crawl_id: str,
        crawl: CrawlSettings,
        base_url: str | None = None,
        now: dt.datetime | None = None,
        environ: dict[str, str] | None = None,
        credentials_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=self.source.value, **kwargs)
        self.targets = targets
        self._unstarted = iter(targets)  # shared by start() and the callbacks (_start_next)
        self.crawl_id = crawl_id
        self.crawl = crawl
        self.base_url = (base_url or self.default_base_url or "").rstrip("/")
        self.fixed_now = now
        self.environ = os.environ if environ is None else environ
        # The stored logins (registry/credentials.py); None: only the environment's.
        self.credentials_path = credentials_path
        self.breaker = CircuitBreaker(self.source, crawl.breaker_threshold)

    # ------------------------------------------------------------------ for subclasses

    def first_request(self, job: Job) -> Request:
        """The account's first request (raise ParseError to record an outcome without one)."""
        raise NotImplementedError

    def precheck(self, target: AccountTarget) -> tuple[Outcome, str] | None:
        """An outcome known before any request (e.g. credentials missing), or None."""
        return None

    def request_headers(self, job: Job) -> dict[str, str]:
        """Extra headers for this source (cookies from the environment, a Referer)."""
        return {}

    def stored_credentials(self) -> Any:
        """The stored logins (registry/credentials.py); none when there is no file, or when it
        cannot be read (logged: the environment's logins still work)."""
        from registry import credentials

        if not self.credentials_path:
            return credentials.Credentials()
        try:
            return credentials.load(Path(self.credentials_path))
        except credentials.CredentialsError as exc:
            self.logger.error("stored logins not used: %s", exc)
            return credentials.Credentials()

    def refused(
        self,
        job: Job,
        response: Response,
        outcome: Outcome,
        detail: str,
        again: Callable[[], Request],
    ) -> Request | Wait | None:
        """A chance to recover from a refusal (fresh visitor cookies, another login) before it
        is recorded: the next request (`again()` repeats this one), `WAIT`, or None to record it."""
        return None

    def api(self, path: str, params: list[tuple[str, str | int]] | None = None) -> str:
        """`{base_url}{path}?{params}`, keeping the platform's parameter order."""
        query = urlencode(params or [])
        return f"{self.base_url}{path}" + (f"?{query}" if query else "")

    def resume(self, request: Request) -> None:
        """Send the next request of an account whose handler answered `WAIT`."""
        assert self.crawler.engine is not None
        self.crawler.engine.crawl(request)

    def fetch(self, job: Job, url: str, handler: Handler, **extra: Any) -> Request:
        """A request whose answer goes, after the shared checks, to
        `handler(job, response, **extra)`."""
        return Request(
            url,
            callback=self._on_response,
            errback=self._on_error,
            cb_kwargs={"job": job, "handler": handler, **extra},
            headers=self.request_headers(job),
            meta={
                "handle_httpstatus_all": True,
                "dont_redirect": not self.follow_redirects,
                "govmedia_account": job.target.account_id,
            },
            dont_filter=True,
        )

    def next_page(
        self,
        job: Job,
        response: Response,
        page: ParsedPage,
        next_request: Callable[[], Request] | None,
    ) -> Request | None:
        """Take a parsed list page; return the next page's request, or None when done.

        Paging stops at the end of the list, once a non-pinned post is older than what an earlier
        crawl stored (`target.seen_until`) or than the look-back window, or at the page cap.
        Pinned posts never stop it.
        """
        if job.pages == 0:
            job.evidence = (response.url, response.status, response.body)
        job.pages += 1
        for post in page.posts:
            job.posts.setdefault(post.key, post)
        if page.detail and page.detail not in job.notes:
            job.notes.append(page.detail)
        if not page.has_more or next_request is None:
            job.stop = "end"
            return None
        dated = [p.published_at for p in page.posts if not p.pinned]
        seen_until = job.target.seen_until
        if seen_until is not None and dated and min(dated) < seen_until:
            job.stop = "known"  # older posts are stored from an earlier crawl
            return None
        window_start = self.response_now(response) - dt.timedelta(days=self.crawl.lookback_days)
        if dated and min(dated) < window_start:
            job.stop = "window"
            return None
        if job.pages >= self.crawl.max_pages:
            job.stop = "cap"
            job.notes.append(f"page cap of {self.crawl.max_pages} reached")
            return None
        return next_request()

    # ------------------------------------------------------------------ time

    def clock(self) -> dt.datetime:
        """The crawl's clock: fixed by `--now`, else the system clock (aware UTC)."""
        return self.fixed_now or dt.datetime.now(dt.UTC)

    def response_now(self, response: Response) -> dt.datetime:
        """The instant relative times are read against: the response's `Date`, else the clock."""
        return http_date(response.headers.get("Date")) or self.clock()

    # ------------------------------------------------------------------ the shared steps

    async def start(self) -> AsyncIterator[Any]:
        while True:
            started = False
            for output in self._start_next():
                started = True
                yield output
            if not started:
                return

    def _start_next(self) -> Iterator[Any]:
        """The next account's first request, after the observations of the accounts before it
        that are settled without one (breaker open, precheck, no request possible).

        Scrapy takes one start request per turn of its loop, fewer than the concurrency allows
        while responses keep it busy; so each finished account also starts the next one.
        """
        for target in self._unstarted:
            job = Job(target)
            if self.breaker.tripped is not None:
                yield self.observation(job, self.breaker.tripped, self.breaker.reason)
                continue
            refusal = self.precheck(target)
            if refusal is not None:
                yield self.observation(job, *refusal)
                continue
            try:
                request = self.first_request(job)
            except ParseError as exc:
                yield self.observation(job, exc.outcome, exc.detail)
                continue
            yield request
            return

    def _on_response(
        self, response: Response, job: Job, handler: Handler, **extra: Any
    ) -> Iterator[Any]:
        output = self._judge(response, job, handler, extra)
        if output is WAIT:
            return  # nothing to send now: the spider resumes the account itself
        yield output
        if isinstance(output, ObservationItem):
            yield from self._start_next()

    def _judge(self, response: Response, job: Job, handler: Handler, extra: dict[str, Any]) -> Any:
        """The account's observation, or the request for its next page."""
        judged = self.http_outcome(response)
        if judged is None:
            try:
                following = handler(job, response, **extra)
            except ParseError as exc:
                judged = exc.outcome, exc.detail
            except Exception as exc:  # a parser bug must not lose the account's observation
                self.logger.exception("could not read %s's answer", job.target.account_id)
                detail = f"could not read the answer ({type(exc).__name__}: {exc})"
                return self.fail(job, Outcome.MALFORMED, detail, response=response)
            else:
                return self.finish_ok(job) if following is None else following
        again = self.refused(
            job, response, *judged, lambda: self.fetch(job, response.url, handler, **extra)
        )
        if again is not None:
            return again
        return self.fail(job, *judged, response=response)

    def _on_error(self, failure: Failure) -> Iterator[Any]:
        yield self._judge_failure(failure)
        yield from self._start_next()

    def _judge_failure(self, failure: Failure) -> ObservationItem:
        """The observation of an account whose request got no answer."""
        request = failure.request  # type: ignore[attr-defined]
        job: Job = request.cb_kwargs["job"]
        if failure.check(CircuitOpen):
            assert self.breaker.tripped is not None
            return self.fail(job, self.breaker.tripped, self.breaker.reason, counted=False)
        retries = self.crawl.retries
        if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
            detail = f"no answer within {self.crawl.timeout:g} s ({retries} retries)"
        elif failure.check(DownloadConnectionRefusedError, ConnectionRefusedError, ConnectError):
            detail = f"connection refused by {urlsplit(request.url).netloc} ({retries} retries)"
        elif failure.check(CannotResolveHostError, DNSLookupError):
            detail = f"cannot resolve {urlsplit(request.url).hostname} ({retries} retries)"
        elif failure.check(ResponseDataLossError):
            return self.fail(job, Outcome.MALFORMED, "the body was cut off before its end")
        elif failure.check(ConnectionLost, DownloadFailedError):
            detail = f"connection lost ({retries} retries)"
        else:
            detail = f"{failure.type.__name__}: {failure.getErrorMessage()} ({retries} retries)"
        return self.fail(job, Outcome.NETWORK_ERROR, detail)

    def is_login_host(self, host: str) -> bool:
        """True for a login host or any subdomain of one (Weibo sends a visitor without a cookie
        to visitor.passport.weibo.cn): matched by domain suffix, never by substring."""
        host = host.rstrip(".")
        return any(host == login or host.endswith("." + login) for login in self.login_hosts)

    def http_outcome(self, response: Response) -> tuple[Outcome, str] | None:
        """The outcome an HTTP status alone proves, or None for a body to parse."""
        status = response.status
        if 300 <= status < 400:
            location = response.headers.get("Location", b"").decode("latin-1")
            host = (urlsplit(urljoin(response.url, location)).hostname or "").lower()
            if self.is_login_host(host):
                return Outcome.AUTH_EXPIRED, f"redirected to the login page ({host})"
            return Outcome.MALFORMED, f"unexpected redirect (HTTP {status}) to {host or location}"
        if status in BLOCKED_STATUSES:
            return Outcome.BLOCKED, f"HTTP {status}: the platform refused the request"
        if status in NOT_FOUND_STATUSES:
            return Outcome.NOT_FOUND, f"HTTP {status}: the account or page is gone"
        if status == 401:
            return Outcome.AUTH_EXPIRED, "HTTP 401: the login is not accepted"
        if status >= 500:
            return Outcome.NETWORK_ERROR, f"HTTP {status} after {self.crawl.retries} retries"
        if status >= 400:
            return Outcome.MALFORMED, f"HTTP {status}: the platform rejected the request"
        if "dataloss" in response.flags:
            return Outcome.MALFORMED, "the body was cut off before its announced length"
        return None

    def fail(
        self,
        job: Job,
        outcome: Outcome,
        detail: str,
        *,
        response: Response | None = None,
        counted: bool = True,
    ) -> ObservationItem:
        """Record a failure. A later page's failure keeps the pages already read (still ok)."""
        if counted and response is not None:
            self.breaker.record(outcome)
        if job.pages > 0:
            job.stop = "failure"
            job.notes.append(f"page {job.pages + 1}: {outcome}: {detail}; older posts not seen")
            return self.finish_ok(job, counted=False)
        return self.observation(job, outcome, detail, response=response)

    def finish_ok(self, job: Job, *, counted: bool = True) -> ObservationItem:
        """The account is observed: its posts and how far back they are complete (the latest
        post is worked out, once for every source, by HonestOutcomePipeline)."""
        if counted:
            self.breaker.record(Outcome.OK)
        posts = sorted(job.posts.values(), key=lambda p: p.published_at, reverse=True)
        dated = [p.published_at for p in posts if not p.pinned]
        whole_history = job.stop == "end" and self.end_is_history
        complete_since = None if whole_history else (dated[-1] if dated else None)
        if job.stop == "known":
            since = job.target.seen_since
            complete_since = None if since is None else min(since, complete_since or since)
        pinned = len(posts) - len(dated)
        parts = [f"{len(posts)} posts on {job.pages} page{'s' if job.pages != 1 else ''}"]
        if pinned:
            parts.append(f"{pinned} pinned, not counted as latest")
        parts.extend(job.notes)
        item = self.observation(job, Outcome.OK, "; ".join(parts))
        item.posts = posts
        item.complete_since = complete_since.astimezone(dt.UTC) if complete_since else None
        if job.evidence is not None:
            item.url, item.http_status, item.raw = job.evidence
        return item

    def observation(
        self,
        job: Job,
        outcome: Outcome,
        detail: str,
        *,
        response: Response | None = None,
    ) -> ObservationItem:
        item = ObservationItem(
            account_id=job.target.account_id,
            source=self.source,
            crawl_id=self.crawl_id,
            at=self.clock(),
            outcome=outcome,
            detail=detail,
        )
        if response is not None:
            item.url, item.http_status, item.raw = response.url, response.status, response.body
        return item
