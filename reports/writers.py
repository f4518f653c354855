"""Writers: a context in, files out (HTML, XLSX, Markdown, CSV, DOCX), each written atomically.

Writers never read the store: everything they print is in the context. Tables that appear in
several formats (the account detail, the problem list) are defined once here as column lists, so
that the XLSX sheet and the CSV file cannot disagree.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.compliance import whole_days
from registry.constants import LOCAL_TZ, AccountStatus
from reports.contexts import (
    AccountRow,
    ListItem,
    NoticeContext,
    NoticeProblem,
    WeeklyContext,
)
from reports.files import atomic_path, write_text
from reports.render import render

WEEKLY_FORMATS: tuple[str, ...] = ("html", "xlsx", "md", "csv")
FORMAT_LABELS = {
    "html": "网页",
    "xlsx": "Excel",
    "md": "Markdown",
    "csv": "CSV",
    "docx": "Word",
    "json": "JSON",
}

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _local(value: dt.datetime | None) -> dt.datetime | None:
    """Excel has no time zones: a local wall-clock time, naive."""
    if value is None:
        return None
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value.tzinfo else value


# A text starting with one of these is a formula to a spreadsheet (CSV injection): names, owners
# and titles come from platforms and the ledger, so every text cell goes through `spreadsheet_text`.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def spreadsheet_text(value: Any) -> Any:
    """A CSV cell value: text a spreadsheet would read as a formula gets a leading apostrophe
    (shown as text, as if typed with one); anything else unchanged."""
    return "'" + value if formula_like(value) else value


def _xlsx_value(ws: Any, value: Any) -> Any:
    """An XLSX cell value: formula-like text as an explicit string cell (type s, quote prefix),
    never a formula; anything else unchanged."""
    if not formula_like(value):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _yes(value: bool) -> str:
    return "是" if value else "否"


@dataclass(frozen=True)
class Column:
    """One column of a table written to XLSX and CSV."""

    header: str
    value: Callable[[Any], Any]
    kind: str = "text"  # text | int | float | date | datetime | percent
    width: int | None = None  # in Excel character units; None: sized from the content


ACCOUNT_COLUMNS: tuple[Column, ...] = (
    Column("单位", lambda r: r.department_name),
    Column("账号ID", lambda r: r.account_id),
    Column("账号名称", lambda r: r.name),
    Column("平台", lambda r: r.platform_label),
    Column("台账状态", lambda r: r.ledger_status_label),
    Column("监测状态", lambda r: r.status_label),
    Column("最近更新", lambda r: _local(r.last_post_at), "datetime", 17),
    Column("未更新天数", lambda r: whole_days(r.days_silent), "int"),
    Column("近7天发布", lambda r: r.posts_7d, "int"),
    Column("本周发布", lambda r: r.posts_this_week, "int"),
    Column("连续未达标周数", lambda r: r.missed_weeks, "int"),
    Column("应申请关停", lambda r: _yes(r.flag_shutdown)),
    Column("违规复开", lambda r: _yes(r.relaunched)),
    Column("判定规则", lambda r: r.rule, width=40),
    Column("依据", lambda r: r.basis, width=24),
    Column("情况说明", lambda r: r.detail, width=40),
    Column("责任人", lambda r: r.owner_name),
    Column("电话", lambda r: r.owner_phone, width=15),
    Column("邮箱", lambda r: r.owner_email),
    Column("开设日期", lambda r: r.opened_on, "date", 12),
    Column("报备日期", lambda r: r.filed_on, "date", 12),
    Column("国家监管平台", lambda r: "已纳入" if r.national else "未纳入"),
    Column("省级监管平台", lambda r: "已纳入" if r.provincial else "未纳入"),
)

# A problem row is (list title, list item).
PROBLEM_COLUMNS: tuple[Column, ...] = (
    Column("类别", lambda p: p[0]),
    Column("单位", lambda p: p[1].account.department_name),
    Column("账号名称", lambda p: p[1].account.name),
    Column("平台", lambda p: p[1].account.platform_label),
    Column("监测状态", lambda p: p[1].account.status_label),
    Column("最近更新", lambda p: _local(p[1].account.last_post_at), "datetime", 17),
    Column("未更新天数", lambda p: whole_days(p[1].account.days_silent), "int"),
    Column("连续未达标周数", lambda p: p[1].account.missed_weeks, "int"),
    Column("情况说明", lambda p: p[1].note, width=40),
    Column("判定规则", lambda p: p[1].account.rule, width=40),
    Column("依据", lambda p: p[1].account.basis, width=24),
    Column("责任人", lambda p: p[1].account.owner_name),
    Column("电话", lambda p: p[1].account.owner_phone, width=15),
)

# A shutdown-tracking row is (stage, account row, note).
SHUTDOWN_COLUMNS: tuple[Column, ...] = (
    Column("环节", lambda s: s[0]),
    Column("单位", lambda s: s[1].department_name),
    Column("账号名称", lambda s: s[1].name),
    Column("平台", lambda s: s[1].platform_label),
    Column("台账状态", lambda s: s[1].ledger_status_label),
    Column("监测状态", lambda s: s[1].status_label),
    Column("最近更新", lambda s: _local(s[1].last_post_at), "datetime", 17),
    Column("连续未达标周数", lambda s: s[1].missed_weeks, "int"),
    Column("情况说明", lambda s: s[2], width=40),
    Column("责任人", lambda s: s[1].owner_name),
    Column("电话", lambda s: s[1].owner_phone, width=15),
)

NOTICE_COLUMNS: tuple[Column, ...] = (
    Column("序号", lambda p: p.seq, "int", 6),
    Column("单位", lambda p: p.department_name),
    Column("账号名称", lambda p: p.account_name),
    Column("平台", lambda p: p.platform_label),
    Column("问题类型", lambda p: p.problem),
    Column("问题描述", lambda p: p.description, width=48),
    Column("判定规则", lambda p: p.rule, width=40),
    Column("依据", lambda p: p.basis, width=24),
    Column("责任人", lambda p: p.owner_name),
    Column("联系电话", lambda p: p.owner_phone, width=15),
)


# ---------------------------------------------------------------------------------------------
# Table data shared by XLSX and CSV


def problem_rows(ctx: WeeklyContext) -> list[tuple[str, ListItem]]:
    return [(lst.title, item) for lst in ctx.lists for item in lst.items]


def shutdown_rows(ctx: WeeklyContext) -> list[tuple[str, AccountRow, str]]:
    """关停跟踪: flagged, closing, closed this week, relaunched — the whole closure pipeline."""
    rows: list[tuple[str, AccountRow, str]] = []
    by_id = {row.account_id: row for dept in ctx.departments for row in dept.accounts}
    for lst in ctx.lists:
        if lst.key == "flagged":
            rows += [("应申请关停", item.account, item.note) for item in lst.items]
    for row in by_id.values():
        if row.ledger_status is AccountStatus.CLOSING:
            rows.append(("关停中", row, row.detail))
    for change in ctx.closed:
        if change.account_id in by_id:
            rows.append(("本周关停", by_id[change.account_id], change.note))
    for lst in ctx.lists:
        if lst.key == "relaunched":
            rows += [("已关停复开", item.account, item.note) for item in lst.items]
    return rows


def account_rows(ctx: WeeklyContext) -> Iterable[AccountRow]:
    for dept in ctx.departments:
        yield from dept.accounts


# ---------------------------------------------------------------------------------------------
# Formats


def weekly_html(
    ctx: WeeklyContext, *, root: str = "../../", filings_href: str | None = None
) -> str:
    """The weekly report's page; `filings_href` (relative to the site root) links the closure
    filings' index when there is one."""
    return render("weekly.html.j2", ctx, root=root, filings_href=filings_href)


