"""The WeChat official-account platform backend (`mp.weixin.qq.com/cgi-bin/...`), read with the
office's own platform login.

- `base_resp.ret`: 0 ok; 200013 rate limited (blocked); 200003 session expired (auth_expired);
  200040 invalid csrf token (auth_expired); 200002 invalid arguments: for a configured fakeid,
  the platform does not know it (not_found); anything else is malformed.
- `searchbiz` → `list[]` (`fakeid`, `nickname`): only an exact nickname match counts, never
  simply the first result; no exact match is not_found.
- `appmsg?action=list_ex` → `app_msg_list[]` (`aid`, `appmsgid`, `itemidx`, `title`, `link`,
  `create_time` in Unix seconds; `update_time` is an edit time and is ignored).
- `appmsgpublish?sub=list` → `publish_page`, a JSON string holding `publish_list[].publish_info`,
  itself a JSON string (some are empty) with `appmsgex[]`. A string that does not parse is
  malformed. Every article of a multi-article push is a post.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from spiders.parsers.common import (
    AuthExpired,
    Blocked,
    Malformed,
    NotFound,
    ParsedPage,
    ParsedPost,
    load_json,
)

RATE_LIMITED = 200013
SESSION_EXPIRED = 200003
INVALID_ARGS = 200002
INVALID_CSRF = 200040
_TAGS = re.compile(r"<[^>]+>")
LOGIN_HINT = "log in to mp.weixin.qq.com again and update GOVMEDIA_WECHAT_TOKEN/_COOKIE"


def check_base_resp(data: Any, what: str) -> dict[str, Any]:
    """The decoded body when `base_resp.ret` is 0; otherwise the outcome it proves."""
    if not isinstance(data, dict):
        raise Malformed(f"{what} is not a JSON object")
    base = data.get("base_resp")
    if not isinstance(base, dict) or "ret" not in base:
        raise Malformed(f"{what} has no base_resp.ret")
    ret = base["ret"]
    message = str(base.get("err_msg") or "")
    if ret == 0:
        return data
    if ret == RATE_LIMITED:
        raise Blocked(f"base_resp.ret {ret}: rate limited ({message or 'freq control'})")
    if ret in (SESSION_EXPIRED, INVALID_CSRF):
        raise AuthExpired(f"base_resp.ret {ret}: session expired ({message}); {LOGIN_HINT}")
    if ret == INVALID_ARGS:
        raise NotFound(
            f"base_resp.ret {ret}: invalid arguments ({message}); the platform does not know "
            "this fakeid: check the ledger, or remove fakeid to search by name"
        )
    raise Malformed(f"base_resp.ret {ret}: unexpected ({message})")


def parse_search(body: bytes, name: str) -> str:
    """The fakeid of the account whose nickname is exactly `name`."""
    data = check_base_resp(load_json(body, "the WeChat account search"), "the account search")
    found = data.get("list")
    if found is None:
        found = []
    if not isinstance(found, list):
        raise Malformed("the account search's `list` is not a list")
    wanted = _clean(name)
    nicknames = []
    for entry in found:
        if not isinstance(entry, dict):
            continue
        nickname = _clean(str(entry.get("nickname") or ""))
        nicknames.append(nickname)
        if nickname == wanted and entry.get("fakeid"):
            return str(entry["fakeid"])
    seen = "、".join(nicknames[:5]) if nicknames else "nothing"
    raise NotFound(f"no account named exactly {name!r} (the search found {seen})")


def parse_appmsg(body: bytes, begin: int, count: int) -> ParsedPage:
    """One page of `appmsg?action=list_ex`."""
    data = check_base_resp(load_json(body, "the WeChat article list"), "the article list")
    items = data.get("app_msg_list")
    if not isinstance(items, list):
        raise Malformed("the article list has no app_msg_list")
    posts = [_article(item) for item in items if isinstance(item, dict)]
    total = _int_or_none(data.get("app_msg_cnt"))
    has_more = bool(items) and (
        begin + len(items) < total if total is not None else len(items) >= count
    )
    return ParsedPage(posts=posts, has_more=has_more)


def parse_publish(body: bytes, begin: int, count: int) -> ParsedPage:
    """One page of `appmsgpublish?sub=list`: pushes, each with its articles."""
    data = check_base_resp(load_json(body, "the WeChat publish list"), "the publish list")
    raw_page = data.get("publish_page")
    if not isinstance(raw_page, str):
        raise Malformed("the publish list has no publish_page string")
    try:
        page = json.loads(raw_page)
    except ValueError as exc:
        raise Malformed(f"publish_page is not valid JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(page, dict) or not isinstance(page.get("publish_list"), list):
        raise Malformed("publish_page has no publish_list")
    pushes = page["publish_list"]
    posts: list[ParsedPost] = []
    empty = 0
    for index, push in enumerate(pushes):
        info_text = push.get("publish_info") if isinstance(push, dict) else None
        if not info_text:
            empty += 1
            continue
        try:
            info = json.loads(info_text)
        except (TypeError, ValueError):
            raise Malformed(f"publish_info #{begin + index} is not valid JSON") from None
        if not isinstance(info, dict):
            raise Malformed(f"publish_info #{begin + index} is not a JSON object")
        sent = info.get("sent_info") if isinstance(info.get("sent_info"), dict) else {}
        for article in info.get("appmsgex") or []:
            if isinstance(article, dict):
                posts.append(_article(article, fallback_time=sent.get("time")))
    total = _int_or_none(page.get("total_count"))
    has_more = bool(pushes) and (
        begin + len(pushes) < total if total is not None else len(pushes) >= count
    )
    detail = "empty publish_info skipped (a deleted push)" if empty else ""
    return ParsedPage(posts=posts, has_more=has_more, detail=detail)


def _article(item: dict[str, Any], fallback_time: Any = None) -> ParsedPost:
    appmsgid, itemidx = item.get("appmsgid"), item.get("itemidx")
    key = str(item.get("aid") or (f"{appmsgid}_{itemidx}" if appmsgid is not None else ""))
    if not key:
        raise Malformed("an article has neither aid nor appmsgid")
    created = _int_or_none(item.get("create_time"))
    if created is None:
        created = _int_or_none(fallback_time)
    if created is None:
        raise Malformed(f"article {key} has no create_time")
    title = _clean(str(item.get("title") or ""))
    return ParsedPost(
        key=key,
        published_at=dt.datetime.fromtimestamp(created, dt.UTC),
        title=title or None,
        url=item.get("link") or None,
    )


def _clean(text: str) -> str:
    return " ".join(_TAGS.sub("", text).split())


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
