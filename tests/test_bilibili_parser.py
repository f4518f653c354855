"""The Bilibili parser on saved API bodies, and the Wbi signature against the documented vectors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from registry.constants import LOCAL_TZ, Outcome
from spiders import wbi
from spiders.parsers.bilibili import SignatureRefused, parse_nav, parse_videos
from spiders.parsers.common import ParsedPage, ParseError

PAGES = Path(__file__).parent / "pages" / "bilibili"

# The worked example of SocialSisterYi/bilibili-API-collect docs/misc/sign/wbi.md.
IMG_KEY = "7cd084941338484aae1ad9425b84077c"
SUB_KEY = "4932caff0ff746eab6f01bf08b70ac45"


def parse(name: str) -> ParsedPage:
    return parse_videos((PAGES / name).read_bytes())


def failure(name: str) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse(name)
    return info.value


def test_created_is_unix_seconds() -> None:
    post = parse("arc_search_ok.json").posts[0]
    assert post.published_at.astimezone(LOCAL_TZ) == dt.datetime(
        2026, 11, 27, 19, 0, tzinfo=LOCAL_TZ
    )


def test_bvid_is_the_key() -> None:
    assert [p.key for p in parse("arc_search_ok.json").posts] == ["BV1Bo4y1a7Ax", "BV1Zx4y1b7Qc"]


def test_video_url() -> None:
    assert parse("arc_search_ok.json").posts[0].url == "https://www.bilibili.com/video/BV1Bo4y1a7Ax"


def test_last_page_has_no_more() -> None:
    assert parse("arc_search_ok.json").has_more is False


def test_more_pages_follow() -> None:
    assert parse("arc_search_more_pages.json").has_more is True


def test_no_videos_is_ok_with_no_posts() -> None:
    assert parse("arc_search_empty.json").posts == []


def test_minus_352_is_blocked() -> None:
    assert failure("risk_352.json").outcome is Outcome.BLOCKED


def test_v_voucher_only_is_blocked_not_zero_posts() -> None:
    assert failure("v_voucher_only.json").outcome is Outcome.BLOCKED


def test_wrong_signature_is_blocked() -> None:
    assert failure("bad_signature_403.json").outcome is Outcome.BLOCKED


def test_wrong_signature_is_a_signature_refusal() -> None:
    # the spider fetches fresh Wbi keys and retries once on these
    assert isinstance(failure("bad_signature_403.json"), SignatureRefused)


def test_v_voucher_only_is_a_signature_refusal() -> None:
    # what the platform answers today to a missing or wrong w_rid
    assert isinstance(failure("v_voucher_only.json"), SignatureRefused)


def test_minus_352_is_not_a_signature_refusal() -> None:
    # risk control: fresh keys would not help
    assert not isinstance(failure("risk_352.json"), SignatureRefused)


def test_minus_404_is_not_found() -> None:
    assert failure("not_found_404.json").outcome is Outcome.NOT_FOUND


def test_truncated_json_is_malformed() -> None:
    assert failure("truncated.json").outcome is Outcome.MALFORMED


def test_unknown_code_is_malformed_with_the_code() -> None:
    with pytest.raises(ParseError) as info:
        parse_videos('{"code":-400,"message":"请求错误"}'.encode())
    assert info.value.detail == "unexpected code -400 请求错误"


def test_nav_keys_from_anonymous_answer() -> None:
    assert parse_nav((PAGES / "nav_anonymous.json").read_bytes()) == (IMG_KEY, SUB_KEY)


def test_nav_without_keys_is_malformed() -> None:
    with pytest.raises(ParseError) as info:
        parse_nav(b'{"code":0,"data":{}}')
    assert info.value.outcome is Outcome.MALFORMED


# Wbi -----------------------------------------------------------------------------------------


def test_mixin_key_matches_the_documented_example() -> None:
    assert wbi.mixin_key(IMG_KEY, SUB_KEY) == "ea1db124af3c7062474693fa704f4ff8"


def test_w_rid_matches_the_documented_example() -> None:
    signed = wbi.sign(
        {"foo": "114", "bar": "514", "zab": 1919810}, IMG_KEY, SUB_KEY, wts=1702204169
    )
    assert signed["w_rid"] == "8f6f2b5b3d485fe1886cec6a0be8c5d4"


def test_permutation_table_is_a_permutation_of_64() -> None:
    assert sorted(wbi.MIXIN_KEY_ENC_TAB) == list(range(64))


def test_query_encoding_is_upper_case_and_percent_20() -> None:
    query = wbi.canonical_query({"foo": "one one four", "bar": "五一四", "baz": 1919810})
    assert query == "bar=%E4%BA%94%E4%B8%80%E5%9B%9B&baz=1919810&foo=one%20one%20four"


def test_filtered_characters_are_removed_before_signing() -> None:
    assert wbi.canonical_query({"k": "a!b'c(d)e*f"}) == "k=abcdef"


def test_verify_accepts_a_signed_query() -> None:
    signed = wbi.sign({"mid": "487120553", "ps": 30}, IMG_KEY, SUB_KEY, wts=1795838400)
    assert wbi.verify(signed, IMG_KEY, SUB_KEY)


def test_verify_rejects_a_tampered_query() -> None:
    signed = wbi.sign({"mid": "487120553", "ps": 30}, IMG_KEY, SUB_KEY, wts=1795838400)
    assert not wbi.verify({**signed, "mid": "1"}, IMG_KEY, SUB_KEY)


def test_key_from_url() -> None:
    assert wbi.key_from_url(f"https://i0.hdslb.com/bfs/wbi/{IMG_KEY}.png") == IMG_KEY
