"""The alert queue: who is told what, once; delivery, retries and nothing lost.

Status changes come from the real compliance check where the rule matters, and are written
directly into `status_changes` (the contract between check and alerts) where only the reading
is tested. Mail goes to a real SMTP server and robot posts to a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from govmedia.alerts import (
    Change,
    alert_kind,
    deliver,
    mentions_of,
    next_attempt_at,
    queue_alerts,
    queue_source_failure,
    queue_summary,
    report_location,
)
from registry.compliance import ObservationFacts
from registry.config import LoadedConfig, load_config, store_url
from registry.constants import (
    LOCAL_TZ,
    OUTCOME_ADVICE,
    OUTCOME_LABELS,
    AlertKind,
    Outcome,
    Source,
)
from registry.outcome_text import unknown_reason
from registry.store import notifications, open_store, status_changes, sync_ledger, verdicts
from spiders.parsers.wechat import LOGIN_HINT
from tests.fixtures.compliance import ComplianceStore
from tests.fixtures.cycle import ledger_data, write_ledger

T = dt.datetime(2026, 11, 27, 9, 0, tzinfo=LOCAL_TZ)  # a Friday morning
DAY = dt.timedelta(days=1)


class Alerting:
    """A ledger with notify channels, its real store, and shortcuts to seed and read it."""

    def __init__(self, folder: Path, notify: dict[str, Any], **sections: Any) -> None:
        self.loaded: LoadedConfig = load_config(
            write_ledger(folder, ledger_data(notify=notify, **sections)), today=T.date()
        )
        self.config = self.loaded.config
        self.engine = open_store(store_url(self.loaded))
        sync_ledger(self.engine, self.config, now=T - 30 * DAY)
        self.seed = ComplianceStore(self.engine, self.config)

    def silent_since(self, account_id: str, last_post: dt.datetime, at: dt.datetime) -> None:
        """The account's last post, seen by a crawl an hour before `at`."""
        self.seed.posts(account_id, [last_post])
        self.seed.observe(account_id, at - dt.timedelta(hours=1), latest_post_at=last_post)

    def rows(self) -> list[Any]:
        with self.engine.connect() as conn:
            return conn.execute(select(notifications).order_by(notifications.c.id)).all()

    def change(self, account_id: str, new: str, at: dt.datetime, **flags: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                status_changes.insert().values(
                    account_id=account_id,
                    old_status=None,
                    new_status=new,
                    at=at,
                    reason="测试",
                    flag_shutdown=flags.get("flag", False),
                    relaunched=flags.get("relaunched", False),
                )
            )


def mail_and_group(smtp_port: int, **channel: Any) -> dict[str, Any]:
    return {
        "channels": [
            {
                "id": "mail",
                "kind": "email",
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "none",
                "sender": "govmedia@boai.gov.cn",
                **channel,
            },
            {"id": "wecom", "kind": "wecom", "url_env": "GOVMEDIA_WECOM_WEBHOOK"},
        ],
        "supervisors": [{"name": "县政府办", "email": "zwgk@boai.gov.cn"}],
        "unknown_alert_after_days": 3,
        "retry": {"max_attempts": 3, "backoff_minutes": 5},
    }


# ---------------------------------------------------------------------------------------------
# The rule: what a status change tells


def change(
    new: str, *, at: dt.datetime = T, flag: bool = False, relaunched: bool = False
) -> Change:
    return Change(1, "a", None, new, at.astimezone(dt.UTC), None, flag, relaunched)


