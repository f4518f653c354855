"""The weekly report: its context from a fixed store, and every format read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from lxml import html as lxml_html
from openpyxl import load_workbook
from sqlalchemy import select

from registry.compliance import ObservationFacts, Verdict
from registry.constants import LOCAL_TZ, OUTCOME_ADVICE, Outcome, ReportKind, Rule, VerdictStatus
from registry.store import open_store
from registry.store import reports as reports_table
from registry.store import verdicts as verdicts_table
from reports import build
from reports.publish import render_weekly
from tests.fixtures.reports import (
    BLOCKED_DETAIL,
    JS_URL,
    NOW,
    SCRIPT_NAME,
    SCRIPT_TITLE,
    WEEK,
    T,
)

AUTH_DETAIL = "auth_expired: base_resp.ret 200003 (invalid session)"


@pytest.fixture
def built(report_store):
    return build.build_weekly(report_store.engine, report_store.config, WEEK, now=NOW)


@pytest.fixture
def ctx(built):
    return built.context


@pytest.fixture
def rendered(report_store):
    return render_weekly(
        report_store.engine, report_store.config, report_store.out_dir, WEEK, now=NOW
    )


def lists(ctx) -> dict[str, list[str]]:
    return {lst.key: [item.account.account_id for item in lst.items] for lst in ctx.lists}


def row(ctx, account_id: str):
    return next(r for d in ctx.departments for r in d.accounts if r.account_id == account_id)


# --- the context ------------------------------------------------------------------------------


def test_monitoring_point_is_sunday_last_second(ctx):
    assert ctx.at == dt.datetime(2026, 11, 29, 23, 59, 59, tzinfo=ctx.at.tzinfo)
    assert ctx.at.utcoffset() == dt.timedelta(hours=8)


def test_headline_counts_every_account_once(ctx):
    h = ctx.headline
    assert h.monitored == 11
    assert sum(c.count for c in h.counts) == h.monitored


def test_pass_rate_is_ok_and_warning_over_judged(ctx):
    h = ctx.headline
    assert (h.passed, h.failed, h.checked) == (3, 3, 6)  # 2 ok + 1 warning; 2 veto + 1 zombie
    assert h.pass_rate == pytest.approx(0.5)


def test_unknown_and_exempt_are_outside_the_rate(ctx):
    assert (ctx.headline.unknown, ctx.headline.exempt) == (1, 4)


def test_change_against_last_week(ctx):
    # gaj-weibo was 13 days silent at last week's T (warning, a pass) and is veto now.
    h = ctx.headline
    assert h.previous_pass_rate == pytest.approx(5 / 7)
    assert h.pass_rate_delta == pytest.approx(0.5 - 5 / 7)
    veto = next(c for c in h.counts if c.status is VerdictStatus.VETO)
    assert (veto.count, veto.previous, veto.delta) == (2, 1, 1)


def test_trend_has_twelve_weeks_ending_with_this_one(ctx):
    assert [p.week for p in ctx.trend][-2:] == ["2026-W47", "2026-W48"]
    assert len(ctx.trend) == 12
    assert ctx.trend[-1].pass_rate == ctx.headline.pass_rate


def test_lists(ctx):
    assert lists(ctx) == {
        "veto": ["gaj-wechat", "gaj-weibo"],
        "warning": ["xzf-weibo"],
        "zombie": ["jyj-wechat"],
        "unknown": ["jyj-web"],
        "flagged": ["jyj-wechat", "gaj-wechat"],
        "relaunched": ["scjgj-weibo"],
        "unfiled": ["qhz-kuaishou"],
        "unenrolled": ["yjglj-wechat", "qhz-kuaishou"],
    }


def test_unknown_shows_the_reason_in_chinese(ctx):
    item = next(lst for lst in ctx.lists if lst.key == "unknown").items[0]
    assert item.note == (
        "最近一次观测失败（2026-11-29 20:59）：被平台拦截。" + OUTCOME_ADVICE[Outcome.BLOCKED]
    )
    assert row(ctx, "jyj-web").detail == item.note


def test_every_failure_outcome_has_advice():
    assert set(OUTCOME_ADVICE) == set(Outcome) - {Outcome.OK}
    assert all(not any("a" <= c.lower() <= "z" for c in text) for text in OUTCOME_ADVICE.values())


def _unknown(detail: str, failure: ObservationFacts | None) -> Verdict:
    return Verdict(
        account_id="jyj-web",
        at=T,
        status=VerdictStatus.UNKNOWN,
        last_post_at=None,
        days_silent=None,
        posts_7d=0,
        posts_this_week=0,
        flag_shutdown=False,
        relaunched=False,
        missed_weeks=0,
        rule="",
        basis="",
        detail=detail,
        rule_key=Rule.UNKNOWN,
        last_failure=failure,
    )


def test_verdict_detail_keeps_the_rules_own_chinese():
    failure = ObservationFacts(at=T, outcome=Outcome.AUTH_EXPIRED, detail=AUTH_DETAIL)
    before = "监测开始前（首次成功观测：2026-12-01 09:00）"
    assert build.verdict_detail(_unknown(before, failure), LOCAL_TZ) == before
    assert build.verdict_detail(_unknown("尚无观测记录", None), LOCAL_TZ) == "尚无观测记录"
    quoted = f"最近一次观测失败：登录失效（auth_expired）：{AUTH_DETAIL}，2026-11-29 23:59"
    assert build.verdict_detail(_unknown(quoted, failure), LOCAL_TZ) == (
        "最近一次观测失败（2026-11-29 23:59）：登录失效。" + OUTCOME_ADVICE[Outcome.AUTH_EXPIRED]
    )


def test_every_verdict_names_rule_and_document(ctx):
    for dept in ctx.departments:
        for r in dept.accounts:
            assert r.rule and r.basis, r.account_id
    assert row(ctx, "gaj-weibo").basis == "国办秘函〔2019〕19号"


def test_consecutive_missed_weeks_include_the_report_week(ctx):
    assert row(ctx, "gaj-wechat").missed_weeks == 4
    assert row(ctx, "gaj-wechat").flag_shutdown
    assert row(ctx, "gaj-weibo").missed_weeks == 2
    assert not row(ctx, "gaj-weibo").flag_shutdown


def test_registered_this_week_skips_the_first_import(ctx):
    assert [c.account_id for c in ctx.registered] == ["qhz-kuaishou"]


def test_closed_this_week_with_certificate(ctx):
    assert [c.account_id for c in ctx.closed] == ["rsj-wechat"]
    assert ctx.closed[0].on == dt.date(2026, 11, 25)
    assert "博政媒关〔2026〕9号" in ctx.closed[0].note


def test_departments_in_ledger_order_worst_first(ctx):
    assert [d.department_id for d in ctx.departments][:3] == ["xzf", "gaj", "jyj"]
    gaj = next(d for d in ctx.departments if d.department_id == "gaj")
    assert [r.account_id for r in gaj.accounts] == ["gaj-wechat", "gaj-weibo"]
    assert gaj.pass_rate == 0.0


def test_check_stored_the_verdicts_at_t(report_store, ctx):
    with report_store.engine.connect() as conn:
        stored = conn.execute(select(verdicts_table.c.at).distinct()).scalars().all()
    assert [s.replace(tzinfo=dt.UTC) if s.tzinfo is None else s for s in stored] == [
        ctx.at.astimezone(dt.UTC)
    ]


def test_the_report_stores_what_check_stores(report_store, ctx):
    """The report computes its verdicts at T from the facts it loads once for everything; the
    compliance area's own `check` at the same T must find nothing to change."""
    from registry.store import status_changes
    from registry.verdicts import check

    def state():
        with report_store.engine.connect() as conn:
            rows = conn.execute(select(verdicts_table).order_by(verdicts_table.c.account_id))
            changes = conn.execute(select(status_changes.c.id)).scalars().all()
            return [r._asdict() for r in rows], changes

    before = state()
    verdicts = check(report_store.engine, report_store.config, ctx.at)
    assert state() == before
    assert {v.account_id: v.status for v in verdicts} == {
        r.account_id: r.status for d in ctx.departments for r in d.accounts
    }


