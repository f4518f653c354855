"""Bilibili's space video list (`/x/space/wbi/arc/search`) and nav (`/x/web-interface/nav`).

Codes, as documented by SocialSisterYi/bilibili-API-collect and seen in the field:
- 0 with `data.list.vlist[]` (each with `created`, Unix seconds): ok, possibly with no videos;
- 0 with a `data` that holds only `v_voucher`: the risk control answered instead (blocked);
- -352 风控校验失败, -403 访问权限不足/非法访问 (a missing or wrong Wbi signature), -412 请求被拦截,
  -509 / -799 请求过于频繁: blocked — never "zero posts";
- of those, -403 and the lone `v_voucher` are what the platform answers to a missing or wrong
  `w_rid` (bilibili-API-collect docs/misc/sign/wbi.md: `v_voucher` today, -403 before), so they
  are `SignatureRefused`: keys that rotated during the crawl are one cause the spider can fix;
- -404 啥都木有, -626 用户不存在: not_found;
- -101 账号未登录: auth_expired;
- anything else, or a body that is not the expected JSON: malformed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from spiders.parsers.common import (
    AuthExpired,
    Blocked,
    Malformed,
    NotFound,
    ParsedPage,
    ParsedPost,
    ParseError,
    load_json,
)
from spiders.wbi import WbiKeyError, keys_from_nav


class SignatureRefused(Blocked):
    """The platform refused the request's Wbi signature. Blocked unless fresh keys help: they
    change daily, so the spider may fetch them anew and retry once (spiders/sources/bilibili.py)."""


# The codes that mean something other than "here are the videos", and the error each proves.
CODE_ERRORS: dict[int, tuple[type[ParseError], str]] = {
    -352: (Blocked, "风控校验失败"),
    -403: (SignatureRefused, "访问权限不足"),  # a missing or wrong Wbi signature
    -412: (Blocked, "请求被拦截"),
    -509: (Blocked, "请求过于频繁"),
    -799: (Blocked, "请求过于频繁"),
    -404: (NotFound, "啥都木有"),
    -626: (NotFound, "用户不存在"),
    -101: (AuthExpired, "账号未登录"),
}

VIDEO_URL = "https://www.bilibili.com/video/{bvid}"


def _payload(body: bytes, what: str) -> dict[str, Any]:
    payload = load_json(body, what)
    if not isinstance(payload, dict) or "code" not in payload:
        raise Malformed(f"{what} JSON has no `code`")
    return payload


def _raise_for_code(payload: Mapping[str, Any]) -> None:
    code, message = payload.get("code"), payload.get("message") or ""
    if code == 0:
        return
    if code in CODE_ERRORS:
        error, meaning = CODE_ERRORS[code]
        raise error(f"code {code} {message or meaning}")
    raise Malformed(f"unexpected code {code} {message}".strip())


def parse_nav(body: bytes) -> tuple[str, str]:
    """(img_key, sub_key) from `/x/web-interface/nav`. It answers -101 to an anonymous client and
    still carries the keys, so only a missing `wbi_img` is an error."""
    payload = _payload(body, "nav")
    try:
        return keys_from_nav(payload)
    except WbiKeyError as exc:
        if payload.get("code") in CODE_ERRORS:
            _raise_for_code(payload)
        raise Malformed(f"nav: {exc}") from None


def parse_videos(body: bytes) -> ParsedPage:
    """One page of an uploader's videos, newest first. `has_more` when later pages exist."""
    payload = _payload(body, "arc/search")
    _raise_for_code(payload)
    data = payload.get("data")
    if isinstance(data, Mapping) and set(data) == {"v_voucher"}:
        raise SignatureRefused("risk control answered with only a v_voucher")
    if not isinstance(data, Mapping) or not isinstance(data.get("list"), Mapping | None):
        raise Malformed("arc/search has no data.list")
    vlist = (data.get("list") or {}).get("vlist") or []
    if not isinstance(vlist, list):
        raise Malformed("data.list.vlist is not a list")
    posts = []
    for index, video in enumerate(vlist):
        created = video.get("created") if isinstance(video, Mapping) else None
        if not isinstance(created, int) or isinstance(created, bool):
            raise Malformed(f"vlist[{index}] has no `created` Unix time")
        bvid = video.get("bvid")
        key = bvid or (str(video["aid"]) if "aid" in video else None)
        if key is None:
            raise Malformed(f"vlist[{index}] has neither bvid nor aid")
        posts.append(
            ParsedPost(
                key=key,
                published_at=dt.datetime.fromtimestamp(created, dt.UTC),
                title=video.get("title"),
                url=VIDEO_URL.format(bvid=bvid) if bvid else None,
            )
        )
    page = data.get("page") if isinstance(data.get("page"), Mapping) else {}
    pn, ps, count = page.get("pn", 1), page.get("ps", len(vlist)), page.get("count", len(vlist))
    has_more = bool(vlist) and isinstance(count, int) and pn * ps < count
    detail = f"{count} videos in all" if pn == 1 else ""  # said once, not once per page
    return ParsedPage(posts=posts, detail=detail, has_more=has_more)
