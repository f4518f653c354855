"""End-to-end: feed accounts crawled from the simulated bridges (RSSHub, we-mp-rss, Atom)."""

from __future__ import annotations

import gzip
import hashlib

from registry.constants import Outcome
from tests.fixtures.sources import SourcesCrawl, days_before_sim_now


def test_rsshub_feed_is_ok(sources_crawl: SourcesCrawl) -> None:
    assert sources_crawl.result("f-rsshub").outcome is Outcome.OK


def test_daily_feed_posted_within_a_day(sources_crawl: SourcesCrawl) -> None:
    assert days_before_sim_now(sources_crawl.result("f-rsshub").latest_post_at) < 1.5


def test_feed_items_are_stored_as_posts(sources_crawl: SourcesCrawl) -> None:
    assert len(sources_crawl.posts("f-rsshub")) == 20


def test_wemprss_feed_is_ok(sources_crawl: SourcesCrawl) -> None:
    assert sources_crawl.result("f-wemprss").posts_seen == 20


def test_zoneless_feed_times_are_shanghai(sources_crawl: SourcesCrawl) -> None:
    # silent for 10 days: its latest post is 10-12 days back once read as +08:00
    assert 10 <= days_before_sim_now(sources_crawl.result("f-local").latest_post_at) < 12


def test_atom_feed_uses_published(sources_crawl: SourcesCrawl) -> None:
    assert 20 <= days_before_sim_now(sources_crawl.result("f-atom").latest_post_at) < 22


def test_truncated_feed_is_malformed(sources_crawl: SourcesCrawl) -> None:
    result = sources_crawl.result("f-truncated")
    assert (result.outcome, result.detail.startswith("feed XML does not parse")) == (
        Outcome.MALFORMED,
        True,
    )


def test_truncated_feed_is_kept_as_evidence(sources_crawl: SourcesCrawl) -> None:
    row = sources_crawl.observation("f-truncated")
    assert hashlib.sha256(gzip.decompress(row["evidence"])).hexdigest() == row["evidence_sha256"]


def test_empty_feed_is_ok_with_no_posts(sources_crawl: SourcesCrawl) -> None:
    result = sources_crawl.result("f-empty")
    assert (result.outcome, result.posts_seen, result.latest_post_at) == (Outcome.OK, 0, None)


def test_gone_feed_is_not_found(sources_crawl: SourcesCrawl) -> None:
    assert sources_crawl.result("f-gone").outcome is Outcome.NOT_FOUND


def test_refused_feed_is_blocked(sources_crawl: SourcesCrawl) -> None:
    assert sources_crawl.result("f-blocked").outcome is Outcome.BLOCKED


def _as_utc(value):  # SQLite hands instants back naive (they are stored as UTC)
    import datetime as dt

    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def test_a_feed_proves_its_posts_only_back_to_its_oldest_item(sources_crawl: SourcesCrawl) -> None:
    # A feed shows only its newest items: reaching its end is not the start of the account's
    # history, so the observation is complete only since the oldest item it showed.
    oldest = min(
        _as_utc(p["published_at"]) for p in sources_crawl.posts("f-rsshub") if not p["pinned"]
    )
    assert _as_utc(sources_crawl.observation("f-rsshub")["complete_since"]) == oldest


def test_a_web_column_proves_its_posts_only_back_to_its_oldest_row(
    sources_crawl: SourcesCrawl,
) -> None:
    oldest = min(_as_utc(p["published_at"]) for p in sources_crawl.posts("w-ul") if not p["pinned"])
    assert _as_utc(sources_crawl.observation("w-ul")["complete_since"]) == oldest