@pytest.mark.parametrize(
    ("latest", "previous", "now", "expected"),
    [
        (change("warning"), None, T, AlertKind.WARNING),
        (change("veto"), change("warning"), T, AlertKind.VETO),
        (change("zombie"), change("veto"), T, AlertKind.ZOMBIE),
        (change("ok"), change("veto"), T, None),
        (change("exempt"), None, T, None),
        (change("unknown"), change("ok"), T + 2 * DAY, None),
        (change("unknown"), change("ok"), T + 3 * DAY, AlertKind.UNKNOWN),
        (change("veto", flag=True), change("veto"), T, AlertKind.FLAGGED),
        (change("zombie", flag=True), change("veto", flag=True), T, AlertKind.ZOMBIE),
        (change("exempt", relaunched=True), change("exempt"), T, AlertKind.RELAUNCHED),
        (change("exempt", relaunched=True), change("exempt", relaunched=True), T, None),
    ],
)
def test_alert_kind(latest, previous, now, expected):
    assert alert_kind(latest, previous, now=now, unknown_after_days=3) is expected


def test_mentions_are_the_mobile_numbers_among_the_recipients():
    recipient = "13903910002,liming@boai.gov.cn,0391-8621001,13903910009"
    assert mentions_of(recipient) == ("13903910002", "13903910009")
    assert mentions_of("group") == ()


def test_backoff_doubles_and_is_capped():
    last = T
    kwargs = {"backoff_minutes": 5, "max_backoff_hours": 1}
    assert next_attempt_at(0, None, **kwargs) is None
    assert next_attempt_at(1, last, **kwargs) == T + dt.timedelta(minutes=5)
    assert next_attempt_at(2, last, **kwargs) == T + dt.timedelta(minutes=10)
    assert next_attempt_at(9, last, **kwargs) == T + dt.timedelta(hours=1)


# ---------------------------------------------------------------------------------------------
# Queueing, from the real check


def test_a_veto_is_told_once_to_owner_and_contact_by_mail_and_group(
    tmp_path, smtp_factory, robot_server, no_proxy, monkeypatch
):
    server = smtp_factory(mode="plain")
    monkeypatch.setenv("GOVMEDIA_WECOM_WEBHOOK", robot_server.url("/cgi-bin/webhook/send?key=k"))
    a = Alerting(tmp_path, mail_and_group(server.port))
    a.silent_since("gaj-weibo", T - 15 * DAY, T)
    a.silent_since("gaj-wechat", T - 2 * DAY, T)
    a.seed.check(T)

    queued = queue_alerts(a.engine, a.config, now=T)
    assert (queued.alerts, queued.rows) == (1, 3)
    rows = a.rows()
    assert {(r.channel, r.recipient) for r in rows} == {
        ("mail", "liming@boai.gov.cn"),
        ("mail", "zhangwei@boai.gov.cn"),
        ("wecom", "13903910002,liming@boai.gov.cn,13903910009,zhangwei@boai.gov.cn"),
    }
    assert {r.kind for r in rows} == {"veto"}
    assert rows[0].subject == "【单项否决】博爱县公安局「博爱公安」（微博）"
    assert "已15天未更新" in rows[0].body
    assert "国办秘函〔2019〕19号" in rows[0].body
    assert rows[0].body == (  # as README.md shows it
        "### 【单项否决】博爱县公安局「博爱公安」（微博）\n"
        "- 事实：截至2026年11月27日 09:00，已15天未更新（最近一次：2026年11月12日 09:00）。\n"
        "- 规则：监测时间点前14天内无更新，单项否决（国办秘函〔2019〕19号）\n"
        "- 请：立即更新，此后每周至少更新一次。"
    )

    # Again, and after a new check at a later T with the same status: nothing new.
    assert queue_alerts(a.engine, a.config, now=T).rows == 0
    a.seed.observe("gaj-weibo", T + dt.timedelta(hours=2), latest_post_at=T - 15 * DAY)
    a.seed.check(T + dt.timedelta(hours=3))
    assert queue_alerts(a.engine, a.config, now=T + dt.timedelta(hours=3)).rows == 0

    delivered = deliver(a.engine, a.config, now=T)
    assert (delivered.sent, delivered.failed) == (3, 0)
    mails = server.wait_for(2)
    assert sorted(m.rcpt_tos[0] for m in mails) == ["liming@boai.gov.cn", "zhangwei@boai.gov.cn"]
    assert mails[0].subject == "【单项否决】博爱县公安局「博爱公安」（微博）"
    [hit] = robot_server.hits
    assert hit.body["text"]["mentioned_mobile_list"] == ["13903910002", "13903910009"]
    assert all(r.sent_at is not None and r.attempts == 1 for r in a.rows())
    assert deliver(a.engine, a.config, now=T + DAY).sent == 0


