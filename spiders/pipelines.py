"""Item pipelines, one job each; their order is `ITEM_PIPELINES` in spiders/settings.py."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from registry.constants import LOCAL_TZ, Outcome
from registry.secrets import REDACTOR
from spiders import settings
from spiders.items import ObservationItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy import Engine

logger = logging.getLogger(__name__)


class HonestOutcomePipeline:
    """Only an ok observation carries posts and a latest-post time, and a pinned post is never
    the latest: whatever a spider did, nothing else can make an account look (in)active.

    Every source's posts pass here, so the rule on impossible dates lives here too: a post dated
    later than the observation itself (beyond `GOVMEDIA_FUTURE_TOLERANCE` seconds of clock skew)
    cannot have been seen yet, so it is a wrong date (a CMS clock, a typo), not activity. It is
    dropped with a warning in the detail and the log, like an undated feed item; when nothing
    credible is left the page proves no date at all, which is malformed, never "ok, no posts"
    (that would read as an inactive account). This is also the one place that states the latest
    post, so the stored posts, `latest_post_at` and its detail always agree."""

    def __init__(self, future_tolerance: float = settings.GOVMEDIA_FUTURE_TOLERANCE) -> None:
        self.future_tolerance = dt.timedelta(seconds=future_tolerance)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HonestOutcomePipeline:
        return cls(crawler.settings.getfloat("GOVMEDIA_FUTURE_TOLERANCE"))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ObservationItem):
            return item
        if item.outcome is Outcome.OK and item.posts:
            self.drop_future_posts(item)
        if item.outcome is not Outcome.OK:
            item.posts = []
            item.latest_post_at = None
            item.complete_since = None
            return item
        dated = [p.published_at for p in item.posts if not p.pinned]
        item.latest_post_at = max(dated).astimezone(dt.UTC) if dated else None
        if item.latest_post_at is not None:
            latest = f"latest {item.latest_post_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}"
            item.detail = f"{item.detail}; {latest}" if item.detail else latest
        return item

    def drop_future_posts(self, item: ObservationItem) -> None:
        limit = item.at + self.future_tolerance
        future = [p for p in item.posts if p.published_at > limit]
        if not future:
            return
        item.posts = [p for p in item.posts if p.published_at <= limit]
        newest = max(p.published_at for p in future).astimezone(LOCAL_TZ)
        observed = item.at.astimezone(LOCAL_TZ)
        what = (
            f"{len(future)} post{'s' if len(future) != 1 else ''} dated after the observation "
            f"({observed:%Y-%m-%d %H:%M}), newest {newest:%Y-%m-%d %H:%M}"
        )
        logger.warning("%s: %s: not credible, dropped", item.account_id, what)
        if any(not p.pinned for p in item.posts):
            note = f"{what}: not credible, dropped"
            item.detail = f"{item.detail}; {note}" if item.detail else note
            return
        item.outcome = Outcome.MALFORMED
        item.detail = f"{what}, and no credibly dated post: the page's dates cannot be trusted"


class RedactPipeline:
    """Secrets never reach the store: the WeChat token is a URL parameter, and a platform may echo
    the token or cookie it was sent back in its body, which is kept as evidence.

    The body is only searched for the known secret values (as bytes, also URL- and JSON-escaped),
    not for the redactor's patterns: a crawl keeps 20,000 bodies, and a pattern could rewrite the
    platform's own fields in the evidence."""

    def __init__(self) -> None:
        from registry.secrets import REDACTED

        self.redacted = REDACTED.encode("ascii")
        self.refresh()

    def refresh(self) -> None:
        """Take the redactor's secrets of now: a crawl's environment does not change while it
        runs, but it may learn new secrets (Weibo visitor cookies), then this runs again."""
        self.generation = REDACTOR.generation
        self.redact = REDACTOR.frozen()
        self.secret_bytes = secret_byte_values(REDACTOR.secret_values())
        # A body that holds a secret holds one of those that contain no other (a cookie holds its
        # pairs' values): searching for those alone clears the usual clean body in a few passes.
        self.innermost = tuple(
            s for s in self.secret_bytes if not any(o in s for o in self.secret_bytes if o != s)
        )

    def process_item(self, item: Any) -> Any:
        if REDACTOR.generation != self.generation:
            self.refresh()
        if isinstance(item, ObservationItem):
            redact = self.redact
            item.url = redact(item.url) if item.url else item.url
            if item.detail and ("=" in item.detail or "://" in item.detail):
                item.detail = redact(item.detail)  # an error can quote a URL with its token
            if item.raw:
                item.raw = self.scrub(item.raw)
        return item

    def scrub(self, body: bytes) -> bytes:
        """`body` with every known secret value replaced by `***`."""
        if not any(secret in body for secret in self.innermost):
            return body
        for secret in self.secret_bytes:
            if secret in body:
                body = body.replace(secret, self.redacted)
        return body


def secret_byte_values(values: list[str]) -> tuple[bytes, ...]:
    """The secrets as a body may hold them: UTF-8, and JSON-escaped (`\\/`, `\\uXXXX`), longest
    first (so a whole cookie goes before the pairs inside it)."""
    out: set[bytes] = set()
    for value in values:
        escaped = json.dumps(value)[1:-1]
        for form in (value, escaped, escaped.replace("/", "\\/")):
            out.add(form.encode("utf-8"))
    return tuple(sorted(out, key=len, reverse=True))


class EvidencePipeline:
    """The raw response an outcome was judged on, gzip-compressed, with its SHA-256 (of the body
    as kept: RedactPipeline has already replaced any secret the platform echoed)."""

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
