"""Notifications: e-mail, WeCom and DingTalk group robots, and a generic JSON webhook.

`govmedia.alerts` decides who is told what and keeps the queue; this package renders the
messages (templates in reports/templates/notify/) and talks to the channels.
"""

from __future__ import annotations

from collections.abc import Mapping

from registry.constants import ChannelKind
from registry.models import NotifyChannel
from reports.notify.base import ChannelNotReady, Message, Sender, SendError
from reports.notify.email import EmailSender
from reports.notify.render import render_message
from reports.notify.robots import DingTalkSender, WebhookSender, WeComSender, dingtalk_sign

SENDERS = {
    ChannelKind.EMAIL: EmailSender,
    ChannelKind.WECOM: WeComSender,
    ChannelKind.DINGTALK: DingTalkSender,
    ChannelKind.WEBHOOK: WebhookSender,
}


def build_sender(channel: NotifyChannel, env: Mapping[str, str]) -> Sender:
    """The sender for `channel`, its secrets read from `env`. Raises ChannelNotReady."""
    return SENDERS[channel.kind](channel, env)


__all__ = [
    "ChannelNotReady",
    "Message",
    "SendError",
    "Sender",
    "build_sender",
    "dingtalk_sign",
    "render_message",
]