def test_an_owner_with_a_phone_only_is_reached_through_the_group(tmp_path, monkeypatch):
    a = Alerting(tmp_path, mail_and_group(2525))
    a.silent_since("gaj-weibo", T - 2 * DAY, T)
    a.silent_since("gaj-wechat", T - 8 * DAY, T)
    a.seed.check(T)
    queue_alerts(a.engine, a.config, now=T)
    rows = a.rows()
    assert {(r.channel, r.recipient) for r in rows} == {
        ("mail", "zhangwei@boai.gov.cn"),
        ("wecom", "13903910003,13903910009,zhangwei@boai.gov.cn"),
    }
    assert rows[0].kind == "warning"
    assert "已8天未更新" in rows[0].body


def test_unknown_is_told_only_after_it_lasts(tmp_path):
    a = Alerting(tmp_path, mail_and_group(2525))
    a.silent_since("gaj-weibo", T - 2 * DAY, T)
    a.seed.posts("gaj-wechat", [T - 12 * DAY])
    a.seed.observe("gaj-wechat", T - 10 * DAY, latest_post_at=T - 12 * DAY)
    a.seed.observe(
        "gaj-wechat", T - dt.timedelta(hours=1), Outcome.AUTH_EXPIRED, detail="ret=200003"
    )
    verdicts = a.seed.check(T)
    assert verdicts["gaj-wechat"].status.value == "unknown"

    assert queue_alerts(a.engine, a.config, now=T + 2 * DAY).rows == 0
    assert queue_alerts(a.engine, a.config, now=T + 3 * DAY).rows == 2
    row = a.rows()[0]
    assert row.kind == "unknown"
    assert row.subject == "【无法核验】博爱县公安局「博爱县公安局」（微信公众号）"
    assert "已连续3天无法核验更新情况" in row.body
    assert "登录失效" in row.body
    assert "无法核验不等于未更新" in row.body
    assert "ret=200003" not in row.body and "auth_expired" not in row.body


# What the spiders write for these outcomes: English, for `check`, the log and the store.
AUTH_DETAIL = f"auth_expired: base_resp.ret 200003: session expired (invalid session); {LOGIN_HINT}"
BLOCKED_DETAIL = "blocked: HTTP 418 from m.weibo.cn (rate limited)"


