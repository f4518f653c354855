"""What every parser returns or raises, and the few decoding steps all JSON sources share."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from dataclasses import dataclass, field
from typing import Any

from registry.constants import Outcome


@dataclass(frozen=True, slots=True)
class ParsedPost:
    """One post as the platform shows it. `published_at` is aware; `pinned` posts never count
    as the latest post."""

    key: str
    published_at: dt.datetime
    title: str | None = None
    url: str | None = None
    pinned: bool = False


@dataclass(slots=True)
class ParsedPage:
    """One list page: its posts (newest first as served), and whether another page follows."""

    posts: list[ParsedPost] = field(default_factory=list)
    detail: str = ""
    has_more: bool = False


class ParseError(Exception):
    """The body proves something other than a list of posts: blocked, gone, expired, broken."""

    def __init__(self, outcome: Outcome, detail: str) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail


# The typed errors a parser raises; each names its outcome once.
class NotFound(ParseError):
    def __init__(self, detail: str) -> None:
        super().__init__(Outcome.NOT_FOUND, detail)


class Blocked(ParseError):
    def __init__(self, detail: str) -> None:
        super().__init__(Outcome.BLOCKED, detail)


class AuthExpired(ParseError):
    def __init__(self, detail: str) -> None:
        super().__init__(Outcome.AUTH_EXPIRED, detail)


class Malformed(ParseError):
    def __init__(self, detail: str) -> None:
        super().__init__(Outcome.MALFORMED, detail)


# Pages a platform serves instead of data when it suspects a robot (验证码, 环境异常, 访问过于频繁).
_CHALLENGE = re.compile(
    r"验证码|环境异常|过于频繁|安全验证|人机验证|captcha|geetest|slider", re.IGNORECASE
)


def looks_like_challenge(text: str) -> bool:
    """True when a body reads like a captcha or 'unusual environment' page."""
    return bool(_CHALLENGE.search(text[:20000]))


def load_json(body: bytes, what: str) -> Any:
    """Decode a JSON body: empty → blocked, a challenge page → blocked, broken → malformed."""
    if not body.strip():
        raise Blocked(f"empty body where {what} JSON was expected")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed(f"{what} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        if looks_like_challenge(text):
            raise Blocked(f"a captcha or 环境异常 page instead of {what}") from None
        raise Malformed(f"{what} is not valid JSON ({exc.msg} at char {exc.pos})") from None


def http_date(value: str | bytes | None) -> dt.datetime | None:
    """An HTTP `Date` header as an aware instant, or None when absent or unreadable."""
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed


def to_utc(instant: dt.datetime) -> dt.datetime:
    """Aware instants are stored in UTC."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}")
    return instant.astimezone(dt.UTC)
