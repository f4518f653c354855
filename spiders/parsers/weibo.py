"""Weibo's mobile API (`m.weibo.cn/api/container/getIndex`): the user info and the post list.

- `ok: 1` with `data.userInfo`: the account exists; `ok: 0` without it, or 用户不存在: not found.
- `ok: -100`: the login (cookie) is required or expired.
- An `ok` that is not an integer (`"1"`, `NaN`, `true`), or `ok: 1` without a `data` object, is
  malformed: not Weibo's answer, so neither "no such user" nor "no posts".
- Posts: `data.cards[]`, `card_type` 9 holds an `mblog`, `card_type` 11 holds `card_group[].mblog`.
  The end of the list, and an account with no posts, answer `ok: 0` 这里还没有内容.
- A pinned post (`isTop` 1, `mblogtype` 2, `title.text` 置顶, or a card `profile_type_id`
  starting `proweibotop`) is kept but marked, so it is never taken for the latest post.
- A repost is the account's own post at its own `created_at`, never the original's.
- `created_at` is absolute (`Sat Nov 28 10:00:00 +0800 2026`) or, in older payloads, relative
  (刚刚, N分钟前, N小时前, 今天 HH:MM, 昨天 HH:MM, MM-DD, YYYY-MM-DD), read against `now` (the
  response's Date header) in Asia/Shanghai. A date without a time is that day at 00:00.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from registry.constants import LOCAL_TZ
from spiders.parsers.common import (
    AuthExpired,
    Blocked,
    Malformed,
    NotFound,
    ParsedPage,
    ParsedPost,
    load_json,
    looks_like_challenge,
)

NO_CONTENT = "这里还没有内容"
POST_URL = "https://m.weibo.cn/status/{id}"
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class WeiboUser:
    uid: str
    screen_name: str
    statuses_count: int | None
    verified: bool
    verified_type: int | None
    verified_reason: str | None


def _payload(body: bytes, what: str) -> dict[str, Any]:
    data = load_json(body, what)
    if not isinstance(data, dict) or "ok" not in data:
        raise Malformed(f"{what} JSON has no `ok` field")
    ok = data["ok"]
    if not isinstance(ok, int) or isinstance(ok, bool):  # "1", NaN, true: not Weibo's answer
        raise Malformed(f"{what} has `ok` {json.dumps(ok)}, not an integer")
    if ok == 1 and not isinstance(data.get("data"), dict):  # ok 0 may carry PHP's empty `[]`
        raise Malformed(f"{what} says ok: 1 without a `data` object")
    if data["ok"] == -100:
        raise AuthExpired("ok: -100: Weibo wants a login; refresh GOVMEDIA_WEIBO_COOKIE")
    msg = str(data.get("msg") or "")
    if data["ok"] != 1 and looks_like_challenge(msg):
        raise Blocked(f"ok: {data['ok']} ({msg})")
    return data


def parse_user(body: bytes) -> WeiboUser:
    """The account's `userInfo`, or NotFound when Weibo has no such user."""
    data = _payload(body, "the Weibo user info")
    info = (data.get("data") or {}).get("userInfo") if isinstance(data.get("data"), dict) else None
    msg = str(data.get("msg") or "")
    if data["ok"] != 1 or not isinstance(info, dict):
        reason = msg or "no userInfo"
        raise NotFound(f"ok: {data['ok']} without userInfo ({reason})")
    if "用户不存在" in msg:
        raise NotFound(f"ok: {data['ok']} ({msg})")
    try:
        return WeiboUser(
            uid=str(info.get("id", "")),
            screen_name=str(info["screen_name"]),
            statuses_count=_int_or_none(info.get("statuses_count")),
            verified=bool(info.get("verified")),
            verified_type=_int_or_none(info.get("verified_type")),
            verified_reason=info.get("verified_reason") or None,
        )
    except KeyError as exc:
        raise Malformed(f"userInfo has no `{exc.args[0]}`") from None