def test_pass_rate_definition_is_printed(ctx):
    assert "合格率＝合格账号数÷有效核验账号数" in ctx.pass_rate_definition
    assert "国办秘函〔2019〕19号" in ctx.pass_rate_definition


def test_account_pages_have_26_weeks(report_store, built):
    pages = build.build_account_pages(report_store.engine, report_store.config, built)
    page = next(p for p in pages if p.account.account_id == "gaj-wechat")
    assert len(page.weeks) == 26 and page.weeks[-1].week == "2026-W48"
    assert page.weeks[-1].met_cadence is False and page.weeks[-1].missed_run == 4


def test_recent_posts_newest_first_up_to_t(report_store, built):
    pages = build.build_account_pages(report_store.engine, report_store.config, built)
    page = next(p for p in pages if p.account.account_id == "xzf-wechat")
    assert page.recent_posts[0].title == SCRIPT_TITLE
    assert all(p.published_at <= built.context.at for p in page.recent_posts)
    assert len(page.recent_posts) == 5


# --- pure pieces ------------------------------------------------------------------------------


def test_headline_with_nothing_checked_has_no_rate():
    h = build.headline([], None)
    assert h.pass_rate is None and h.previous_pass_rate is None and h.monitored_delta is None


def test_last_closed_week_is_the_one_before_now():
    monday_morning = dt.datetime(2026, 11, 30, 8, 0, tzinfo=LOCAL_TZ)
    sunday_night = dt.datetime(2026, 11, 29, 23, 59, tzinfo=LOCAL_TZ)
    assert str(build.last_closed_week(monday_morning, LOCAL_TZ)) == "2026-W48"
    assert str(build.last_closed_week(sunday_night, LOCAL_TZ)) == "2026-W47"


