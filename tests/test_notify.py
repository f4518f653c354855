"""The channels, against real servers on 127.0.0.1: SMTP (aiosmtpd) and robot webhooks."""

from __future__ import annotations

import pytest

from registry.models import NotifyChannel
from reports.notify import ChannelNotReady, Message, SendError, build_sender, dingtalk_sign
from tests.fixtures.cycle import verify_dingtalk

SUBJECT = "【单项否决】博爱县公安局「博爱公安」（微博）"
BODY = "### 【单项否决】博爱县公安局「博爱公安」（微博）\n- 事实：已15天未更新。\n- 请：立即更新。"
SENDER = "govmedia@boai.gov.cn"


def mail_channel(port: int, **overrides: object) -> NotifyChannel:
    values = {"id": "mail", "kind": "email", "host": "127.0.0.1", "port": port, "sender": SENDER}
    return NotifyChannel.model_validate({**values, **overrides})


def message(**overrides: object) -> Message:
    values: dict = {"subject": SUBJECT, "body": BODY, "recipient": "liming@boai.gov.cn"}
    return Message(**{**values, **overrides})


# ---------------------------------------------------------------------------------------------
# E-mail


def test_email_over_starttls_with_login_arrives_in_chinese(smtp_factory, trust_test_cert):
    server = smtp_factory(
        mode="starttls", context=trust_test_cert.server_context(), users={SENDER: "pa55-word"}
    )
    channel = mail_channel(
        server.port,
        security="starttls",
        username=SENDER,
        password_env="GOVMEDIA_SMTP_PASSWORD",
    )
    with build_sender(channel, {"GOVMEDIA_SMTP_PASSWORD": "pa55-word"}) as sender:
        sender.send(message())
    [mail] = server.wait_for(1)
    assert mail.tls is True
    assert mail.login == (SENDER, "pa55-word")
    assert mail.rcpt_tos == ["liming@boai.gov.cn"]
    assert mail.subject == SUBJECT
    assert "已15天未更新" in mail.body


def test_email_over_ssl(smtp_factory, trust_test_cert):
    server = smtp_factory(mode="ssl", context=trust_test_cert.server_context())
    with build_sender(mail_channel(server.port, security="ssl"), {}) as sender:
        sender.send(message(recipient="zhangwei@boai.gov.cn"))
    [mail] = server.wait_for(1)
    assert mail.tls is True
    assert mail.rcpt_tos == ["zhangwei@boai.gov.cn"]


def test_email_plain_smtp_for_a_local_relay(smtp_factory):
    server = smtp_factory(mode="plain")
    with build_sender(mail_channel(server.port, security="none"), {}) as sender:
        sender.send(message())
        sender.send(message(recipient="zhangwei@boai.gov.cn"))
    assert [m.rcpt_tos for m in server.wait_for(2)] == [
        ["liming@boai.gov.cn"],
        ["zhangwei@boai.gov.cn"],
    ]


def test_starttls_asked_of_a_server_without_it_says_what_to_do(smtp_factory):
    server = smtp_factory(mode="plain")
    sender = build_sender(mail_channel(server.port, security="starttls"), {})
    with pytest.raises(SendError) as caught:
        sender.__enter__()
    assert str(caught.value) == (
        f"127.0.0.1:{server.port} does not offer STARTTLS; set `security: ssl` (port 465) "
        "or ask the mail administrator"
    )
    assert caught.value.retryable is True


def test_an_untrusted_certificate_is_refused(smtp_factory, test_cert):
    server = smtp_factory(mode="ssl", context=test_cert.server_context())
    sender = build_sender(mail_channel(server.port, security="ssl"), {})
    with pytest.raises(SendError, match="TLS with 127.0.0.1"):
        sender.__enter__()


