"""The annual figures for the government-information-disclosure report."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from registry.constants import LOCAL_TZ
from registry.store import reports as reports_table
from registry.store import status_changes
from registry.weeks import IsoWeek
from reports.annual import build_annual
from reports.build import week_point
from reports.publish import render_annual
from tests.fixtures.reports import NOW

AFTER_YEAR = dt.datetime(2027, 1, 5, 9, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def checked(report_store):
    """Four weekly checks, as the cycle would have run them."""
    from registry.verdicts import check

    for n in (45, 46, 47, 48):
        check(report_store.engine, report_store.config, week_point(IsoWeek(2026, n), LOCAL_TZ))
    return report_store


@pytest.fixture
def ctx(checked):
    return build_annual(checked.engine, checked.config, 2026, now=AFTER_YEAR)


def test_accounts_at_year_end_by_platform(ctx):
    # 11 accounts, 2 closed during the year (scjgj-weibo, rsj-wechat).
    assert ctx.accounts_at_year_end == 9
    # wjw-weibo is closing: still open at year end.
    assert {p.label: p.count for p in ctx.by_platform} == {
        "微信公众号": 4,
        "微博": 3,
        "快手": 1,
        "政府网站栏目": 1,
    }


def test_units_enrolled(ctx):
    assert ctx.units_total == 6  # scjgj and rsj closed their only accounts
    assert ctx.units_national == 4  # qhz (no platform) and yjglj (provincial only) are not
    assert ctx.units_provincial == 5
    assert ctx.units_supervised == 5


def test_registrations_and_closures_with_certificates(ctx):
    assert [r.account_id for r in ctx.registrations] == ["qhz-kuaishou"]
    assert [(c.account_id, c.certificate) for c in ctx.closures] == [
        ("scjgj-weibo", "博政媒关〔2026〕3号"),
        ("rsj-wechat", "博政媒关〔2026〕9号"),
    ]
    assert ctx.closures_with_certificate == 2


def test_checks_and_problems(ctx, checked):
    assert ctx.monitoring_points == 4
    assert ctx.verdicts == 4 * 11
    with checked.engine.connect() as conn:
        changes = conn.execute(select(status_changes)).all()
    assert changes  # the checks recorded status changes
    assert ctx.problems_found >= 3  # veto ×2 and zombie at least
    assert 0 <= ctx.problems_fixed <= ctx.problems_found


def test_paragraph_in_the_annual_report_style(ctx):
    assert ctx.paragraph.startswith("2026年，博爱县持续加强政务新媒体规范管理。截至2026年12月31日")
    assert "现纳入国家、省监管平台共5家单位" in ctx.paragraph
    assert "关停整合账号2个，均已取得关停证明" in ctx.paragraph


def test_year_in_progress_is_as_of_today(checked):
    ctx = build_annual(checked.engine, checked.config, 2026, now=NOW)
    assert ctx.as_of == NOW.date()
    assert "截至2026年11月30日" in ctx.paragraph


def test_files_json_and_record(checked):
    rendered, ctx = render_annual(
        checked.engine, checked.config, checked.out_dir, 2026, now=AFTER_YEAR
    )
    data = json.loads(rendered.files["json"].read_text(encoding="utf-8"))
    assert data["accounts_at_year_end"] == ctx.accounts_at_year_end
    assert data["paragraph"] == ctx.paragraph
    assert "现纳入国家、省监管平台" in rendered.files["md"].read_text(encoding="utf-8")
    with checked.engine.connect() as conn:
        rows = conn.execute(select(reports_table.c.kind, reports_table.c.period)).all()
    assert [tuple(r) for r in rows] == [("annual", "2026")]