# --- files ------------------------------------------------------------------------------------


def test_html_parses_and_names_each_section(rendered):
    doc = lxml_html.parse(str(rendered.files["html"])).getroot()
    ids = {el.get("id") for el in doc.iter() if el.get("id")}
    assert {"summary", "charts", "lists", "ledger", "departments", "notes"} <= ids
    # two charts, each drawn for a wide page (screen, A4) and for a phone
    assert sorted(svg.get("class") for svg in doc.findall(".//svg")) == [
        "chart bars narrow",
        "chart bars wide",
        "chart trend narrow",
        "chart trend wide",
    ]
    assert "50.0%" in doc.text_content()


def test_html_is_self_contained(rendered):
    doc = lxml_html.parse(str(rendered.files["html"])).getroot()
    assert doc.findall(".//script") == []
    assert doc.findall(".//link") == [] and doc.findall(".//img") == []
    assert "@media print" in doc.find(".//style").text
    assert "size: A4" in doc.find(".//style").text


def test_html_escapes_platform_text(rendered):
    text = rendered.files["html"].read_text(encoding="utf-8")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in text
    doc = lxml_html.parse(str(rendered.files["html"])).getroot()
    assert SCRIPT_NAME in doc.text_content()


def test_account_page_shows_hostile_title_as_text_and_drops_js_link(rendered):
    page = rendered.files["html"].parents[2] / "accounts" / "xzf-wechat.html"
    doc = lxml_html.parse(str(page)).getroot()
    assert doc.findall(".//script") == []
    assert SCRIPT_TITLE in doc.text_content()
    assert not any(JS_URL in (a.get("href") or "") for a in doc.iter("a"))


