"""The account-search parsers (spiders/parsers/search.py) on saved simulator-shaped pages: one
field per test; a refusal is an outcome, never an empty result."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.constants import Outcome, Source
from spiders.parsers import bilibili, search
from spiders.parsers.common import ParseError

PAGES = Path(__file__).parent / "pages" / "search"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


@pytest.fixture(scope="module")
def weibo_hits():
    return {h.identifier: h for h in search.parse_weibo_users(page("weibo_users.json"))}


def test_weibo_users_are_read_from_the_card_group(weibo_hits):
    assert "7100000001" in weibo_hits and len(weibo_hits) == 9


def test_weibo_user_keeps_its_screen_name(weibo_hits):
    assert weibo_hits["7100000001"].name == "博爱县退役军人事务局"


def test_weibo_user_keeps_its_verified_type(weibo_hits):
    assert weibo_hits["7100000005"].verified_type == 0


def test_weibo_user_keeps_its_verified_reason_as_entity(weibo_hits):
    assert weibo_hits["7100000002"].entity == "博爱县消防救援大队官方微博"


def test_weibo_unverified_user_has_no_entity(weibo_hits):
    assert weibo_hits["7100000006"].entity is None


def test_weibo_user_source(weibo_hits):
    assert weibo_hits["7100000001"].source is Source.WEIBO


def test_weibo_search_without_results_is_empty():
    assert search.parse_weibo_users(page("weibo_users_none.json")) == []


def test_weibo_search_that_wants_a_login_is_auth_expired():
    with pytest.raises(ParseError) as caught:
        search.parse_weibo_users(page("weibo_login.json"))
    assert caught.value.outcome is Outcome.AUTH_EXPIRED


def test_weibo_captcha_page_is_blocked():
    body = "<html><title>安全验证</title><p>请完成验证码验证</p></html>".encode()
    with pytest.raises(ParseError) as caught:
        search.parse_weibo_users(body)
    assert caught.value.outcome is Outcome.BLOCKED


def test_wechat_searchbiz_entries():
    hits = search.parse_wechat_biz(page("wechat_searchbiz.json"))
    assert [h.name for h in hits][:2] == ["博爱县生活圈", "博爱县退役军人事务局"]


def test_wechat_searchbiz_fakeid_is_the_identifier():
    hits = search.parse_wechat_biz(page("wechat_searchbiz.json"))
    assert all(h.identifier.startswith("Mz") for h in hits)


def test_wechat_rate_limit_is_blocked():
    with pytest.raises(ParseError) as caught:
        search.parse_wechat_biz(page("wechat_freq.json"))
    assert caught.value.outcome is Outcome.BLOCKED


def test_bilibili_users_official_type():
    hits = {h.identifier: h for h in search.parse_bilibili_users(page("bilibili_users.json"))}
    assert hits["3546000001"].verified_type == 1


def test_bilibili_users_official_desc_is_the_entity():
    hits = {h.identifier: h for h in search.parse_bilibili_users(page("bilibili_users.json"))}
    assert hits["3546000001"].entity == "博爱县消防救援大队官方账号"


def test_bilibili_search_without_result_is_empty():
    assert search.parse_bilibili_users(page("bilibili_users_none.json")) == []


def test_bilibili_412_is_blocked():
    with pytest.raises(ParseError) as caught:
        search.parse_bilibili_users(page("bilibili_blocked.json"))
    assert caught.value.outcome is Outcome.BLOCKED


def test_bilibili_refused_signature_can_be_retried():
    with pytest.raises(bilibili.SignatureRefused):
        search.parse_bilibili_users(
            b'{"code":-403,"message":"\\u8bbf\\u95ee\\u6743\\u9650\\u4e0d\\u8db3"}'
        )


def test_a_result_that_is_not_a_list_is_malformed():
    with pytest.raises(ParseError) as caught:
        search.parse_bilibili_users(b'{"code":0,"data":{"result":{"mid":1}}}')
    assert caught.value.outcome is Outcome.MALFORMED