def test_a_refused_login_makes_the_channel_not_ready_and_names_the_variable(
    smtp_factory, trust_test_cert
):
    server = smtp_factory(
        mode="starttls", context=trust_test_cert.server_context(), users={SENDER: "right"}
    )
    channel = mail_channel(server.port, username=SENDER, password_env="GOVMEDIA_SMTP_PASSWORD")
    sender = build_sender(channel, {"GOVMEDIA_SMTP_PASSWORD": "wrong-password"})
    with pytest.raises(ChannelNotReady) as caught:
        sender.__enter__()
    assert "GOVMEDIA_SMTP_PASSWORD" in str(caught.value)
    assert "wrong-password" not in str(caught.value)


def test_a_missing_password_variable_is_named_not_guessed():
    channel = mail_channel(25, username=SENDER, password_env="GOVMEDIA_SMTP_PASSWORD")
    with pytest.raises(ChannelNotReady) as caught:
        build_sender(channel, {})
    assert str(caught.value) == (
        "channel mail: environment variable GOVMEDIA_SMTP_PASSWORD is not set"
    )


def test_a_server_refusal_is_retryable_or_final_by_its_code(smtp_factory):
    server = smtp_factory(mode="plain")
    server.refuse_with = "451 4.3.0 try again later"
    with build_sender(mail_channel(server.port, security="none"), {}) as sender:
        with pytest.raises(SendError) as later:
            sender.send(message())
        server.refuse_with = "554 5.7.1 rejected"
        with pytest.raises(SendError) as never:
            sender.send(message())
    assert later.value.retryable is True
    assert never.value.retryable is False


# ---------------------------------------------------------------------------------------------
# Robots and webhooks


def robot(kind: str, **values: object) -> NotifyChannel:
    return NotifyChannel.model_validate({"id": kind, "kind": kind, **values})


def test_wecom_markdown_goes_to_the_url_with_its_key(robot_server, no_proxy):
    env = {"GOVMEDIA_WECOM_WEBHOOK": robot_server.url("/cgi-bin/webhook/send?key=6f1a-k3y")}
    with build_sender(robot("wecom", url_env="GOVMEDIA_WECOM_WEBHOOK"), env) as sender:
        sender.send(message(recipient="group"))
    [hit] = robot_server.hits
    assert hit.path == "/cgi-bin/webhook/send"
    assert hit.query == {"key": "6f1a-k3y"}
    assert hit.body == {"msgtype": "markdown", "markdown": {"content": BODY}}


def test_wecom_mentions_the_people_told_by_mobile(robot_server, no_proxy):
    env = {"GOVMEDIA_WECOM_WEBHOOK": robot_server.url("/cgi-bin/webhook/send?key=k")}
    with build_sender(robot("wecom", url_env="GOVMEDIA_WECOM_WEBHOOK"), env) as sender:
        sender.send(message(recipient="13903910002", mentions=("13903910002",)))
    body = robot_server.hits[0].body
    assert body["msgtype"] == "text"
    assert body["text"]["mentioned_mobile_list"] == ["13903910002"]
    assert body["text"]["content"].startswith("【单项否决】博爱县公安局「博爱公安」（微博）")
    assert "**" not in body["text"]["content"] and "###" not in body["text"]["content"]


def test_wecom_errcode_is_a_failure(robot_server, no_proxy):
    robot_server.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
    env = {"GOVMEDIA_WECOM_WEBHOOK": robot_server.url("/cgi-bin/webhook/send?key=k")}
    with (
        build_sender(robot("wecom", url_env="GOVMEDIA_WECOM_WEBHOOK"), env) as sender,
        pytest.raises(SendError, match="errcode 93000 invalid webhook url"),
    ):
        sender.send(message())