def weekly_markdown(ctx: WeeklyContext) -> str:
    return render("weekly.md.j2", ctx)


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else spreadsheet_text(value)


def csv_text(columns: Sequence[Column], rows: Iterable[Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([_csv_value(c.value(row)) for c in columns])
    return buffer.getvalue()


def write_weekly_csv(ctx: WeeklyContext, target: Path) -> Path:
    """The account detail, UTF-8 with a BOM so that Excel reads the Chinese correctly."""
    return write_text(target, csv_text(ACCOUNT_COLUMNS, account_rows(ctx)), bom=True)


def _display_width(value: Any) -> int:
    text = _csv_value(value)
    text = text if isinstance(text, str) else str(text)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


class SheetWriter:
    """One write-only sheet: a bold frozen header, sized columns, typed cells."""

    SAMPLE = 400  # rows looked at to size columns

    def __init__(self, workbook: Any, title: str, columns: Sequence[Column]) -> None:
        self.ws = workbook.create_sheet(title)
        self.columns = columns
        self.ws.freeze_panes = "A2"
        self.ws.page_setup.orientation = "landscape"
        self.ws.page_setup.paperSize = 9  # A4
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        self.ws.print_title_rows = "1:1"

    def write(self, rows: Iterable[Any]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        rows = list(rows)
        for index, column in enumerate(self.columns, start=1):
            width = column.width
            if width is None:
                sample = [_display_width(column.value(r)) for r in rows[: self.SAMPLE]]
                width = min(max([_display_width(column.header), *sample]) + 2, 50)
            self.ws.column_dimensions[get_column_letter(index)].width = width
        bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE3EA")
        center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header = []
        for column in self.columns:
            cell = WriteOnlyCell(self.ws, value=column.header)
            cell.font, cell.fill, cell.alignment = bold, fill, center
            header.append(cell)
        self.ws.append(header)
        # Dates and times are written as Excel dates: openpyxl gives a datetime value a date
        # format of its own, so data cells stay plain values (a styled cell costs ~10× more).
        # Text cells go through `_xlsx_value` (formula-like text stays text); numbers and dates
        # are appended as they are.
        ws = self.ws
        getters = [
            (lambda r, get=c.value: _xlsx_value(ws, get(r))) if c.kind == "text" else c.value
            for c in self.columns
        ]
        append = ws.append
        for row in rows:
            append([get(row) for get in getters])


def _summary_rows(ctx: WeeklyContext) -> list[tuple[str, Any, str]]:
    h = ctx.headline
    rows: list[tuple[str, Any, str]] = [
        ("周次", ctx.week, ""),
        ("统计周期", f"{ctx.period_start.isoformat()} 至 {ctx.period_end.isoformat()}", ""),
        ("监测时间点", _local(ctx.at), "datetime"),
        ("监测账号", h.monitored, "int"),
        ("有效核验", h.checked, "int"),
        ("合格", h.passed, "int"),
        ("不合格", h.failed, "int"),
        ("无法核验", h.unknown, "int"),
        ("免检", h.exempt, "int"),
        ("合格率", h.pass_rate, "percent"),
        ("上周合格率", h.previous_pass_rate, "percent"),
        ("应申请关停", h.flagged, "int"),
        ("已关停复开", h.relaunched, "int"),
    ]
    rows += [(f"状态：{c.label}", c.count, "int") for c in h.counts]
    rows += [(f"单位：{d.name}", d.pass_rate, "percent") for d in ctx.departments]
    rows += [
        ("合格率口径", ctx.pass_rate_definition, ""),
        ("生成时间", _local(ctx.generated_at), "datetime"),
    ]
    if ctx.revision is not None:
        rows.append(("修订说明", ctx.revision.text, ""))
    return rows


SUMMARY_COLUMNS: tuple[Column, ...] = (
    Column("项目", lambda r: r[0], width=36),
    Column("数值", lambda r: r[1], width=24),
)


def write_weekly_xlsx(ctx: WeeklyContext, target: Path) -> Path:
    """Sheets 汇总, 账号明细, 问题清单, 关停跟踪: frozen headers, sized columns, real dates.

    Written by xlsxwriter in constant_memory mode (rows go to disk as they are written): on
    20,000 accounts it took 3.6 s where openpyxl's write-only mode took 5.4 s
    (benchmarks/report.py). Text is always written as text, never as a formula; formula-like text
    also carries Excel's quote prefix, as if typed with an apostrophe."""
    import xlsxwriter

    with atomic_path(target) as tmp:
        workbook = xlsxwriter.Workbook(
            str(tmp),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        styles = _XlsxStyles(workbook)
        summary = workbook.add_worksheet("汇总")
        _sheet_layout(summary)
        summary.set_column(0, 0, 36)
        summary.set_column(1, 1, 24)
        summary.write_row(0, 0, [c.header for c in SUMMARY_COLUMNS], styles.header)
        for index, (label, value, kind) in enumerate(_summary_rows(ctx), start=1):
            styles.write(summary, index, 0, label)
            styles.write(summary, index, 1, value if value is not None else "—", kind)
        for title, columns, rows in (
            ("账号明细", ACCOUNT_COLUMNS, account_rows(ctx)),
            ("问题清单", PROBLEM_COLUMNS, problem_rows(ctx)),
            ("关停跟踪", SHUTDOWN_COLUMNS, shutdown_rows(ctx)),
        ):
            _xlsx_sheet(workbook.add_worksheet(title), styles, columns, list(rows))
        workbook.close()
    return target


class _XlsxStyles:
    """The formats of a weekly workbook, and one typed cell write."""

    def __init__(self, workbook: Any) -> None:
        self.header = workbook.add_format(
            {
                "bold": True,
                "bg_color": "#DDE3EA",
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
            }
        )
        self.quoted = workbook.add_format({"quote_prefix": True})
        self.kinds = {
            "datetime": workbook.add_format({"num_format": DATETIME_FORMAT}),
            "date": workbook.add_format({"num_format": DATE_FORMAT}),
            "percent": workbook.add_format({"num_format": "0.0%"}),
        }

    def write(self, ws: Any, row: int, col: int, value: Any, kind: str = "") -> None:
        if value is None:
            return
        if isinstance(value, str):
            if formula_like(value):
                ws.write_string(row, col, value, self.quoted)
            else:
                ws.write_string(row, col, value)
        elif isinstance(value, (dt.date, dt.datetime)):
            fmt = self.kinds["datetime" if isinstance(value, dt.datetime) else "date"]
            ws.write_datetime(row, col, value, fmt)
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value)
        else:
            ws.write_number(row, col, value, self.kinds.get(kind))


def _sheet_layout(ws: Any) -> None:
    """A bold frozen header row, landscape A4, one page wide, the header on every page."""
    ws.freeze_panes(1, 0)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _xlsx_sheet(ws: Any, styles: _XlsxStyles, columns: Sequence[Column], rows: list[Any]) -> None:
    _sheet_layout(ws)
    for index, column in enumerate(columns):
        width = column.width
        if width is None:
            sample = [_display_width(column.value(r)) for r in rows[: SheetWriter.SAMPLE]]
            width = min(max([_display_width(column.header), *sample]) + 2, 50)
        ws.set_column(index, index, width)
    ws.write_row(0, 0, [c.header for c in columns], styles.header)
    write = styles.write
    getters = list(enumerate(c.value for c in columns))
    for number, row in enumerate(rows, start=1):
        for index, get in getters:
            write(ws, number, index, get(row))


def write_notice_xlsx(ctx: NoticeContext, target: Path) -> Path:
    """The notice's attachment, 不合格政务新媒体名单: every named problem, one row each."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    rows: list[NoticeProblem] = [
        p.model_copy(update={"seq": i}) for i, p in enumerate([*ctx.veto, *ctx.others], start=1)
    ]
    SheetWriter(workbook, ctx.attachment_title[:31], NOTICE_COLUMNS).write(rows)
    with atomic_path(target) as tmp:
        workbook.save(tmp)
    return target


NOTICE_TEMPLATE = Path(__file__).resolve().parent / "templates" / "notice" / "notice.docx"


def write_notice_docx(ctx: NoticeContext, target: Path, template: Path = NOTICE_TEMPLATE) -> Path:
    """The notice as Word, through docxtpl with the shared (autoescaping) environment."""
    from docxtpl import DocxTemplate

    from reports.render import environment, fields

    document = DocxTemplate(str(template))
    # autoescape=False here only stops docxtpl from switching the shared environment's setting;
    # the environment escapes every string template (XML included) itself.
    document.render(fields(ctx), jinja_env=environment(), autoescape=False)
    with atomic_path(target) as tmp:
        document.save(str(tmp))
    return target


def notice_html(ctx: NoticeContext) -> str:
    return render("notice.html.j2", ctx)