def parse_posts(body: bytes, now: dt.datetime) -> ParsedPage:
    """One page of the post list. `now` resolves relative times (the response's Date)."""
    data = _payload(body, "the Weibo post list")
    if data["ok"] != 1:
        msg = str(data.get("msg") or "")
        if NO_CONTENT in msg:
            return ParsedPage(posts=[], has_more=False)
        raise Malformed(f"ok: {data['ok']} on the post list ({msg or 'no message'})")
    inner = data.get("data")
    cards = inner.get("cards") if isinstance(inner, dict) else None
    if not isinstance(cards, list):
        raise Malformed("the post list has no data.cards")
    posts: list[ParsedPost] = []
    for card in cards:
        if not isinstance(card, dict):
            continue
        pinned_card = str(card.get("profile_type_id") or "").startswith("proweibotop")
        if card.get("card_type") == 9 and isinstance(card.get("mblog"), dict):
            posts.append(_post(card["mblog"], now, pinned_card))
        elif card.get("card_type") == 11:
            for inner_card in card.get("card_group") or []:
                if isinstance(inner_card, dict) and isinstance(inner_card.get("mblog"), dict):
                    inner_pinned = pinned_card or str(
                        inner_card.get("profile_type_id") or ""
                    ).startswith("proweibotop")
                    posts.append(_post(inner_card["mblog"], now, inner_pinned))
    return ParsedPage(posts=posts, has_more=bool(posts))


def is_pinned(mblog: dict[str, Any]) -> bool:
    title = mblog.get("title")
    title_text = title.get("text", "") if isinstance(title, dict) else ""
    return (
        _int_or_none(mblog.get("isTop")) == 1
        or _int_or_none(mblog.get("mblogtype")) == 2
        or "置顶" in str(title_text)
    )


def _post(mblog: dict[str, Any], now: dt.datetime, pinned_card: bool) -> ParsedPost:
    key = str(mblog.get("id") or mblog.get("mid") or mblog.get("idstr") or "")
    if not key:
        raise Malformed("a post has no id")
    raw_time = mblog.get("created_at")
    if not isinstance(raw_time, str):
        raise Malformed(f"post {key} has no created_at")
    try:
        published = parse_created_at(raw_time, now)
    except ValueError:
        raise Malformed(f"post {key} has an unreadable created_at {raw_time!r}") from None
    text = _TAGS.sub("", str(mblog.get("text") or "")).strip()
    return ParsedPost(
        key=key,
        published_at=published.astimezone(dt.UTC),
        title=text[:80] or None,
        url=POST_URL.format(id=mblog.get("bid") or key),
        pinned=pinned_card or is_pinned(mblog),
    )


_ABSOLUTE_RE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_AGO = re.compile(r"^(\d+)\s*(秒|分钟|小时)前$")
_DAY_TIME = re.compile(r"^(今天|昨天)\s*(\d{1,2}):(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$")
_FULL_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_UNITS = {"秒": "seconds", "分钟": "minutes", "小时": "hours"}


def parse_created_at(text: str, now: dt.datetime) -> dt.datetime:
    """An aware instant for Weibo's `created_at`; relative forms are read against `now`."""
    value = text.strip()
    if match := _ABSOLUTE_RE.match(value):  # the common case, without strptime's cost
        _, month, day_of_month, hour, minute, second, sign, hh, mm, year = match.groups()
        offset = dt.timedelta(hours=int(hh), minutes=int(mm)) * (-1 if sign == "-" else 1)
        try:
            return dt.datetime(
                int(year),
                _MONTHS[month],
                int(day_of_month),
                int(hour),
                int(minute),
                int(second),
                tzinfo=dt.timezone(offset),
            )
        except ValueError:
            raise ValueError(f"impossible Weibo time {text!r}") from None
    local_now = now.astimezone(LOCAL_TZ)
    if value == "刚刚":
        return local_now
    if match := _AGO.match(value):
        return local_now - dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if match := _DAY_TIME.match(value):
        day = local_now.date() - dt.timedelta(days=1 if match.group(1) == "昨天" else 0)
        return _local(day, int(match.group(2)), int(match.group(3)))
    if match := _MONTH_DAY.match(value):
        month, day_of_month = int(match.group(1)), int(match.group(2))
        hour, minute = int(match.group(3) or 0), int(match.group(4) or 0)
        candidate = _local(dt.date(local_now.year, month, day_of_month), hour, minute)
        if candidate > local_now + dt.timedelta(days=1):  # 12-31 read in January: last year
            candidate = _local(dt.date(local_now.year - 1, month, day_of_month), hour, minute)
        return candidate
    if match := _FULL_DATE.match(value):
        year, month, day_of_month = (int(match.group(i)) for i in (1, 2, 3))
        hour, minute, second = (int(match.group(i) or 0) for i in (4, 5, 6))
        return _local(dt.date(year, month, day_of_month), hour, minute, second)
    raise ValueError(f"unknown Weibo time {text!r}")


def _local(day: dt.date, hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LOCAL_TZ)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