@pytest.mark.parametrize(
    ("account_id", "source", "outcome", "detail", "subject"),
    [
        (
            "gaj-wechat",
            Source.WECHAT,
            Outcome.AUTH_EXPIRED,
            AUTH_DETAIL,
            "【无法核验】博爱县公安局「博爱县公安局」（微信公众号）",
        ),
        (
            "gaj-weibo",
            Source.WEIBO,
            Outcome.BLOCKED,
            BLOCKED_DETAIL,
            "【无法核验】博爱县公安局「博爱公安」（微博）",
        ),
    ],
)
def test_an_unknown_alert_says_why_in_chinese_never_the_spiders_english(
    tmp_path,
    smtp_factory,
    robot_server,
    no_proxy,
    monkeypatch,
    account_id,
    source,
    outcome,
    detail,
    subject,
):
    server = smtp_factory(mode="plain")
    monkeypatch.setenv("GOVMEDIA_WECOM_WEBHOOK", robot_server.url("/cgi-bin/webhook/send?key=k"))
    a = Alerting(tmp_path, mail_and_group(server.port))
    other = ({"gaj-wechat", "gaj-weibo"} - {account_id}).pop()
    a.silent_since(other, T - 2 * DAY, T)  # fine: the alert below is the only one
    a.seed.posts(account_id, [T - 12 * DAY])
    a.seed.observe(account_id, T - 10 * DAY, latest_post_at=T - 12 * DAY, source=source)
    failed_at = T - dt.timedelta(hours=1)
    a.seed.observe(account_id, failed_at, outcome, detail=detail, source=source)
    verdict = a.seed.check(T)[account_id]
    assert verdict.status.value == "unknown"
    with a.engine.connect() as conn:  # `check` and the store keep the spider's words
        stored = conn.execute(
            select(verdicts.c.detail).where(verdicts.c.account_id == account_id)
        ).scalar_one()
    assert detail in stored

    assert queue_alerts(a.engine, a.config, now=T + 3 * DAY).alerts == 1
    assert deliver(a.engine, a.config, now=T + 3 * DAY).failed == 0
    reason = f"最近一次观测失败（{failed_at:%Y-%m-%d %H:%M}）：{OUTCOME_LABELS[outcome]}。"
    reason += OUTCOME_ADVICE[outcome]
    mails = server.wait_for(sum(1 for r in a.rows() if r.channel == "mail"))
    assert mails
    [hit] = robot_server.hits
    robot_text = hit.body.get("text", {}).get("content") or hit.body["markdown"]["content"]
    for mail in mails:
        assert mail.subject == subject
        assert mail.body.rstrip("\n") == (
            f"### {subject}\n"
            "- 事实：已连续3天无法核验更新情况。无法核验不等于未更新。\n"
            f"- 原因：{reason}。\n"
            f"- 规则：{verdict.rule}（{verdict.basis}）\n"
            "- 请：核对账号名称、链接是否变更，并将最近一次更新日期报县政务新媒体管理员。"
        )
    for text in [*(m.body for m in mails), robot_text]:
        assert reason in text
        assert "base_resp" not in text and "HTTP 4" not in text and "weibo.cn" not in text
        assert not re.search(r"[A-Za-z]", text), text
        assert all(o.value not in text for o in Outcome if o is not Outcome.OK)


def test_a_raised_flag_and_a_relaunch_are_told(tmp_path):
    a = Alerting(tmp_path, mail_and_group(2525))
    a.change("gaj-weibo", "veto", T - 7 * DAY)
    a.change("gaj-weibo", "veto", T, flag=True)
    a.change("gaj-wechat", "exempt", T - 7 * DAY)
    a.change("gaj-wechat", "exempt", T, relaunched=True)
    queue_alerts(a.engine, a.config, now=T)
    kinds = {(r.account_id, r.kind) for r in a.rows()}
    assert kinds == {("gaj-weibo", "flagged"), ("gaj-wechat", "relaunched")}
    flagged = next(r for r in a.rows() if r.kind == "flagged")
    assert "申请关停下线，提交关停证明和书面报告" in flagged.body


def test_old_changes_are_history_not_news(tmp_path):
    a = Alerting(tmp_path, mail_and_group(2525))
    a.change("gaj-weibo", "veto", T - 61 * DAY)
    assert queue_alerts(a.engine, a.config, now=T).rows == 0


def test_nothing_is_queued_without_channels(tmp_path):
    a = Alerting(tmp_path, {})
    a.change("gaj-weibo", "veto", T)
    assert queue_alerts(a.engine, a.config, now=T).rows == 0
    assert a.rows() == []


