"""The feed parser on saved RSS and Atom documents, one field per test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from registry.constants import LOCAL_TZ, Outcome
from spiders.parsers.common import ParsedPage, ParseError
from spiders.parsers.feed import parse_feed, parse_rfc822

PAGES = Path(__file__).parent / "pages" / "feed"


def parse(name: str) -> ParsedPage:
    return parse_feed((PAGES / name).read_bytes())


def failure(name: str) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse(name)
    return info.value


def test_rss_gmt_pubdate_is_utc() -> None:
    post = parse("rsshub_douyin_gmt.xml").posts[0]
    assert post.published_at == dt.datetime(2026, 11, 27, 10, 30, tzinfo=dt.UTC)


def test_rss_guid_is_the_key() -> None:
    assert parse("rsshub_douyin_gmt.xml").posts[1].key == (
        "https://www.douyin.com/video/7440000000000000002"
    )


def test_rss_cdata_title() -> None:
    assert parse("rsshub_douyin_gmt.xml").posts[0].title == "冬季防诈骗，这几点一定要记牢！"


def test_rss_plus0800_pubdate() -> None:
    post = parse("wemprss_plus0800.xml").posts[0]
    assert post.published_at.isoformat() == "2026-11-26T18:20:00+08:00"


def test_rss_pubdate_without_zone_is_shanghai() -> None:
    post = parse("rss_no_zone.xml").posts[0]
    assert post.published_at == dt.datetime(2026, 11, 23, 20, 5, tzinfo=LOCAL_TZ)


def test_rss_item_without_date_is_skipped_and_counted() -> None:
    page = parse("rss_no_zone.xml")
    assert (len(page.posts), page.detail) == (1, "'博爱文旅': 1 items, 1 without a date skipped")


def test_atom_published_wins_over_updated() -> None:
    post = parse("atom_published.xml").posts[0]
    assert post.published_at == dt.datetime(2026, 11, 25, 8, 0, tzinfo=LOCAL_TZ)


def test_atom_updated_when_published_is_missing() -> None:
    post = parse("atom_published.xml").posts[1]
    assert post.published_at == dt.datetime(2026, 11, 20, 3, 30, tzinfo=dt.UTC)


def test_atom_alternate_link() -> None:
    assert parse("atom_published.xml").posts[0].url == (
        "https://www.douyin.com/video/7441000000000000010"
    )


def test_feed_declared_gb2312_with_gbk_only_characters() -> None:
    assert parse("rss_gbk_declared_gb2312.xml").posts[0].title == "县委书记王镕调研竹编产业"


def test_empty_channel_is_ok_with_no_posts() -> None:
    assert parse("empty_channel.xml").posts == []


def test_truncated_xml_is_malformed() -> None:
    assert failure("truncated.xml").outcome is Outcome.MALFORMED


def test_truncated_xml_detail_names_the_line() -> None:
    assert failure("truncated.xml").detail.startswith("feed XML does not parse (line 14:")


def test_html_error_page_is_malformed() -> None:
    assert failure("rsshub_error.html").detail == (
        "got an HTML page where an RSS or Atom feed was expected"
    )


def test_other_xml_is_malformed() -> None:
    assert failure("not_a_feed.xml").detail == "not an RSS or Atom feed (root element <opml>)"


def test_empty_body_is_blocked() -> None:
    with pytest.raises(ParseError) as info:
        parse_feed(b"")
    assert info.value.outcome is Outcome.BLOCKED


def test_entities_are_not_expanded() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><title>&x;</title></channel></rss>"
    )
    assert "root:" not in parse_feed(body).detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 24 Nov 2026 10:00:00 +0800", "2026-11-24T10:00:00+08:00"),
        ("Tue, 24 Nov 2026 02:00:00 GMT", "2026-11-24T02:00:00+00:00"),
        ("Tue, 24 Nov 2026 10:00:00", "2026-11-24T10:00:00+08:00"),
        ("24 Nov 2026 10:00 +0800", "2026-11-24T10:00:00+08:00"),
        ("2026-11-24 10:00:00", "2026-11-24T10:00:00+08:00"),
    ],
)
def test_rfc822_forms(text: str, expected: str) -> None:
    parsed = parse_rfc822(text)
    assert parsed is not None and parsed.isoformat() == expected
