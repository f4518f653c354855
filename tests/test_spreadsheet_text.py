"""Names, owners and titles that a spreadsheet would run as formulas stay text in report.xlsx,
report.csv and the notice's unqualified.xlsx (issue 12)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from registry.models import Config
from registry.store import sync_ledger
from reports.periods import Period
from reports.publish import render_notice, render_weekly
from tests.fixtures.reports import NOW, WEEK, ledger

HOSTILE_NAME = '=HYPERLINK("http://evil.example/","点此核验")'
HOSTILE_OWNER = "+cmd|' /C calc'!A0"
HOSTILE_DEPARTMENT = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS_NAME = "-2+3 博爱发布"
TAB_NAME = "\t=1+1"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run


@pytest.fixture
def hostile(report_store):
    """The report store's ledger with hostile names, owners and a department, synced again."""
    data = ledger(second=True)
    for department in data["departments"]:
        if department["id"] == "gaj":
            department["name"] = HOSTILE_DEPARTMENT
        for account in department["accounts"]:
            if account["id"] == "gaj-wechat":  # veto and flagged: in every list
                account["name"] = HOSTILE_NAME
                account["owner"] = {"name": HOSTILE_OWNER, "phone": "13800000000"}
            if account["id"] == "xzf-weibo":  # warning
                account["name"] = MINUS_NAME
            if account["id"] == "jyj-wechat":  # zombie
                account["name"] = TAB_NAME
    config = Config.model_validate(data)
    sync_ledger(report_store.engine, config, now=NOW.astimezone(dt.UTC))
    return report_store, config


HOSTILE = (HOSTILE_NAME, HOSTILE_OWNER, HOSTILE_DEPARTMENT, MINUS_NAME, TAB_NAME)


def _check_workbook(path) -> int:
    """Every cell holding one of the hostile texts is a string cell with exactly that text."""
    found = 0
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                assert cell.data_type != "f", (ws.title, cell.coordinate, value)
                if isinstance(value, str) and value.lstrip("'") in HOSTILE:
                    assert value in HOSTILE, (ws.title, cell.coordinate, value)
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    found += 1
    return found


def test_weekly_xlsx_and_csv_write_formula_like_text_as_text(hostile):
    store, config = hostile
    result = render_weekly(store.engine, config, store.out_dir, WEEK, now=NOW)
    assert _check_workbook(result.files["xlsx"]) >= 10  # names, owners, departments, each sheet
    text = result.files["csv"].read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    for value in (HOSTILE_NAME, HOSTILE_OWNER, HOSTILE_DEPARTMENT, MINUS_NAME, TAB_NAME):
        assert "'" + value in cells, value
    assert not any(cell.startswith(FORMULA_STARTS) for cell in cells)


def test_notice_attachment_writes_formula_like_text_as_text(hostile):
    store, config = hostile
    result = render_notice(
        store.engine,
        config,
        store.out_dir,
        Period.month("2026-11"),
        now=NOW + dt.timedelta(days=3),
        issued_on=dt.date(2026, 12, 3),
    )
    xlsx = next(p for p in result.files.values() if str(p).endswith("unqualified.xlsx"))
    assert _check_workbook(xlsx) >= 2


# --- one rounding rule for days silent -------------------------------------------------------


def test_days_silent_are_whole_days_rounded_down_in_every_format(report_store):
    """14.96 days: the sheet, the CSV, the HTML and the list's sentence all say 14."""
    from registry.store import posts as posts_table
    from tests.fixtures.reports import T

    with report_store.engine.begin() as conn:
        conn.execute(posts_table.delete().where(posts_table.c.account_id == "gaj-weibo"))
    report_store.add_posts("gaj-weibo", [T - dt.timedelta(days=14.96)])
    result = render_weekly(
        report_store.engine, report_store.config, report_store.out_dir, WEEK, now=NOW
    )
    wb = load_workbook(result.files["xlsx"])
    for title in ("账号明细", "问题清单"):
        ws = wb[title]
        header = [c.value for c in ws[1]]
        column = header.index("未更新天数")
        values = [
            row[column]
            for row in ws.iter_rows(min_row=2, values_only=True)
            if "gaj-weibo" in str(row) or "已连续14天未更新" in str(row)
        ]
        assert values and set(values) == {14}, (title, values)
    problems = [row for row in wb["问题清单"].iter_rows(min_row=2, values_only=True)]
    assert any("已连续14天未更新" in str(row) for row in problems)
    assert not any("已连续15天未更新" in str(row) for row in problems)
    text = result.files["csv"].read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index("未更新天数")
    (gaj,) = [row for row in rows if row[1] == "gaj-weibo"]
    assert gaj[column] == "14"