def test_the_reason_for_unknown_is_chinese_whatever_the_rules_detail_quotes():
    at = dt.datetime(2026, 11, 27, 8, 0, tzinfo=LOCAL_TZ)
    auth = ObservationFacts(at=at, outcome=Outcome.AUTH_EXPIRED, detail=AUTH_DETAIL)
    blocked = ObservationFacts(at=at + DAY, outcome=Outcome.BLOCKED, detail=BLOCKED_DETAIL)
    quoted = f"最近一次观测失败：登录失效（auth_expired）：{AUTH_DETAIL}，2026-11-27 08:00"
    auth_note = "最近一次观测失败（2026-11-27 08:00）：登录失效。" + OUTCOME_ADVICE[auth.outcome]
    assert unknown_reason(quoted, auth, LOCAL_TZ) == auth_note
    assert unknown_reason(None, auth, LOCAL_TZ) == auth_note
    # A newer failure than the one the verdict quotes: the newer one, still in Chinese.
    assert unknown_reason(quoted, blocked, LOCAL_TZ) == (
        "最近一次观测失败（2026-11-28 08:00）：被平台拦截。" + OUTCOME_ADVICE[Outcome.BLOCKED]
    )
    # The failure no longer at hand: the quoted outcome's words, never the quoted English.
    assert unknown_reason(quoted, None, LOCAL_TZ) == (
        "最近一次观测失败：登录失效。" + OUTCOME_ADVICE[Outcome.AUTH_EXPIRED]
    )
    # The rules' own Chinese is kept.
    before = "监测开始前（首次成功观测：2026-11-28 09:00）"
    assert unknown_reason(before, auth, LOCAL_TZ) == before
    assert unknown_reason("尚无观测记录", None, LOCAL_TZ) == "尚无观测记录"
    assert unknown_reason(None, None, LOCAL_TZ) == ""


def test_a_failed_source_is_told_to_supervisors_in_chinese(tmp_path, smtp_factory):
    server = smtp_factory(mode="plain")
    a = Alerting(tmp_path, mail_only(server.port))

    def told(outcome: Outcome) -> int:
        return queue_source_failure(
            a.engine, a.config, source="weibo", outcome=outcome, accounts_failed=7, now=T
        )

    assert told(Outcome.BLOCKED) == 1
    assert told(Outcome.BLOCKED) == 0  # once a day
    assert told(Outcome.AUTH_EXPIRED) == 1
    assert deliver(a.engine, a.config, now=T).sent == 2
    mails = server.wait_for(2)
    assert [m.rcpt_tos for m in mails] == [["zwgk@boai.gov.cn"]] * 2
    for mail, outcome in zip(mails, (Outcome.BLOCKED, Outcome.AUTH_EXPIRED), strict=True):
        assert mail.subject == f"【数据源故障】微博：{OUTCOME_LABELS[outcome]}"
        assert f"- 说明：{OUTCOME_ADVICE[outcome]}。" in mail.body
        assert "7个账号全部未能获取" in mail.body
        assert all(o.value not in mail.body for o in Outcome if o is not Outcome.OK)
        assert "base_resp" not in mail.body and "HTTP 4" not in mail.body


# ---------------------------------------------------------------------------------------------
# Delivery: retries, giving up, nothing lost


def mail_only(port: int, **retry: Any) -> dict[str, Any]:
    notify = mail_and_group(port)
    notify["channels"] = notify["channels"][:1]
    notify["retry"] = {"max_attempts": 3, "backoff_minutes": 5, **retry}
    return notify


def test_a_failing_server_then_a_working_one(tmp_path, smtp_factory, free_port):
    a = Alerting(tmp_path, mail_only(free_port))
    a.change("gaj-weibo", "veto", T)
    queue_alerts(a.engine, a.config, now=T)

    first = deliver(a.engine, a.config, now=T)
    assert (first.sent, first.failed, first.given_up) == (0, 2, 0)
    rows = a.rows()
    assert [r.attempts for r in rows] == [1, 1]
    assert rows[0].last_error.startswith(f"cannot reach the SMTP server 127.0.0.1:{free_port}")

    # Backing off: not tried again before five minutes.
    early = deliver(a.engine, a.config, now=T + dt.timedelta(minutes=4))
    assert (early.sent, early.failed, early.waiting) == (0, 0, 2)

    server = smtp_factory(mode="plain", port=free_port)
    later = deliver(a.engine, a.config, now=T + dt.timedelta(minutes=5))
    assert (later.sent, later.failed) == (2, 0)
    assert len(server.wait_for(2)) == 2
    assert [(r.attempts, r.last_error) for r in a.rows()] == [(2, None), (2, None)]


