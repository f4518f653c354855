"""E-mail is multipart/alternative: the message as text/plain and the same laid out as text/html
(autoescaped). The supervisors' weekly mail carries the report's own figures (合格率 included);
the notice mail summarises the notice — its period, counts and 整改 deadline — not the week.
Mail goes to a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import copy
import datetime as dt
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from html import unescape
from pathlib import Path
from typing import Any

from sqlalchemy import select

from govmedia.alerts import deliver, queue_summary, report_location
from registry.config import load_config, store_url
from registry.constants import LOCAL_TZ, AlertKind
from registry.store import open_store, reports, sync_ledger
from registry.weeks import IsoWeek
from reports.periods import Period
from reports.publish import render_notice, render_weekly
from reports.render import pct
from tests.fixtures.compliance import ComplianceStore
from tests.fixtures.cycle import ledger_data, write_ledger

WEEK = IsoWeek(2026, 48)
T = dt.datetime(2026, 11, 27, 9, 0, tzinfo=LOCAL_TZ)  # Friday of W48
AFTER = dt.datetime(2026, 12, 1, 9, 0, tzinfo=LOCAL_TZ)
DAY = dt.timedelta(days=1)
EVIL = "<script>alert(1)</script>博爱公安"


def setup(tmp_path: Path, port: int) -> tuple[Any, Any, Any]:
    data = ledger_data(
        notify={
            "channels": [
                {
                    "id": "mail",
                    "kind": "email",
                    "host": "127.0.0.1",
                    "port": port,
                    "security": "none",
                    "sender": "govmedia@boai.gov.cn",
                    "audience": ["summary"],
                }
            ],
            "supervisors": [{"name": "县政府办", "email": "zwgk@boai.gov.cn"}],
        },
        reports={"formats": ["html"], "site_url": "https://zwgk.boai.gov.cn/govmedia"},
    )
    data = copy.deepcopy(data)
    data["departments"][0]["accounts"][0]["name"] = EVIL
    loaded = load_config(write_ledger(tmp_path, data), today=T.date())
    engine = open_store(store_url(loaded))
    sync_ledger(engine, loaded.config, now=T - 60 * DAY)
    seed = ComplianceStore(engine, loaded.config)
    for account_id, last in (("gaj-weibo", T - 20 * DAY), ("gaj-wechat", T - 2 * DAY)):
        seed.posts(account_id, [last])
        for back in range(0, 40, 3):
            at = T - back * DAY
            seed.observe(account_id, at - dt.timedelta(hours=1), latest_post_at=min(last, at))
    return loaded, engine, seed


def parts(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    plain, html = (p.get_content() for p in message.iter_parts())
    return plain, html


def html_text(html: str) -> str:
    """The visible text of the HTML part, for comparing figures."""
    body = html.split("<body", 1)[1]
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def send(loaded: Any, engine: Any, server: Any, rendered: Any, kind: AlertKind, period: str):
    out = loaded.base_dir / "out"
    queued = queue_summary(
        engine,
        loaded.config,
        kind=kind,
        period=period,
        period_label="ignored when the report's mail is given",
        report=report_location(loaded.config, rendered.main, out),
        as_of=AFTER,
        now=AFTER,
        mail=rendered.mail,
    )
    assert queued == 1
    assert deliver(engine, loaded.config, now=AFTER).sent == 1
    raw = server.wait_for(1)[-1].raw
    return message_from_bytes(raw, policy=policy.default)


def test_weekly_mail_has_both_parts_with_the_reports_figures(tmp_path, smtp_factory):
    server = smtp_factory(mode="plain")
    loaded, engine, _ = setup(tmp_path, server.port)
    rendered = render_weekly(engine, loaded.config, loaded.base_dir / "out", WEEK, now=AFTER)
    with engine.connect() as conn:
        figures = conn.execute(select(reports.c.figures)).scalar_one()
    assert figures["failed"] == 1 and figures["checked"] == 2  # the case is what we think

    message = send(loaded, engine, server, rendered, AlertKind.WEEKLY_SUMMARY, str(WEEK))
    plain, html = parts(message)
    rate = pct(figures["pass_rate"])
    line = (
        f"合格率：{rate}（有效核验{figures['checked']}个，合格{figures['passed']}个，"
        f"不合格{figures['failed']}个；无法核验{figures['unknown']}个不计入）"
    )
    assert line in plain
    assert f"账号{figures['monitored']}个：" in plain
    assert f"应申请关停：{figures['flagged']}个" in plain
    shown = html_text(html)
    assert line.replace("合格率：", "合格率 ", 1) in shown
    assert f"{EVIL}」单项否决" in plain  # text is text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;博爱公安" in html
    url = "https://zwgk.boai.gov.cn/govmedia/weekly/2026-W48/report.html"
    assert f"报告：{url}" in plain
    assert f'<a href="{url}">{url}</a>' in html
    assert str(message["Subject"]).startswith("【周报】博爱县政务新媒体监测 2026年第48周")


def test_notice_mail_summarises_the_notice_not_the_week(tmp_path, smtp_factory):
    server = smtp_factory(mode="plain")
    loaded, engine, _ = setup(tmp_path, server.port)
    period = Period.month("2026-11")
    rendered = render_notice(engine, loaded.config, loaded.base_dir / "out", period, now=AFTER)
    ctx_deadline = rendered.mail.deadline
    message = send(loaded, engine, server, rendered, AlertKind.NOTICE_READY, "2026-11")
    plain, html = parts(message)
    assert plain.splitlines()[0] == "### 【通报】博爱县政务新媒体监测 2026年11月"
    assert f"整改期限：{ctx_deadline}前报送整改情况。" in plain
    assert re.search(r"检查：\d+个单位、\d+个账号，合格\d+个，不合格\d+个，无法核验\d+个。", plain)
    assert f"合格率：{pct(rendered.summary['pass_rate'])}。" in plain
    assert "周" not in plain  # no week in it
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert f"整改期限 {ctx_deadline}前报送整改情况。" in html_text(html)
    notice_html = rendered.files["html"].read_text("utf-8")
    assert ctx_deadline in notice_html  # the notice it links says the same
    assert pct(rendered.summary["pass_rate"]) in notice_html
