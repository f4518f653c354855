"""WeChat platform parsers on saved responses (tests/pages/wechat): one field per test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from registry.constants import LOCAL_TZ, Outcome
from spiders.parsers.common import ParseError
from spiders.parsers.wechat import parse_appmsg, parse_publish, parse_search

PAGES = Path(__file__).parent / "pages" / "wechat"
CURRENT_TIME = dt.datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL_TZ)


def outcome_of(call, *args) -> Outcome:  # type: ignore[no-untyped-def]
    with pytest.raises(ParseError) as caught:
        call(*args)
    return caught.value.outcome


@pytest.fixture(scope="module")
def articles():  # type: ignore[no-untyped-def]
    return parse_appmsg(page("appmsg_ok.json"), 0, 5)


@pytest.fixture(scope="module")
def published():  # type: ignore[no-untyped-def]
    return parse_publish(page("publish_ok.json"), 0, 5)


# --- searchbiz ------------------------------------------------------------------------------


def test_search_takes_the_exact_nickname_not_the_first_result() -> None:
    assert parse_search(page("searchbiz_ok.json"), "博爱教育") == "MzA0NDg3NjU0Mg=="


def test_search_without_exact_match_is_not_found() -> None:
    assert (
        outcome_of(parse_search, page("searchbiz_no_exact.json"), "博爱教育") is Outcome.NOT_FOUND
    )


def test_search_with_no_results_is_not_found() -> None:
    assert outcome_of(parse_search, page("searchbiz_empty.json"), "博爱教育") is Outcome.NOT_FOUND


def test_search_not_found_names_what_it_saw() -> None:
    with pytest.raises(ParseError) as caught:
        parse_search(page("searchbiz_no_exact.json"), "博爱教育")
    assert "博爱教育发布" in caught.value.detail


# --- appmsg list_ex -------------------------------------------------------------------------


def test_appmsg_every_article_of_a_push_is_a_post(articles) -> None:  # type: ignore[no-untyped-def]
    assert len(articles.posts) == 5


def test_appmsg_key_is_aid(articles) -> None:  # type: ignore[no-untyped-def]
    assert articles.posts[1].key == "2247490101_2"


def test_appmsg_time_is_create_time_not_update_time(articles) -> None:  # type: ignore[no-untyped-def]
    assert articles.posts[0].published_at == local(2026, 11, 28, 8, 30)


def test_appmsg_title(articles) -> None:  # type: ignore[no-untyped-def]
    assert articles.posts[3].title == "博爱县2026年冬季征兵工作启动"


def test_appmsg_link(articles) -> None:  # type: ignore[no-untyped-def]
    # The article's permanent link, as the platform gave it.
    link = urlsplit(articles.posts[0].url)
    assert (link.path, parse_qs(link.query)["__biz"][0]) == ("/s", "MzA5NjExMjQ0MQ==")


def test_appmsg_more_pages_by_count(articles) -> None:  # type: ignore[no-untyped-def]
    assert articles.has_more is True


def test_appmsg_last_page_has_no_more() -> None:
    assert parse_appmsg(page("appmsg_last_page.json"), 810, 5).has_more is False


def test_appmsg_truncated_is_malformed() -> None:
    assert outcome_of(parse_appmsg, page("appmsg_truncated.json"), 0, 5) is Outcome.MALFORMED


# --- appmsgpublish --------------------------------------------------------------------------


def test_publish_articles_of_all_pushes(published) -> None:  # type: ignore[no-untyped-def]
    assert len(published.posts) == 5


def test_publish_empty_publish_info_is_skipped(published) -> None:  # type: ignore[no-untyped-def]
    assert "empty publish_info" in published.detail


def test_publish_newest_time(published) -> None:  # type: ignore[no-untyped-def]
    assert max(p.published_at for p in published.posts) == local(2026, 11, 28, 8, 30)


def test_publish_has_more_by_total_count(published) -> None:  # type: ignore[no-untyped-def]
    assert published.has_more is True


def test_publish_empty_list_is_ok_without_posts() -> None:
    assert parse_publish(page("publish_empty.json"), 0, 5).posts == []


def test_publish_page_not_json_is_malformed() -> None:
    assert outcome_of(parse_publish, page("publish_page_not_json.json"), 0, 5) is Outcome.MALFORMED


def test_publish_info_not_json_is_malformed() -> None:
    assert outcome_of(parse_publish, page("publish_info_not_json.json"), 0, 5) is Outcome.MALFORMED


# --- base_resp and broken bodies --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("ret_200013.json", Outcome.BLOCKED),
        ("ret_200003.json", Outcome.AUTH_EXPIRED),
        ("ret_200002.json", Outcome.NOT_FOUND),
        ("ret_unknown.json", Outcome.MALFORMED),
        ("empty.json", Outcome.BLOCKED),
        ("verify_page.html", Outcome.BLOCKED),
    ],
)
def test_base_resp_and_bodies(name: str, outcome: Outcome) -> None:
    assert outcome_of(parse_publish, page(name), 0, 5) is outcome


def test_session_expired_says_how_to_fix_it() -> None:
    with pytest.raises(ParseError) as caught:
        parse_appmsg(page("ret_200003.json"), 0, 5)
    assert "GOVMEDIA_WECHAT_TOKEN" in caught.value.detail