def test_xlsx_sheets_frozen_headers_and_dates(rendered):
    wb = load_workbook(rendered.files["xlsx"])
    assert wb.sheetnames == ["汇总", "账号明细", "问题清单", "关停跟踪"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.column_dimensions["A"].width and ws.column_dimensions["A"].width > 5
    detail = wb["账号明细"]
    header = [c.value for c in detail[1]]
    last_post = header.index("最近更新") + 1
    opened = header.index("开设日期") + 1
    values = [detail.cell(row=r, column=last_post).value for r in range(2, detail.max_row + 1)]
    assert any(isinstance(v, dt.datetime) for v in values)
    assert isinstance(detail.cell(row=2, column=opened).value, dt.datetime)
    assert detail.max_row == 1 + 11


def test_xlsx_problem_and_shutdown_sheets(rendered):
    wb = load_workbook(rendered.files["xlsx"])
    kinds = {row[0] for row in wb["问题清单"].iter_rows(min_row=2, values_only=True)}
    assert {"单项否决", "僵尸账号", "无法核验", "应申请关停"} <= kinds
    stages = [row[0] for row in wb["关停跟踪"].iter_rows(min_row=2, values_only=True)]
    assert stages.count("应申请关停") == 2 and "本周关停" in stages and "已关停复开" in stages
    summary = {row[0]: row[1] for row in wb["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["合格率"] == pytest.approx(0.5)
    assert isinstance(summary["监测时间点"], dt.datetime)


def test_csv_has_bom_and_one_row_per_account(rendered):
    raw = rendered.files["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["单位", "账号ID", "账号名称"]
    assert len(rows) == 12
    assert any(SCRIPT_NAME in r for r in rows)


def test_markdown_has_lists_and_inert_names(rendered):
    text = rendered.files["md"].read_text(encoding="utf-8")
    assert "### 单项否决（2个）" in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "合格率 50.0%" in text


def test_reports_table_records_and_rerender_replaces(report_store, rendered):
    later = NOW + dt.timedelta(hours=2)
    render_weekly(report_store.engine, report_store.config, report_store.out_dir, WEEK, now=later)
    with report_store.engine.connect() as conn:
        rows = conn.execute(select(reports_table)).all()
    assert [(r.kind, r.period) for r in rows] == [(ReportKind.WEEKLY.value, "2026-W48")]
    assert rows[0].rendered_at.replace(tzinfo=dt.UTC) == later.astimezone(dt.UTC).replace(
        tzinfo=dt.UTC
    )
    assert rows[0].path == str(rendered.files["html"].resolve())


def test_index_lists_every_week_present(report_store, rendered):
    earlier = WEEK.previous()
    render_weekly(report_store.engine, report_store.config, report_store.out_dir, earlier, now=NOW)
    doc = lxml_html.parse(str(report_store.out_dir / "index.html")).getroot()
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert hrefs.index("weekly/2026-W48/report.html") < hrefs.index("weekly/2026-W47/report.html")
    assert "accounts/index.html" in hrefs


def test_older_week_leaves_account_pages_of_the_newest(report_store, rendered):
    page = report_store.out_dir / "accounts" / "gaj-wechat.html"
    before = page.read_text(encoding="utf-8")
    result = render_weekly(
        report_store.engine, report_store.config, report_store.out_dir, WEEK.previous(), now=NOW
    )
    assert result.account_pages == 0
    assert page.read_text(encoding="utf-8") == before


def test_summary_json_beside_the_report(rendered):
    summary = json.loads((rendered.files["html"].parent / "summary.json").read_text("utf-8"))
    assert summary["period"] == "2026-W48" and summary["pass_rate"] == 0.5


def test_only_requested_formats(report_store):
    result = render_weekly(
        report_store.engine,
        report_store.config,
        report_store.out_dir,
        WEEK,
        now=NOW,
        formats=["md"],
    )
    assert list(result.files) == ["md"]
    assert not (report_store.out_dir / "weekly" / "2026-W48" / "report.html").exists()


def test_no_secret_reaches_a_report(report_store, monkeypatch):
    secret = "s3cr3t-Tok3n-value"
    for name in ("GOVMEDIA_SMTP_PASSWORD", "GOVMEDIA_WECHAT_TOKEN", "GOVMEDIA_WEIBO_COOKIE"):
        monkeypatch.setenv(name, secret)
    result = render_weekly(
        report_store.engine, report_store.config, report_store.out_dir, WEEK, now=NOW
    )
    written = [p for p in report_store.out_dir.rglob("*") if p.is_file()]
    assert len(written) > len(result.files)
    for path in written:
        assert secret.encode() not in path.read_bytes(), path


def _report_texts(out_dir: Path, files: dict[str, Path]) -> dict[str, str]:
    """What a reader sees in each format: HTML text (report and account page), Markdown, CSV,
    and every XLSX cell."""
    texts = {
        "html": lxml_html.parse(str(files["html"])).getroot().text_content(),
        "page": lxml_html.parse(str(out_dir / "accounts" / "jyj-web.html"))
        .getroot()
        .text_content(),
        "md": files["md"].read_text(encoding="utf-8"),
        "csv": files["csv"].read_text(encoding="utf-8-sig"),
    }
    wb = load_workbook(files["xlsx"])
    texts["xlsx"] = "\n".join(
        str(v) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r if v
    )
    return texts


@pytest.mark.parametrize(
    ("outcome", "spider_detail", "label"),
    [
        (Outcome.BLOCKED, BLOCKED_DETAIL, "被平台拦截"),
        (Outcome.AUTH_EXPIRED, AUTH_DETAIL, "登录失效"),
    ],
)
def test_unknown_reason_reaches_every_format_in_chinese_only(
    report_store, outcome, spider_detail, label
):
    if outcome is not Outcome.BLOCKED:  # the fixture's jyj-web is blocked; fail it again later
        report_store.observe("jyj-web", T - dt.timedelta(hours=1), outcome, detail=spider_detail)
    result = render_weekly(
        report_store.engine, report_store.config, report_store.out_dir, WEEK, now=NOW
    )
    advice = OUTCOME_ADVICE[outcome]
    english = (spider_detail, "HTTP 4", "base_resp", "200003", "refused", outcome.value)
    for kind, text in _report_texts(report_store.out_dir, result.files).items():
        assert f"{label}。{advice}" in text, kind
        for word in english:
            assert word not in text, (kind, word)
    # The spider's words stay where they belong: the stored verdict (`check`'s detail).
    with report_store.engine.connect() as conn:
        stored = conn.execute(
            select(verdicts_table.c.detail).where(verdicts_table.c.account_id == "jyj-web")
        ).scalar_one()
    assert spider_detail in stored


def test_xlsx_written_by_a_forked_child_is_the_same_workbook(report_store):
    result = render_weekly(
        report_store.engine,
        report_store.config,
        report_store.out_dir,
        WEEK,
        now=NOW,
        parallel_min_accounts=0,
    )
    assert "xlsx (waited)" in result.timings
    wb = load_workbook(result.files["xlsx"])
    assert wb.sheetnames == ["汇总", "账号明细", "问题清单", "关停跟踪"]
    assert wb["账号明细"].max_row == 12


def test_pages_written_by_two_processes_are_the_pages_one_writes(report_store, tmp_path):
    serial = render_weekly(
        report_store.engine, report_store.config, tmp_path / "one", WEEK, now=NOW
    )
    parallel = render_weekly(
        report_store.engine,
        report_store.config,
        tmp_path / "two",
        WEEK,
        now=NOW,
        parallel_min_accounts=0,
    )
    assert "pages (waited)" in parallel.timings
    assert serial.account_pages == parallel.account_pages == 11
    one = {p.name: p.read_bytes() for p in (tmp_path / "one" / "accounts").iterdir()}
    two = {p.name: p.read_bytes() for p in (tmp_path / "two" / "accounts").iterdir()}
    assert len(one) == 12 and one == two  # 11 pages and the list


def test_a_report_reads_one_store_even_if_its_file_is_replaced(report_store, monkeypatch):
    """The incident behind the benchmark's "0 account pages": a second benchmark deleted and
    re-created the store file at the same path while a report was running. The report had
    dropped its connections before forking the XLSX child and reconnected to the new, empty
    file: its account pages lost their weeks and its record went to the other store. Here the
    file is replaced at that very moment, as the other process did."""
    from reports import publish

    db = report_store.config_path.parent / "reports.sqlite3"
    fork = publish._forked

    def replaced_then_forked(*args):
        monkeypatch.setattr(publish, "_forked", fork)
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{db}{suffix}").exists():
                os.rename(f"{db}{suffix}", f"{db}.old{suffix}")
        open_store(f"sqlite:///{db}").dispose()  # another run's fresh store at the path
        return fork(*args)

    monkeypatch.setattr(publish, "_forked", replaced_then_forked)
    result = render_weekly(
        report_store.engine,
        report_store.config,
        report_store.out_dir,
        WEEK,
        now=NOW,
        parallel_min_accounts=0,
    )
    assert result.account_pages == 11
    page = lxml_html.parse(str(report_store.out_dir / "accounts" / "gaj-wechat.html")).getroot()
    weeks = [
        [td.text_content() for td in tr.findall("td")]
        for tr in page.findall(".//tbody/tr")
        if tr.findall("td") and tr.findall("td")[0].text_content().startswith("2026-W")
    ]
    assert weeks[0][0] == "2026-W48" and weeks[0][3] == "未达到" and weeks[0][5] == "4"
    with closing(sqlite3.connect(f"{db}.old")) as read, closing(sqlite3.connect(db)) as other:
        assert read.execute("SELECT period FROM reports").fetchall() == [("2026-W48",)]
        assert other.execute("SELECT count(*) FROM reports").fetchone() == (0,)


def test_rendering_stores_the_verdicts_at_t_while_a_child_writes(report_store):
    result = render_weekly(
        report_store.engine,
        report_store.config,
        report_store.out_dir,
        WEEK,
        now=NOW,
        parallel_min_accounts=0,
    )
    assert "build (stored)" in result.timings and "xlsx (waited)" in result.timings
    with report_store.engine.connect() as conn:
        stored = conn.execute(select(verdicts_table.c.account_id, verdicts_table.c.status)).all()
    assert len(stored) == result.summary["monitored"] == 11
    assert dict(stored)["gaj-wechat"] == VerdictStatus.VETO.value


def test_a_rerun_rewrites_only_the_pages_whose_content_changed(report_store, rendered):
    """20,000 atomic writes for pages that say what they said: a re-run of the week writes
    none of them; a page whose account has a new post is rendered and written again."""
    folder = report_store.out_dir / "accounts"
    pages = {p.name: p for p in folder.glob("*-*.html")}
    assert len(pages) == rendered.account_pages == 11
    before = {name: (p.stat().st_ino, p.read_bytes()) for name, p in pages.items()}
    assert all(b"<!-- govmedia-content: " in data for _, data in before.values())

    later = NOW + dt.timedelta(hours=2)  # the footer's time would differ: not a reason
    again = render_weekly(
        report_store.engine, report_store.config, report_store.out_dir, WEEK, now=later
    )
    assert again.account_pages == 11
    assert {name: (p.stat().st_ino, p.read_bytes()) for name, p in pages.items()} == before

    report_store.add_posts("gaj-wechat", [T - dt.timedelta(hours=1)], title="新的一条")
    render_weekly(report_store.engine, report_store.config, report_store.out_dir, WEEK, now=later)
    changed = {n for n, p in pages.items() if (p.stat().st_ino, p.read_bytes()) != before[n]}
    assert changed == {"gaj-wechat.html"}
    assert "新的一条" in pages["gaj-wechat.html"].read_text("utf-8")
