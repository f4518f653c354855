"""Account searches, for discovery (排查): each platform's user search parsed into `SearchHit`s.

- Weibo: `m.weibo.cn/api/container/getIndex?containerid=100103type=3&q=…&page_type=searchall`;
  `data.cards[]` whose `card_group[]` entries carry a `user` (id, screen_name, verified,
  verified_type, verified_reason, followers_count, description). `ok: 0` with 没有更多/还没有
  内容 is an empty result; the other answers as for the user info (weibo._payload).
- WeChat: `mp.weixin.qq.com/cgi-bin/searchbiz?action=search_biz…`; `list[]` of {fakeid, nickname,
  alias, round_head_img, service_type, signature}; `base_resp.ret` as for the article lists.
- Bilibili: `api.bilibili.com/x/web-interface/wbi/search/type?search_type=bili_user&keyword=…`;
  `data.result[]` of {mid, uname, usign, fans, official_verify {type, desc}}; -412 请求被拦截.

A parser returns the hits (possibly none: the platform searched and found nothing) or raises the
`ParseError` whose outcome the answer proves, never "nothing found" for a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from registry.constants import Source
from registry.discovery import SearchHit
from spiders.parsers import bilibili, wechat, weibo
from spiders.parsers.common import Malformed, load_json

_TAGS = re.compile(r"<[^>]+>")
_EMPTY_SEARCH = ("没有更多", "还没有内容", "暂无")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _text(value: Any) -> str:
    """Plain text of a field the search may highlight (`<em class="keyword">…</em>`)."""
    return _TAGS.sub("", str(value or "")).strip()


def weibo_user_hit(user: Mapping[str, Any]) -> SearchHit:
    uid = user.get("id")
    name = user.get("screen_name")
    if uid in (None, "") or not name:
        raise Malformed("a Weibo search user has no id or screen_name")
    return SearchHit(
        source=Source.WEIBO,
        identifier=str(uid),
        name=_text(name),
        entity=_text(user.get("verified_reason")) or None,
        verified_type=_int(user.get("verified_type")),
        followers=_int(user.get("followers_count")),
        description=_text(user.get("description")) or None,
    )


def parse_weibo_users(body: bytes) -> list[SearchHit]:
    """The users of one page of Weibo's user search."""
    data = weibo._payload(body, "the Weibo user search")
    if data["ok"] != 1:
        msg = str(data.get("msg") or "")
        if any(word in msg for word in _EMPTY_SEARCH):
            return []
        raise Malformed(f"ok: {data['ok']} on the user search ({msg or 'no message'})")
    cards = data["data"].get("cards")
    if not isinstance(cards, list):
        raise Malformed("the Weibo user search has no data.cards list")
    hits = []
    for card in cards:
        if not isinstance(card, Mapping):
            continue
        group = card.get("card_group") or []
        if not isinstance(group, list):
            raise Malformed("a Weibo search card's card_group is not a list")
        for entry in group:
            if isinstance(entry, Mapping) and isinstance(entry.get("user"), Mapping):
                hits.append(weibo_user_hit(entry["user"]))
    return hits


def parse_weibo_profile(body: bytes) -> SearchHit:
    """One account by uid (the user info, weibo.parse_user), as a hit: NotFound when gone."""
    user = weibo.parse_user(body)
    return SearchHit(
        source=Source.WEIBO,
        identifier=user.uid,
        name=user.screen_name,
        entity=user.verified_reason,
        verified_type=user.verified_type,
    )


def parse_wechat_biz(body: bytes) -> list[SearchHit]:
    """The accounts of one `searchbiz` answer."""
    data = wechat.check_base_resp(load_json(body, "the WeChat account search"), "the search")
    found = data.get("list")
    if found is None:
        return []
    if not isinstance(found, list):
        raise Malformed("the account search's `list` is not a list")
    hits = []
    for entry in found:
        if not isinstance(entry, Mapping):
            continue
        fakeid, nickname = entry.get("fakeid"), _text(entry.get("nickname"))
        if not fakeid or not nickname:
            raise Malformed("a searchbiz entry has no fakeid or nickname")
        hits.append(
            SearchHit(
                source=Source.WECHAT,
                identifier=str(fakeid),
                name=nickname,
                description=_text(entry.get("signature")) or None,
                alias=_text(entry.get("alias")) or None,
                service_type=_int(entry.get("service_type")),
            )
        )
    return hits


def parse_bilibili_users(body: bytes) -> list[SearchHit]:
    """The users of one page of Bilibili's `search/type` (search_type=bili_user)."""
    payload = bilibili._payload(body, "the user search")
    bilibili._raise_for_code(payload)
    data = payload.get("data")
    if isinstance(data, Mapping) and set(data) == {"v_voucher"}:
        raise bilibili.SignatureRefused("risk control answered with only a v_voucher")
    if not isinstance(data, Mapping):
        raise Malformed("the user search has no data")
    result = data.get("result")
    if result is None:  # nothing matched: the platform leaves `result` out
        return []
    if not isinstance(result, list):
        raise Malformed("the user search's data.result is not a list")
    hits = []
    for entry in result:
        if not isinstance(entry, Mapping):
            continue
        mid, uname = entry.get("mid"), _text(entry.get("uname"))
        if mid in (None, "") or not uname:
            raise Malformed("a user search result has no mid or uname")
        official = entry.get("official_verify")
        official = official if isinstance(official, Mapping) else {}
        hits.append(
            SearchHit(
                source=Source.BILIBILI,
                identifier=str(mid),
                name=uname,
                entity=_text(official.get("desc")) or None,
                verified_type=_int(official.get("type")),
                followers=_int(entry.get("fans")),
                description=_text(entry.get("usign")) or None,
            )
        )
    return hits