def test_a_message_is_given_up_after_max_attempts(tmp_path, free_port):
    a = Alerting(tmp_path, mail_only(free_port, max_attempts=2, backoff_minutes=1))
    a.change("gaj-weibo", "veto", T)
    queue_alerts(a.engine, a.config, now=T)
    deliver(a.engine, a.config, now=T)
    second = deliver(a.engine, a.config, now=T + dt.timedelta(minutes=1))
    assert second.given_up == 2
    third = deliver(a.engine, a.config, now=T + DAY)
    assert (third.sent, third.failed, third.waiting) == (0, 0, 0)
    assert all(r.sent_at is None and r.attempts == 2 for r in a.rows())


def test_a_permanent_refusal_is_given_up_at_once(tmp_path, smtp_factory):
    server = smtp_factory(mode="plain")
    server.refuse_with = "550 5.1.1 no such mailbox"
    a = Alerting(tmp_path, mail_only(server.port))
    a.change("gaj-weibo", "veto", T)
    queue_alerts(a.engine, a.config, now=T)
    result = deliver(a.engine, a.config, now=T)
    assert (result.failed, result.given_up) == (2, 2)
    assert "550" in a.rows()[0].last_error


def test_a_channel_whose_secret_is_missing_keeps_its_messages(tmp_path, monkeypatch):
    monkeypatch.delenv("GOVMEDIA_WECOM_WEBHOOK", raising=False)
    a = Alerting(tmp_path, mail_and_group(2525, audience=["summary"]))
    a.change("gaj-weibo", "veto", T)
    queue_alerts(a.engine, a.config, now=T)
    result = deliver(a.engine, a.config, now=T)
    assert result.errors == [
        "channel wecom: environment variable GOVMEDIA_WECOM_WEBHOOK is not set"
    ]
    assert (result.sent, result.failed, result.waiting) == (0, 0, 1)
    assert [(r.attempts, r.sent_at) for r in a.rows()] == [(0, None)]


def test_a_channel_sends_at_most_its_cap_per_cycle(tmp_path, smtp_factory):
    server = smtp_factory(mode="plain")
    a = Alerting(tmp_path, mail_only(server.port))
    a.config.notify.channels[0].max_per_cycle = 1
    a.change("gaj-weibo", "veto", T)
    queue_alerts(a.engine, a.config, now=T)
    first = deliver(a.engine, a.config, now=T)
    assert (first.sent, first.waiting) == (1, 1)
    assert deliver(a.engine, a.config, now=T).sent == 1


def test_a_crash_after_queueing_loses_nothing(tmp_path, smtp_factory):
    server = smtp_factory(mode="plain")
    a = Alerting(tmp_path, mail_only(server.port))
    a.change("gaj-weibo", "veto", T)
    script = textwrap.dedent(
        f"""
        import datetime as dt, os
        from govmedia.alerts import queue_alerts
        from registry.config import load_config, store_url
        from registry.store import open_store
        loaded = load_config({str(a.loaded.path)!r}, today=dt.date(2026, 11, 27))
        engine = open_store(store_url(loaded))
        queue_alerts(engine, loaded.config, now=dt.datetime.fromisoformat({T.isoformat()!r}))
        os._exit(9)  # dies before sending anything
        """
    )
    crashed = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert crashed.returncode == 9, crashed.stderr.decode()
    assert [r.sent_at for r in a.rows()] == [None, None]
    assert deliver(a.engine, a.config, now=T).sent == 2
    assert len(server.wait_for(2)) == 2


# ---------------------------------------------------------------------------------------------
# Summaries for supervisors


