"""Cases in the reports: the weekly report lists open and overdue cases; the notice states 整改率
from the case records, names the units that did not respond and the accounts late twice, and
re-checks the cases still open when the last notice was issued; the annual figures count them."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.cases import case_changes, close, respond
from registry.constants import LOCAL_TZ
from registry.store import append_case_event, load_cases, record_cases
from registry.verdicts import check
from registry.weeks import IsoWeek
from reports.annual import build_annual
from reports.build import build_weekly, week_point
from reports.notice import build_notice
from reports.periods import Period
from reports.publish import render_notice, render_weekly
from tests.fixtures.reports import NOW

W44 = week_point(IsoWeek(2026, 44), LOCAL_TZ)  # Sunday 11-01 23:59:59
W46 = week_point(IsoWeek(2026, 46), LOCAL_TZ)
W47 = week_point(IsoWeek(2026, 47), LOCAL_TZ)
ISSUED_OCTOBER = W44 + dt.timedelta(days=4)


def _cycle(store, at: dt.datetime) -> None:
    verdicts = check(store.engine, store.config, at)
    with store.engine.connect() as conn:
        existing = load_cases(conn)
    changes = case_changes(store.config, verdicts, existing, now=at, unknown_since={})
    record_cases(store.engine, changes.opened, changes.events)


@pytest.fixture
def casework(report_store):
    """Four cases open at W44 (deadline 11-13); qhz answers its unfiled case; October's notice
    is issued; at W46 they are overdue and a veto case opens (deadline 11-20); at W47 the
    yjglj case is closed by hand."""
    _cycle(report_store, W44)
    append_case_event(
        report_store.engine,
        "20261101-qhz-kuaishou-unfiled",
        lambda c: respond(c, note="正在补报", by="何刚", now=W44 + dt.timedelta(days=1)),
    )
    render_notice(
        report_store.engine,
        report_store.config,
        report_store.out_dir,
        Period.month("2026-10"),
        now=ISSUED_OCTOBER,
    )
    _cycle(report_store, W46)
    append_case_event(
        report_store.engine,
        "20261101-yjglj-wechat-unenrolled",
        lambda c: close(c, reason="已纳入省级平台，待台账更新", by="张伟", now=W47),
    )
    return report_store


def test_the_weekly_report_lists_open_and_overdue_cases(casework):
    build = build_weekly(casework.engine, casework.config, IsoWeek(2026, 47), now=NOW)
    ctx = build.context
    assert [c.id for c in ctx.cases_open] == []
    assert [c.id for c in ctx.cases_overdue] == [
        "20261101-jyj-wechat-flagged",
        "20261101-qhz-kuaishou-unenrolled",
        "20261101-qhz-kuaishou-unfiled",
        "20261115-gaj-wechat-veto",
    ]
    answered = next(c for c in ctx.cases_overdue if c.id.endswith("unfiled"))
    assert (answered.state_label, answered.response) == ("逾期未整改", "何刚：正在补报")
    # As it stood earlier, the veto case was still within its deadline.
    early = build_weekly(casework.engine, casework.config, IsoWeek(2026, 46), now=W46).context
    assert [c.id for c in early.cases_open] == ["20261115-gaj-wechat-veto"]

    rendered = render_weekly(
        casework.engine, casework.config, casework.out_dir, IsoWeek(2026, 47), now=NOW
    )
    md = rendered.files["md"].read_text(encoding="utf-8")
    assert "### 逾期未整改（4件）" in md
    assert "（反馈：何刚：正在补报）（20261101-qhz-kuaishou-unfiled）" in md
    html = rendered.main.read_text(encoding="utf-8")
    assert "整改跟踪" in html and "20261115-gaj-wechat-veto" in html


def test_the_notice_states_the_rectification_rate_from_the_cases(casework):
    ctx = build_notice(
        casework.engine, casework.config, Period.month("2026-11"), now=NOW + dt.timedelta(days=3)
    )
    # Five cases came due in November (11-13 ×4, 11-20); one was closed: 20%.
    assert (ctx.cases_due, ctx.cases_fixed, ctx.rectification_rate) == (5, 1, 0.2)
    # qhz answered one of its cases but not the other; yjglj never answered (the office closed
    # its case by hand after the deadline: no sign the unit acted).
    assert ctx.silent_units == [
        "博爱县公安局（1件）",
        "博爱县教育局（1件）",
        "清化镇人民政府（1件）",
        "博爱县应急管理局（1件）",
    ]
    assert ctx.late_twice == ["清化镇人民政府「清化镇发布」（逾期2次）"]
    # The cases open when October's notice was issued, re-checked at November's end.
    assert [(c.id, c.state) for c in ctx.case_recheck] == [
        ("20261101-jyj-wechat-flagged", "overdue"),
        ("20261101-qhz-kuaishou-unenrolled", "overdue"),
        ("20261101-qhz-kuaishou-unfiled", "overdue"),
        ("20261101-yjglj-wechat-unenrolled", "closed"),
    ]
    assert ctx.cases_text.startswith("本期整改期限届满的问题5件，已整改销号1件，整改率20.0%。")
    assert "上期通报时尚未销号的4件问题中，已销号1件，仍未整改3件。" in ctx.cases_text


def test_the_notice_files_carry_the_rate(casework):
    import docx

    rendered = render_notice(
        casework.engine,
        casework.config,
        casework.out_dir,
        Period.month("2026-11"),
        now=NOW + dt.timedelta(days=3),
    )
    text = "\n".join(p.text for p in docx.Document(str(rendered.files["docx"])).paragraphs)
    assert "整改率20.0%" in text
    html = rendered.files["html"].read_text(encoding="utf-8")
    assert "整改率20.0%" in html and "20261101-yjglj-wechat-unenrolled" in html


def test_no_cases_due_says_so():
    from reports.cases import notice_cases

    figures = notice_cases(
        [],
        None,
        first=dt.date(2026, 11, 1),
        last=dt.date(2026, 11, 30),
        tz=LOCAL_TZ,
        previous_issued_at=None,
    )
    assert figures["rectification_rate"] is None
    assert figures["cases_text"] == "本期无整改期限届满的问题。"


def test_the_annual_figures_count_cases_found_and_fixed(casework):
    ctx = build_annual(
        casework.engine, casework.config, 2026, now=dt.datetime(2027, 1, 5, tzinfo=LOCAL_TZ)
    )
    assert (ctx.cases_found, ctx.cases_fixed, ctx.cases_overdue) == (5, 1, 4)
    assert "建立整改台账跟踪问题5件，复核整改销号1件。" in ctx.paragraph
