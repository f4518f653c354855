"""Group robots and webhooks: WeCom (企业微信), DingTalk (钉钉, signed) and a generic JSON hook.

The webhook URLs carry their keys (`key=` for WeCom, `access_token=` for DingTalk), so the URL
itself is a secret: config.yaml names the environment variable that holds it (`url_env`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

from registry.models import NotifyChannel
from reports.notify.base import Message, SendError, post_json, require_env, truncate_bytes

# Documented limits: WeCom text 2048 bytes, markdown 4096 bytes; DingTalk about 20000 bytes.
WECOM_TEXT_LIMIT = 2048
WECOM_MARKDOWN_LIMIT = 4096
DINGTALK_LIMIT = 18000


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret")), URL-encoded."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), to_sign, digestmod=hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def _with_query(url: str, **params: str) -> str:
    """`url` with `params` appended; values must already be URL-encoded."""
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + joiner + "&".join(f"{k}={v}" for k, v in params.items())


def _check_errcode(answer: Any, where: str) -> None:
    """Both robots answer HTTP 200 with {"errcode": 0, "errmsg": "ok"}; anything else failed."""
    if not isinstance(answer, dict) or "errcode" not in answer:
        raise SendError(f"{where} answered without an errcode: {str(answer)[:200]}")
    if answer["errcode"] != 0:
        raise SendError(
            f"{where} refused the message: errcode {answer['errcode']} "
            f"{str(answer.get('errmsg', ''))[:200]}"
        )


class _Robot:
    def __init__(self, channel: NotifyChannel, env: Mapping[str, str]) -> None:
        self.channel = channel
        self.url = require_env(env, channel.url_env, f"channel {channel.id}")

    def __enter__(self) -> _Robot:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class WeComSender(_Robot):
    """企业微信群机器人: markdown, or text with @mobile mentions when the people told have mobiles."""

    def send(self, message: Message) -> None:
        if self.channel.mention and message.mentions:
            payload: dict[str, Any] = {
                "msgtype": "text",
                "text": {
                    "content": truncate_bytes(_plain(message), WECOM_TEXT_LIMIT),
                    "mentioned_mobile_list": list(message.mentions),
                },
            }
        else:
            payload = {
                "msgtype": "markdown",
                "markdown": {"content": truncate_bytes(message.body, WECOM_MARKDOWN_LIMIT)},
            }
        answer = post_json(self.url, payload, timeout=self.channel.timeout)
        _check_errcode(answer, "the WeCom robot")


class DingTalkSender(_Robot):
    """钉钉自定义机器人: markdown, signed with the channel's secret, @mobile mentions in `at`."""

    def __init__(self, channel: NotifyChannel, env: Mapping[str, str]) -> None:
        super().__init__(channel, env)
        self.secret = (
            require_env(env, channel.secret_env, f"channel {channel.id}")
            if channel.secret_env
            else None
        )

    def send(self, message: Message) -> None:
        mentions = list(message.mentions) if self.channel.mention else []
        text = message.body
        if mentions:
            text += "\n\n" + " ".join(f"@{mobile}" for mobile in mentions)
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": message.subject, "text": truncate_bytes(text, DINGTALK_LIMIT)},
            "at": {"atMobiles": mentions, "isAtAll": False},
        }
        url = self.url
        if self.secret:
            timestamp = int(time.time() * 1000)
            url = _with_query(
                url, timestamp=str(timestamp), sign=dingtalk_sign(self.secret, timestamp)
            )
        answer = post_json(url, payload, timeout=self.channel.timeout)
        _check_errcode(answer, "the DingTalk robot")


class WebhookSender(_Robot):
    """Any JSON endpoint: the message's fields as one object; a 2xx answer is success. Each
    message carries an `id` (and `Idempotency-Key` header) that is the same on every attempt."""

    def __init__(self, channel: NotifyChannel, env: Mapping[str, str]) -> None:
        super().__init__(channel, env)
        self.token = (
            require_env(env, channel.token_env, f"channel {channel.id}")
            if channel.token_env
            else None
        )

    def send(self, message: Message) -> None:
        payload = {
            "kind": message.kind,
            "account": message.account_id,
            "subject": message.subject,
            "body": message.body,
            "to": list(message.to),
            "mentions": list(message.mentions),
            "sent_at": dt.datetime.now(dt.UTC).isoformat(),
            **message.extra,
        }
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if message.key:  # the same on every attempt: the receiver can drop a repeat
            payload["id"] = message.key
            headers["Idempotency-Key"] = message.key
        post_json(self.url, payload, timeout=self.channel.timeout, headers=headers)


def _plain(message: Message) -> str:
    """Markdown reduced to text for robots' text messages (which alone can @ by mobile)."""
    lines = []
    for line in message.body.splitlines():
        line = line.lstrip("#> ").replace("**", "")
        lines.append(line)
    return "\n".join(lines).strip()