def test_the_weekly_summary_goes_to_supervisors_once_with_the_report_url(tmp_path):
    a = Alerting(
        tmp_path, mail_and_group(2525), reports={"site_url": "https://zwgk.boai.gov.cn/govmedia"}
    )
    a.silent_since("gaj-weibo", T - 15 * DAY, T)
    a.silent_since("gaj-wechat", T - 2 * DAY, T)
    a.seed.check(T)
    report = a.loaded.base_dir / "out" / "weekly" / "2026-W48" / "index.html"

    def summary() -> int:
        return queue_summary(
            a.engine,
            a.config,
            kind=AlertKind.WEEKLY_SUMMARY,
            period="2026-W48",
            period_label="2026年第48周（11月23日—11月29日）",
            report=report_location(a.config, report, a.loaded.base_dir / "out"),
            as_of=T,
            now=T,
        )

    assert summary() == 2
    assert summary() == 0
    rows = [r for r in a.rows() if r.kind == "weekly_summary"]
    assert {(r.channel, r.recipient) for r in rows} == {
        ("mail", "zwgk@boai.gov.cn"),
        ("wecom", "zwgk@boai.gov.cn"),
    }
    body = rows[0].body
    assert rows[0].subject == "【周报】博爱县政务新媒体监测 2026年第48周（11月23日—11月29日）"
    assert "账号2个：单项否决1，合格1。" in body
    assert "需关注：博爱县公安局「博爱公安」单项否决（15天未更新）。" in body
    assert "报告：https://zwgk.boai.gov.cn/govmedia/weekly/2026-W48/index.html" in body


# ---------------------------------------------------------------------------------------------
# A hung webhook


def webhook_only(timeout: float) -> dict[str, Any]:
    return {
        "channels": [
            {"id": "hook", "kind": "webhook", "url_env": "GOVMEDIA_HOOK", "timeout": timeout}
        ],
        "retry": {"max_attempts": 3, "backoff_minutes": 5},
    }


def test_a_hung_webhook_costs_one_timeout_then_waits_for_the_next_cycle(
    tmp_path, monkeypatch, hung_server, robot_server, no_proxy
):
    import time

    a = Alerting(tmp_path, webhook_only(timeout=1.0))
    for account_id in ("gaj-weibo", "gaj-wechat"):
        a.change(account_id, "veto", T)
    queue_alerts(a.engine, a.config, now=T)
    monkeypatch.setenv("GOVMEDIA_HOOK", hung_server.url + "/hook")
    started = time.monotonic()
    first = deliver(a.engine, a.config, now=T)
    assert time.monotonic() - started < 1.9  # one timeout, not one per message
    assert (first.sent, first.failed, first.waiting) == (0, 1, 1)
    assert "no answer within 1 s" in first.errors[0]
    assert "1 more wait for the next cycle" in first.errors[0]
    assert [r.attempts for r in a.rows()] == [1, 0]  # the untried one is not counted

    # The next cycle, the receiver answers: each message once, with a key stable across tries.
    monkeypatch.setenv("GOVMEDIA_HOOK", robot_server.url("/hook"))
    second = deliver(a.engine, a.config, now=T + dt.timedelta(minutes=5))
    assert (second.sent, second.failed) == (2, 0)
    keys = [hit.headers["Idempotency-Key"] for hit in robot_server.hits]
    assert keys == [hit.body["id"] for hit in robot_server.hits]
    assert len(set(keys)) == 2
    assert deliver(a.engine, a.config, now=T + DAY).sent == 0
    assert len(robot_server.hits) == 2  # what the receiver took is never sent again


def test_a_hung_smtp_server_costs_one_timeout(tmp_path, smtp_factory):
    import time

    server = smtp_factory(mode="plain")
    server.hang_seconds = 10
    a = Alerting(tmp_path, mail_only(server.port))
    a.config.notify.channels[0].timeout = 1.0
    a.change("gaj-weibo", "veto", T)
    queue_alerts(a.engine, a.config, now=T)
    started = time.monotonic()
    result = deliver(a.engine, a.config, now=T)
    assert time.monotonic() - started < 1.9  # not once per message, nor again to say QUIT
    assert (result.sent, result.failed, result.waiting) == (0, 1, 1)
    assert [r.attempts for r in a.rows()] == [1, 0]
