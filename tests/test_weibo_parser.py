"""Weibo parsers on saved responses (tests/pages/weibo): one field per test, the clock frozen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from registry.constants import LOCAL_TZ, Outcome
from spiders.parsers.common import ParseError, http_date
from spiders.parsers.weibo import POST_URL, parse_created_at, parse_posts, parse_user

PAGES = Path(__file__).parent / "pages" / "weibo"
# The Date header the saved pages were served with: Saturday 2026-11-28 09:00 in Shanghai.
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
def first_page():  # type: ignore[no-untyped-def]
    return parse_posts(page("posts_page1.json"), CURRENT_TIME)


@pytest.fixture(scope="module")
def relative_page():  # type: ignore[no-untyped-def]
    return parse_posts(page("posts_relative.json"), CURRENT_TIME)


# --- user info ------------------------------------------------------------------------------


def test_user_screen_name() -> None:
    assert parse_user(page("user_ok.json")).screen_name == "博爱发布"


def test_user_statuses_count() -> None:
    assert parse_user(page("user_ok.json")).statuses_count == 18236


def test_user_verified_type() -> None:
    assert parse_user(page("user_ok.json")).verified_type == 1


def test_user_verified_reason() -> None:
    assert (
        parse_user(page("user_ok.json")).verified_reason == "河南省博爱县人民政府新闻办公室官方微博"
    )


def test_user_not_exist_is_not_found() -> None:
    assert outcome_of(parse_user, page("user_not_exist.json")) is Outcome.NOT_FOUND


def test_ok_0_without_userinfo_is_not_found() -> None:
    assert outcome_of(parse_user, page("user_no_userinfo.json")) is Outcome.NOT_FOUND


def test_ok_minus_100_is_auth_expired() -> None:
    assert outcome_of(parse_user, page("login_required.json")) is Outcome.AUTH_EXPIRED


def test_too_frequent_is_blocked() -> None:
    assert outcome_of(parse_user, page("too_frequent.json")) is Outcome.BLOCKED


def test_empty_body_is_blocked() -> None:
    assert outcome_of(parse_user, page("empty.json")) is Outcome.BLOCKED


def test_captcha_page_is_blocked() -> None:
    assert outcome_of(parse_user, page("captcha.html")) is Outcome.BLOCKED


# An `ok` that is not Weibo's integer, or `ok: 1` without a `data` object, is a broken answer:
# reading it as "no such user" or "no posts" would call a live account gone or inactive.
NOT_WEIBOS_ANSWER = [
    b'{"ok":NaN}',
    b'{"ok":"1","data":[]}',
    '{"ok":"0","msg":"用户不存在"}'.encode(),
    b'{"ok":true,"data":{"cards":[]}}',
    b'{"ok":null}',
    b'{"ok":1,"data":[]}',
    b'{"ok":1}',
]


def test_ok_0_with_an_empty_php_array_is_still_read() -> None:
    """PHP encodes an empty `data` as `[]`: ok 0 with it is the end of the list, not a break."""
    assert (
        parse_posts('{"ok":0,"msg":"这里还没有内容","data":[]}'.encode(), CURRENT_TIME).posts == []
    )
    assert outcome_of(parse_user, '{"ok":0,"msg":"用户不存在","data":[]}'.encode()) is (
        Outcome.NOT_FOUND
    )


@pytest.mark.parametrize("body", NOT_WEIBOS_ANSWER)
def test_user_info_that_is_not_weibos_answer_is_malformed(body: bytes) -> None:
    assert outcome_of(parse_user, body) is Outcome.MALFORMED


@pytest.mark.parametrize("body", NOT_WEIBOS_ANSWER)
def test_post_list_that_is_not_weibos_answer_is_malformed(body: bytes) -> None:
    assert outcome_of(parse_posts, body, CURRENT_TIME) is Outcome.MALFORMED


# --- post list ------------------------------------------------------------------------------


def test_posts_count_includes_card_group(first_page) -> None:  # type: ignore[no-untyped-def]
    assert len(first_page.posts) == 5


def test_card_type_11_group_post_is_read(first_page) -> None:  # type: ignore[no-untyped-def]
    assert "5100000000000008" in {p.key for p in first_page.posts}


def test_pinned_post_is_marked(first_page) -> None:  # type: ignore[no-untyped-def]
    assert [p.key for p in first_page.posts if p.pinned] == ["4950000000000001"]


def test_newest_unpinned_post_time(first_page) -> None:  # type: ignore[no-untyped-def]
    newest = max(p.published_at for p in first_page.posts if not p.pinned)
    assert newest == local(2026, 11, 28, 8, 40)


def test_repost_has_its_own_time_not_the_originals(first_page) -> None:  # type: ignore[no-untyped-def]
    repost = next(p for p in first_page.posts if p.key == "5100000000000009")
    assert repost.published_at == local(2026, 11, 27, 16, 20)


def test_post_times_are_utc(first_page) -> None:  # type: ignore[no-untyped-def]
    assert first_page.posts[1].published_at.utcoffset() == dt.timedelta(0)


def test_title_has_html_removed(first_page) -> None:  # type: ignore[no-untyped-def]
    assert first_page.posts[1].title == "@博爱发布 全县冬季供暖工作部署会召开"


def test_post_url(first_page) -> None:  # type: ignore[no-untyped-def]
    # The post's own page on the platform, by its bid.
    assert first_page.posts[1].url == POST_URL.format(id="P00000010")


def test_a_page_with_posts_has_more(first_page) -> None:  # type: ignore[no-untyped-def]
    assert first_page.has_more is True


@pytest.mark.parametrize(
    ("key", "how"),
    [
        ("4900000000000001", "mblogtype 2"),
        ("4900000000000002", "title 置顶"),
        ("4900000000000003", "profile_type_id proweibotop"),
        ("4900000000000004", "isTop 1"),
    ],
)
def test_every_pinned_marker_is_recognised(key: str, how: str) -> None:
    posts = {p.key: p for p in parse_posts(page("posts_pinned_variants.json"), CURRENT_TIME).posts}
    assert posts[key].pinned, how


def test_unpinned_old_post_is_not_pinned() -> None:
    posts = {p.key: p for p in parse_posts(page("posts_pinned_variants.json"), CURRENT_TIME).posts}
    assert posts["5000000000000001"].pinned is False


def test_end_of_list_is_ok_with_no_posts() -> None:
    assert parse_posts(page("posts_end.json"), CURRENT_TIME).posts == []


def test_end_of_list_has_no_more() -> None:
    assert parse_posts(page("posts_end.json"), CURRENT_TIME).has_more is False


def test_truncated_list_is_malformed() -> None:
    assert outcome_of(parse_posts, page("posts_truncated.json"), CURRENT_TIME) is Outcome.MALFORMED


def test_unreadable_created_at_is_malformed() -> None:
    assert outcome_of(parse_posts, page("posts_bad_time.json"), CURRENT_TIME) is Outcome.MALFORMED


def test_login_required_on_list_is_auth_expired() -> None:
    assert (
        outcome_of(parse_posts, page("login_required.json"), CURRENT_TIME) is Outcome.AUTH_EXPIRED
    )


def test_empty_list_body_is_blocked() -> None:
    assert outcome_of(parse_posts, page("empty.json"), CURRENT_TIME) is Outcome.BLOCKED


# --- relative times, read against the Date header in Asia/Shanghai ---------------------------


def relative(relative_page, key: str) -> dt.datetime:  # type: ignore[no-untyped-def]
    return next(p.published_at for p in relative_page.posts if p.key == key)


def test_gang_gang_is_now(relative_page) -> None:  # type: ignore[no-untyped-def]
    assert relative(relative_page, "6001") == CURRENT_TIME


def test_minutes_ago(relative_page) -> None:  # type: ignore[no-untyped-def]
    assert relative(relative_page, "6002") == local(2026, 11, 28, 8, 55)


def test_hours_ago(relative_page) -> None:  # type: ignore[no-untyped-def]
    assert relative(relative_page, "6003") == local(2026, 11, 28, 6, 0)


def test_yesterday_at(relative_page) -> None:  # type: ignore[no-untyped-def]
    assert relative(relative_page, "6004") == local(2026, 11, 27, 22, 15)


def test_month_day_is_this_year(relative_page) -> None:  # type: ignore[no-untyped-def]
    assert relative(relative_page, "6005") == local(2026, 11, 20)


def test_month_day_after_today_is_last_year(relative_page) -> None:  # type: ignore[no-untyped-def]
    assert relative(relative_page, "6006") == local(2025, 12, 30)


def test_full_date(relative_page) -> None:  # type: ignore[no-untyped-def]
    assert relative(relative_page, "6007") == local(2024, 5, 6)


def test_yesterday_is_the_local_day_not_the_utc_day() -> None:
    # 00:30 in Shanghai is still the previous day in UTC; 昨天 is Shanghai's yesterday.
    date_header = dt.datetime(2026, 11, 27, 16, 30, tzinfo=dt.UTC)
    assert parse_created_at("昨天 23:00", date_header) == local(2026, 11, 27, 23, 0)


def test_absolute_time_keeps_its_offset() -> None:
    assert parse_created_at("Sat Nov 28 10:00:00 +0800 2026", CURRENT_TIME) == local(
        2026, 11, 28, 10
    )


def test_date_header_is_read() -> None:
    assert http_date(b"Sat, 28 Nov 2026 01:00:00 GMT") == CURRENT_TIME


def test_missing_date_header_is_none() -> None:
    assert http_date(None) is None
