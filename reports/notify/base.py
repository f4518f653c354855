"""What every channel shares: the message, the errors, the HTTP post."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol

USER_AGENT = "govmedia-notify/1 (+county new-media compliance monitor)"


@dataclass(frozen=True)
class Message:
    """One message to one recipient on one channel, as stored in the `notifications` table."""

    subject: str
    body: str  # Markdown that also reads as plain text
    recipient: str  # an e-mail address, or the people told on a group channel
    mentions: tuple[str, ...] = ()  # mobile numbers to @ on a group robot
    to: tuple[str, ...] = ()  # every contact token of the people told
    kind: str = ""
    account_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The same for every attempt at this message (the queue's dedup key, hashed): a receiver
    # that can deduplicate (the generic webhook's `Idempotency-Key`) never acts on it twice.
    key: str = ""


class SendError(Exception):
    """One message could not be sent. `retryable` False means retrying cannot help.

    `stop_channel` True means the channel itself did not answer (a timeout, a lost connection):
    the next message would wait just as long, so the rest wait for the next cycle."""

    def __init__(self, message: str, *, retryable: bool = True, stop_channel: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.stop_channel = stop_channel


class ChannelNotReady(Exception):
    """The channel cannot be used at all (its secret is not set): no attempt is counted."""


class Sender(Protocol):
    """A channel, open for one batch. Entering may raise SendError (server unreachable)."""

    def __enter__(self) -> Sender: ...

    def __exit__(self, *exc: object) -> None: ...

    def send(self, message: Message) -> None: ...


def require_env(env: dict[str, str] | Any, name: str | None, what: str) -> str:
    """The value of a secret environment variable, or ChannelNotReady naming it (never its value)."""
    value = env.get(name) if name else None
    if not value:
        raise ChannelNotReady(f"{what}: environment variable {name} is not set")
    return value


def post_json(
    url: str, payload: dict[str, Any], *, timeout: float, headers: dict[str, str] | None = None
) -> Any:
    """POST JSON and return the decoded JSON answer (or None). Errors become SendError."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        # 429 and 5xx may pass; any other 4xx says the request itself is wrong.
        retryable = exc.code == 429 or exc.code >= 500
        raise SendError(f"HTTP {exc.code} {exc.reason}", retryable=retryable) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or isinstance(exc, TimeoutError):
            reason = f"no answer within {timeout:g} s"
        raise SendError(f"cannot reach the webhook: {reason}", stop_channel=True) from None
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def truncate_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, on a character boundary, marked when cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    mark = "…"
    cut = encoded[: limit - len(mark.encode("utf-8"))].decode("utf-8", errors="ignore")
    return cut + mark
