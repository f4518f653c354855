"""Item pipelines, one job each; their order is `ITEM_PIPELINES` in spiders/settings.py."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
from typing import TYPE_CHECKING, Any

from registry.constants import Outcome
from spiders.items import ObservationItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy import Engine


class HonestOutcomePipeline:
    """Only an ok observation carries posts and a latest-post time, and a pinned post is never
    the latest: whatever a spider did, nothing else can make an account look (in)active."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ObservationItem):
            return item
        if item.outcome is not Outcome.OK:
            item.posts = []
            item.latest_post_at = None
            item.complete_since = None
            return item
        dated = [p.published_at for p in item.posts if not p.pinned]
        item.latest_post_at = max(dated).astimezone(dt.UTC) if dated else None
        return item


class RedactPipeline:
    """Secrets (the WeChat token is a URL parameter) never reach the store."""

    def __init__(self) -> None:
        from registry.secrets import REDACTOR

        self.redact = REDACTOR.frozen()  # a crawl's environment does not change while it runs

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ObservationItem):
            redact = self.redact
            item.url = redact(item.url) if item.url else item.url
            if item.detail and ("=" in item.detail or "://" in item.detail):
                item.detail = redact(item.detail)  # an error can quote a URL with its token
        return item


class EvidencePipeline:
    """The raw response an outcome was judged on, gzip-compressed, with its SHA-256."""

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ObservationItem) and item.raw is not None:
            item.evidence_sha256 = hashlib.sha256(item.raw).hexdigest()
            item.evidence = gzip.compress(item.raw, compresslevel=6, mtime=0)
            item.raw = None
        return item


class StorePipeline:
    """Writes observations and their posts in batches (one transaction per batch)."""

    def __init__(self, url: str, batch_size: int) -> None:
        self.url = url
        self.batch_size = batch_size
        self.pending: list[ObservationItem] = []
        self.engine: Engine | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        url = crawler.settings.get("GOVMEDIA_STORE_URL")
        if not url:
            raise ValueError("GOVMEDIA_STORE_URL is not set: run crawls through govmedia.crawling")
        return cls(url, crawler.settings.getint("GOVMEDIA_BATCH_SIZE", 500))

    def open_spider(self) -> None:
        self.engine = shared_engine(self.url)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ObservationItem):
            self.pending.append(item)
            if len(self.pending) >= self.batch_size:
                self.flush()
        return item

    def close_spider(self) -> None:
        self.flush()

    def flush(self) -> None:
        if not self.pending or self.engine is None:
            return
        from registry.store import record_observations

        batch, self.pending = self.pending, []
        record_observations(
            self.engine, [observation_row(i) for i in batch], [post_rows(i) for i in batch]
        )


_ENGINES: dict[str, Engine] = {}


def shared_engine(url: str) -> Engine:
    """One engine per store per process: the sources' crawlers share it."""
    if url not in _ENGINES:
        from registry.store import open_store

        _ENGINES[url] = open_store(url)
    return _ENGINES[url]


def observation_row(item: ObservationItem) -> dict[str, Any]:
    return {
        "account_id": item.account_id,
        "source": item.source.value,
        "crawl_id": item.crawl_id,
        "at": item.at,
        "outcome": item.outcome.value,
        "latest_post_at": item.latest_post_at,
        "posts_seen": item.posts_seen,
        "posts_this_week": None,
        "detail": item.detail,
        "http_status": item.http_status,
        "url": item.url,
        "evidence": item.evidence,
        "evidence_sha256": item.evidence_sha256,
        "recorded_by": None,
        "complete_since": item.complete_since,
    }


def post_rows(item: ObservationItem) -> list[dict[str, Any]]:
    return [
        {
            "account_id": item.account_id,
            "post_key": post.key,
            "published_at": post.published_at,
            "title": post.title,
            "url": post.url,
            "pinned": post.pinned,
            "first_seen_at": item.at,
        }
        for post in item.posts
    ]
