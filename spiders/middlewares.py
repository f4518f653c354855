"""Downloader middlewares: retries that back off, and the per-source circuit breaker."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware

from spiders.base import CircuitOpen

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request
    from scrapy.settings import BaseSettings

RETRY_DELAY_KEY = "govmedia_retry_delay"


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (5xx, timeouts, refused connections) with exponential backoff.

    The retried request waits on the event loop's timer, so other accounts go on meanwhile.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("GOVMEDIA_RETRY_BACKOFF", 0.0)
        self.max_backoff = settings.getfloat("GOVMEDIA_RETRY_MAX_BACKOFF", 300.0)

    def delay(self, retry_times: int) -> float:
        """Seconds before retry number `retry_times` (1, 2, …): doubling, never past the cap, so
        ten retries of a 60 s backoff wait minutes, not hours."""
        return min(self.backoff * 2 ** (retry_times - 1), self.max_backoff)

    def _retry(self, request: Request, reason: Any) -> Request | None:
        retried = super()._retry(request, reason)
        if retried is not None and self.backoff > 0:
            retried.meta[RETRY_DELAY_KEY] = self.delay(retried.meta["retry_times"])
        return retried

    async def process_request(self, request: Request) -> None:
        delay = request.meta.pop(RETRY_DELAY_KEY, 0)
        if delay:
            await asyncio.sleep(delay)


class CircuitBreakerMiddleware:
    """Refuses to send a source's requests once its spider's breaker has tripped."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CircuitBreakerMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        breaker = getattr(self.crawler.spider, "breaker", None)
        if breaker is not None and breaker.tripped is not None:
            raise CircuitOpen(breaker.reason)