def test_dingtalk_signature_is_accepted_by_a_verifying_receiver(robot_server, no_proxy):
    robot_server.dingtalk_secret = "SEC0123456789abcdef"
    env = {
        "GOVMEDIA_DINGTALK_WEBHOOK": robot_server.url("/robot/send?access_token=t0ken"),
        "GOVMEDIA_DINGTALK_SECRET": "SEC0123456789abcdef",
    }
    channel = robot(
        "dingtalk", url_env="GOVMEDIA_DINGTALK_WEBHOOK", secret_env="GOVMEDIA_DINGTALK_SECRET"
    )
    with build_sender(channel, env) as sender:
        sender.send(message(recipient="13903910002", mentions=("13903910002",)))
    [hit] = robot_server.hits
    assert hit.sign_ok is True
    assert hit.query["access_token"] == "t0ken"
    assert hit.body["msgtype"] == "markdown"
    assert hit.body["markdown"]["title"] == SUBJECT
    assert hit.body["markdown"]["text"].endswith("@13903910002")
    assert hit.body["at"] == {"atMobiles": ["13903910002"], "isAtAll": False}


def test_dingtalk_with_the_wrong_secret_is_refused(robot_server, no_proxy):
    robot_server.dingtalk_secret = "SECright"
    env = {
        "GOVMEDIA_DINGTALK_WEBHOOK": robot_server.url("/robot/send?access_token=t"),
        "GOVMEDIA_DINGTALK_SECRET": "SECwrong",
    }
    channel = robot(
        "dingtalk", url_env="GOVMEDIA_DINGTALK_WEBHOOK", secret_env="GOVMEDIA_DINGTALK_SECRET"
    )
    with build_sender(channel, env) as sender, pytest.raises(SendError, match="310000"):
        sender.send(message())
    assert robot_server.hits[0].sign_ok is False


def test_dingtalk_sign_matches_the_documented_algorithm():
    # base64(HMAC-SHA256(secret, "timestamp\nsecret")), then URL-encoded (+ / = escaped).
    sign = dingtalk_sign("SECabc", 1700000000000)
    import urllib.parse

    decoded = urllib.parse.unquote_plus(sign)
    assert verify_dingtalk("SECabc", "1700000000000", decoded, now_ms=1700000000000)
    assert "+" not in sign and "/" not in sign and "=" not in sign


def test_generic_webhook_posts_the_message_with_a_bearer_token(robot_server, no_proxy):
    env = {"GOVMEDIA_WEBHOOK_URL": robot_server.url("/hooks/govmedia"), "HOOK_TOKEN": "b34rer"}
    channel = robot("webhook", url_env="GOVMEDIA_WEBHOOK_URL", token_env="HOOK_TOKEN")
    with build_sender(channel, env) as sender:
        sender.send(message(kind="veto", account_id="gaj-weibo", to=("liming@boai.gov.cn",)))
    [hit] = robot_server.hits
    assert hit.headers["Authorization"] == "Bearer b34rer"
    assert hit.body["kind"] == "veto"
    assert hit.body["account"] == "gaj-weibo"
    assert hit.body["subject"] == SUBJECT
    assert hit.body["to"] == ["liming@boai.gov.cn"]


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (429, True), (404, False)])
def test_webhook_http_errors_are_retryable_by_status(robot_server, no_proxy, status, retryable):
    robot_server.status = status
    env = {"GOVMEDIA_WEBHOOK_URL": robot_server.url("/hooks/govmedia")}
    sender = build_sender(robot("webhook", url_env="GOVMEDIA_WEBHOOK_URL"), env)
    with sender, pytest.raises(SendError) as caught:
        sender.send(message())
    assert caught.value.retryable is retryable
    assert str(caught.value).startswith(f"HTTP {status}")


def test_an_unreachable_webhook_is_retryable(free_port, no_proxy):
    env = {"GOVMEDIA_WEBHOOK_URL": f"http://127.0.0.1:{free_port}/hook"}
    sender = build_sender(robot("webhook", url_env="GOVMEDIA_WEBHOOK_URL"), env)
    with sender, pytest.raises(SendError, match="cannot reach the webhook") as caught:
        sender.send(message())
    assert caught.value.retryable is True
