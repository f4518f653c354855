"""The cycle: what is due (a travelled clock, across restarts), and whole cycles against the
simulated platforms, mail to a real SMTP server and robot posts to a real HTTP server."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from govmedia.crawling import CrawlResult
from govmedia.cycle import due_notices, due_weeks, failed_sources, run_cycle
from govmedia.locking import cycle_lock
from registry.config import load_config, store_url
from registry.constants import LOCAL_TZ, OUTCOME_ADVICE, Outcome, Source
from registry.models import NoticeAt, WeeklyAt
from registry.store import notifications, open_store
from registry.weeks import IsoWeek
from reports.periods import Period
from tests.fixtures.cycle import ledger_data, write_ledger
from tests.fixtures.simulator import SIM_NOW, govmedia, sample_data

TZ = LOCAL_TZ
MONDAY_0859 = dt.datetime(2026, 11, 30, 8, 59, tzinfo=TZ)  # W48 closed, its report not yet due
MONDAY_0900 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
W = IsoWeek.parse


def week_set(*weeks: IsoWeek | str, at: dt.datetime) -> dict[str, dt.datetime]:
    return {str(week): at for week in weeks}


# ---------------------------------------------------------------------------------------------
# What is due: pure


def test_a_week_is_due_at_the_configured_day_and_time_after_it_closes():
    when = WeeklyAt()  # monday 09:00
    assert due_weeks(MONDAY_0859, when, {}, TZ) == [W("2026-W47")]
    assert due_weeks(MONDAY_0900, when, {}, TZ) == [W("2026-W48")]
    rendered = week_set("2026-W47", at=dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ))
    assert due_weeks(MONDAY_0859, when, rendered, TZ) == []
    assert due_weeks(MONDAY_0900, when, rendered, TZ) == [W("2026-W48")]


def test_a_report_rendered_before_its_week_closed_is_rendered_again():
    early = week_set("2026-W48", at=dt.datetime(2026, 11, 29, 20, 0, tzinfo=TZ))  # Sunday
    assert due_weeks(MONDAY_0900, WeeklyAt(), early, TZ) == [W("2026-W48")]
    on_time = week_set("2026-W48", at=MONDAY_0900)
    assert due_weeks(MONDAY_0900, WeeklyAt(), on_time, TZ) == []


def test_missed_weeks_are_caught_up_after_downtime_at_most_four():
    now = dt.datetime(2026, 12, 2, 10, 0, tzinfo=TZ)  # Wednesday of W49
    done = dt.datetime(2026, 11, 25, 9, 0, tzinfo=TZ)  # after each of these weeks was due
    assert due_weeks(now, WeeklyAt(), week_set("2026-W44", at=done), TZ) == [
        W("2026-W45"),
        W("2026-W46"),
        W("2026-W47"),
        W("2026-W48"),
    ]
    assert due_weeks(now, WeeklyAt(), week_set("2026-W40", at=done), TZ) == [
        W("2026-W45"),
        W("2026-W46"),
        W("2026-W47"),
        W("2026-W48"),
    ]
    assert due_weeks(now, WeeklyAt(), week_set("2026-W46", at=done), TZ) == [
        W("2026-W47"),
        W("2026-W48"),
    ]


def test_a_sunday_evening_report_is_due_in_the_following_week():
    when = WeeklyAt(day="sunday", at="20:00")
    sunday = dt.datetime(2026, 12, 6, 20, 0, tzinfo=TZ)  # Sunday of W49
    assert due_weeks(sunday - dt.timedelta(minutes=1), when, {}, TZ) == [W("2026-W47")]
    assert due_weeks(sunday, when, {}, TZ) == [W("2026-W48")]


def test_notices_are_due_on_their_day_of_the_next_month_or_quarter():
    monthly = NoticeAt(period="month", day=1, at="09:00")
    assert due_notices(dt.datetime(2026, 12, 1, 8, 59, tzinfo=TZ), monthly, {}, TZ) == [
        Period.month("2026-10")
    ]
    assert due_notices(dt.datetime(2026, 12, 1, 9, 0, tzinfo=TZ), monthly, {}, TZ) == [
        Period.month("2026-11")
    ]
    quarterly = NoticeAt(period="quarter", day=5, at="10:00")
    assert due_notices(dt.datetime(2027, 1, 5, 10, 0, tzinfo=TZ), quarterly, {}, TZ) == [
        Period.quarter("2026-Q4")
    ]
    done = {"2026-Q3": dt.datetime(2026, 10, 5, 10, 0, tzinfo=TZ), "2026-10": MONDAY_0900}
    assert due_notices(dt.datetime(2027, 1, 4, 12, 0, tzinfo=TZ), quarterly, done, TZ) == []


def test_a_source_fails_as_a_whole_only_when_none_of_its_accounts_got_through():
    def result(account: str, outcome: Outcome) -> CrawlResult:
        return CrawlResult(account, None, outcome, None, 0, f"{outcome.value} detail")

    sources = {"a": Source.WECHAT, "b": Source.WECHAT, "c": Source.WEIBO, "d": Source.WEIBO}
    results = [
        result("a", Outcome.AUTH_EXPIRED),
        result("b", Outcome.AUTH_EXPIRED),
        result("c", Outcome.OK),
        result("d", Outcome.BLOCKED),
    ]
    [failure] = failed_sources(results, sources)
    assert (failure.source, failure.outcome, failure.accounts) == (
        Source.WECHAT,
        Outcome.AUTH_EXPIRED,
        2,
    )
    # Accounts gone or pages broken are the accounts' problems, not the source's.
    assert (
        failed_sources([result("a", Outcome.NOT_FOUND), result("b", Outcome.MALFORMED)], sources)
        == []
    )


# ---------------------------------------------------------------------------------------------
# What is due: across restarts, from the store


def reports_rows(loaded: Any) -> list[tuple[str, str]]:
    from registry.store import reports

    engine = open_store(store_url(loaded))
    with engine.connect() as conn:
        rows = conn.execute(select(reports.c.kind, reports.c.period).order_by(reports.c.id)).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_reports_are_rendered_once_across_restarts_with_a_travelled_clock(tmp_path):
    data = ledger_data(
        schedule={"notice": {"period": "month", "day": 1, "at": "09:00"}},
        reports={"formats": ["html"]},
    )
    loaded = load_config(write_ledger(tmp_path, data), today=MONDAY_0859.date())

    first = run_cycle(loaded, now=MONDAY_0859, crawl=False)
    assert [(r.kind.value, r.period) for r in first.rendered] == [
        ("weekly", "2026-W47"),
        ("notice", "2026-10"),
    ]
    assert (tmp_path / "out" / "weekly" / "2026-W47" / "report.html").exists()
    assert run_cycle(loaded, now=MONDAY_0859 + dt.timedelta(seconds=30), crawl=False).rendered == []

    # A new process at 09:00 (a restart): W48 is due now, and only W48.
    cli = govmedia(
        "run", "--skip-crawl", "--json", "--now", MONDAY_0900.isoformat(), "-c", str(loaded.path)
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["reports"] == [
        {
            "kind": "weekly",
            "period": "2026-W48",
            "path": str(tmp_path / "out" / "weekly" / "2026-W48" / "report.html"),
        }
    ]
    again = govmedia(
        "run",
        "--skip-crawl",
        "--json",
        "--now",
        "2026-11-30T17:30:00+08:00",
        "-c",
        str(loaded.path),
    )
    assert json.loads(again.stdout)["reports"] == []
    # December 1st, 09:00: November's notice, and nothing weekly.
    december = run_cycle(loaded, now=dt.datetime(2026, 12, 1, 9, 0, tzinfo=TZ), crawl=False)
    assert [(r.kind.value, r.period) for r in december.rendered] == [("notice", "2026-11")]
    assert reports_rows(loaded) == [
        ("weekly", "2026-W47"),
        ("notice", "2026-10"),
        ("weekly", "2026-W48"),
        ("notice", "2026-11"),
    ]


def test_a_second_run_exits_at_once_naming_the_first(tmp_path):
    config = write_ledger(tmp_path, ledger_data())
    loaded = load_config(config)
    with cycle_lock(store_url(loaded), command="schedule"):
        busy = govmedia("run", "--skip-crawl", "-c", str(config))
    assert busy.returncode == 1
    assert busy.stdout == ""
    assert busy.stderr.startswith("error: another govmedia cycle is running: pid ")
    assert "(`govmedia schedule`)" in busy.stderr


def test_a_bad_config_exits_2_and_does_nothing(tmp_path):
    data = ledger_data(schedule={"crawl_at": ["25:00"]})
    config = write_ledger(tmp_path, data)
    bad = govmedia("run", "-c", str(config))
    assert bad.returncode == 2
    assert "schedule.crawl_at: '25:00' is not a time of day; write it as \"08:30\"" in bad.stderr
    assert not (tmp_path / "data").exists()


# ---------------------------------------------------------------------------------------------
# Whole cycles against the simulated platforms


def notify_section(smtp_port: int) -> dict[str, Any]:
    return {
        "channels": [
            {
                "id": "mail",
                "kind": "email",
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "none",
                "sender": "govmedia@boai.gov.cn",
            },
            {"id": "wecom", "kind": "wecom", "url_env": "GOVMEDIA_WECOM_WEBHOOK"},
        ],
        "supervisors": [{"name": "县政府办电子政务科", "email": "zwgk@boai.gov.cn"}],
    }


@pytest.fixture
def cycle_config(crawl_config, smtp_factory, robot_server):
    """The sample ledger pointed at the simulator, telling a real SMTP server and robot."""
    server = smtp_factory(mode="plain")

    def make(only: str | None = None) -> tuple[Path, Any]:
        data = sample_data()
        if only is not None:  # one source's accounts only: a shorter crawl
            for department in data["departments"]:
                department["accounts"] = [
                    a for a in department["accounts"] if a["platform"] == only
                ]
        data["notify"] = notify_section(server.port)
        data["reports"] = {"formats": ["html"], "site_url": "https://zwgk.boai.gov.cn/govmedia"}
        data["schedule"] = {"notice": None}
        return crawl_config(data), server

    return make


def count(path: Path, table: Any, *where: Any) -> int:
    loaded = load_config(path)
    engine = open_store(store_url(loaded))
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    engine.dispose()
    return n


def test_a_cycle_end_to_end_then_again_changes_nothing(
    cycle_config, simulator, simulator_env, robot_server, no_proxy
):
    config, mail = cycle_config()
    env = {
        **simulator_env,
        "GOVMEDIA_WECOM_WEBHOOK": robot_server.url("/cgi-bin/webhook/send?key=k3y"),
        "no_proxy": "127.0.0.1",
    }
    now = SIM_NOW.isoformat()
    first = govmedia("run", "--json", "--now", now, "-c", str(config), env=env)
    assert first.returncode == 0, first.stderr
    done = json.loads(first.stdout)
    assert done["failed_sources"] == []
    assert done["outcomes"]["ok"] >= 15
    assert {"blocked", "auth_expired", "not_found", "malformed"} <= set(done["outcomes"])
    assert done["statuses"] == {
        "ok": 13,
        "warning": 2,
        "veto": 2,
        "zombie": 2,
        "unknown": 6,
        "exempt": 3,
    }
    assert done["flagged"] == ["qhz-wechat", "scjgj-wechat"]
    report = config.parent / "out" / "weekly" / "2026-W47" / "report.html"
    assert done["reports"] == [{"kind": "weekly", "period": "2026-W47", "path": str(report)}]
    assert report.exists()

    # Alerts: warning, veto, zombie (flagged) accounts, each once to the group; the summary.
    queued = done["notifications"]["queued"]
    assert done["notifications"]["sent"] == queued > 0
    alerts = [h.body for h in robot_server.hits]
    texts = [b.get("text", {}).get("content") or b["markdown"]["content"] for b in alerts]
    assert any(t.startswith("【应申请关停】清化镇人民政府「") for t in texts)
    assert any("【周报】博爱县政务新媒体监测 2026年第47周" in t for t in texts)
    assert any(
        "报告：https://zwgk.boai.gov.cn/govmedia/weekly/2026-W47/report.html" in t for t in texts
    )
    supervisor = [m for m in mail.received if m.rcpt_tos == ["zwgk@boai.gov.cn"]]
    assert [m.subject for m in supervisor] == [
        "【周报】博爱县政务新媒体监测 2026年第47周（11月16日—11月22日）"
    ]
    log_text = (config.parent / "data" / "govmedia.log").read_text(encoding="utf-8")
    assert 'msg="crawl done"' in log_text
    assert "logger=govmedia.crawl" not in log_text or "k3y" not in log_text
    assert simulator_env["GOVMEDIA_WECHAT_TOKEN"] not in log_text

    # The same cycle again (a cron run twice; its crawl would only add observations).
    hits_before = len(robot_server.hits)
    second = govmedia("run", "--skip-crawl", "--json", "--now", now, "-c", str(config), env=env)
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert again["reports"] == []
    assert again["notifications"] == {"queued": 0, "sent": 0, "failed": 0, "waiting": 0}
    assert len(robot_server.hits) == hits_before
    assert count(config, notifications) == queued


def test_a_source_that_fails_as_a_whole_makes_the_cycle_partial_and_is_told(
    cycle_config, simulator, robot_server, no_proxy
):
    config, mail = cycle_config(only="wechat")
    env = {"GOVMEDIA_WECOM_WEBHOOK": robot_server.url("/cgi-bin/webhook/send?key=k")}
    # No WeChat login in the environment: every WeChat account answers "login expired".
    run = govmedia("run", "--json", "--now", SIM_NOW.isoformat(), "-c", str(config), env=env)
    assert run.returncode == 1, run.stderr
    done = json.loads(run.stdout)
    assert done["failed_sources"] == [
        {
            "source": "wechat",
            "outcome": "auth_expired",
            "accounts": done["failed_sources"][0]["accounts"],
        }
    ]
    assert done["failed_sources"][0]["accounts"] >= 10
    told = [m for m in mail.received if m.subject.startswith("【数据源故障】微信公众平台")]
    assert [m.rcpt_tos for m in told] == [["zwgk@boai.gov.cn"]]
    body = told[0].body
    assert "全部未能获取（登录失效）" in body
    assert f"- 说明：{OUTCOME_ADVICE[Outcome.AUTH_EXPIRED]}。" in body
    assert "不会因此被判为未更新或关停" in body
    # The spider's English detail is for the log, not the supervisors' message.
    log_text = (config.parent / "data" / "govmedia.log").read_text(encoding="utf-8")
    [logged] = [line for line in log_text.splitlines() if "source failed as a whole" in line]
    assert "outcome=auth_expired" in logged
    assert 'detail="no platform login: set GOVMEDIA_WECHAT_TOKEN' in logged
    robot = [
        t
        for t in (
            h.body.get("text", {}).get("content") or h.body["markdown"]["content"]
            for h in robot_server.hits
        )
        if "【数据源故障】" in t
    ]
    assert len(robot) == 1
    for text in (body, *robot):
        assert OUTCOME_ADVICE[Outcome.AUTH_EXPIRED] in text
        for english in ("no platform login", "GOVMEDIA_WECHAT", "base_resp", "HTTP 4"):
            assert english not in text
        assert all(o.value not in text for o in Outcome if o is not Outcome.OK)
    # Unknown is not inactive: no WeChat account is flagged on this basis.
    assert done["flagged"] == []
