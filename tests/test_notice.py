"""The notice (通报): its periods, its context from a fixed store, and DOCX/HTML/XLSX read back."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from lxml import html as lxml_html
from openpyxl import load_workbook
from sqlalchemy import select

from registry.config import ConfigError, validate_text
from registry.constants import Outcome
from registry.models import NoticeSettings
from registry.store import reports as reports_table
from reports.notice import build_notice
from reports.periods import Period
from reports.publish import render_notice
from reports.writers import write_notice_docx
from tests.fixtures.reports import BLOCKED_DETAIL, NOW, SCRIPT_NAME, T

ISSUED = dt.date(2026, 12, 3)
LATER = NOW + dt.timedelta(days=3)
NOVEMBER = Period.month("2026-11")


@pytest.fixture
def ctx(report_store):
    return build_notice(
        report_store.engine, report_store.config, NOVEMBER, now=LATER, issued_on=ISSUED
    )


@pytest.fixture
def rendered(report_store):
    return render_notice(
        report_store.engine,
        report_store.config,
        report_store.out_dir,
        NOVEMBER,
        now=LATER,
        issued_on=ISSUED,
    )


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


# --- periods ------------------------------------------------------------------------------------


def test_month_weeks_are_those_whose_sunday_is_inside():
    assert [str(w) for w in NOVEMBER.weeks()] == [
        "2026-W44",
        "2026-W45",
        "2026-W46",
        "2026-W47",
        "2026-W48",
    ]
    assert [str(w) for w in Period.month("2026-12").weeks()][0] == "2026-W49"


def test_quarters_and_labels():
    q4 = Period.quarter("2026-Q4")
    assert (q4.first_day, q4.last_day) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert q4.label() == "2026年第四季度" and str(q4.previous()) == "2026-Q3"
    assert str(Period.month("2026-01").previous()) == "2025-12"
    assert len(q4.weeks()) == 13


@pytest.mark.parametrize("text", ["2026-13", "2026/11", "Nov"])
def test_bad_month_names_the_form(text):
    with pytest.raises(ValueError, match="write it as 2026-11"):
        Period.month(text)


# --- the context --------------------------------------------------------------------------------


def test_totals(ctx):
    assert (ctx.accounts_checked, ctx.accounts_passed, ctx.accounts_failed) == (9, 6, 3)
    assert ctx.pass_rate == pytest.approx(6 / 9)


def test_title_basis_and_deadline(ctx):
    assert ctx.title == "关于2026年11月博爱县政务新媒体检查情况的通报"
    for doc in ("国办秘函〔2019〕19号", "国办发〔2018〕123号", "豫政办明电〔2019〕28号"):
        assert doc in ctx.basis_text
    assert ctx.deadline == ISSUED + dt.timedelta(days=10)  # reports.notice_deadline_days
    assert "2026年12月13日" in ctx.requirements[0]


def test_pass_rate_by_platform_and_department(ctx):
    platforms = {r.name: (r.checked, r.failed) for r in ctx.by_platform}
    assert platforms["微信公众号"] == (5, 2)
    assert ctx.by_department[0].name == "博爱县公安局"  # worst first
    assert ctx.by_department[0].pass_rate == 0.0


def test_veto_list_names_accounts_with_weeks(ctx):
    assert [(p.account_id, p.problem) for p in ctx.veto] == [
        ("gaj-weibo", "单项否决"),
        ("gaj-wechat", "单项否决"),
        ("jyj-wechat", "僵尸账号"),
    ]
    assert "第48周" in ctx.veto[0].description
    assert [p.seq for p in ctx.veto] == [1, 2, 3]


def test_other_problems(ctx):
    kinds = {(p.account_id, p.problem) for p in ctx.others}
    assert ("gaj-wechat", "应申请关停未申请") in kinds
    assert ("xzf-weibo", "未按要求每周更新") in kinds
    assert ("scjgj-weibo", "已关停账号违规复开") in kinds
    assert ("yjglj-wechat", "未纳入监管平台") in kinds


def test_problem_counts_and_shares(ctx):
    counts = {c.key: (c.count, c.share) for c in ctx.problem_counts}
    assert counts["veto"] == (2, pytest.approx(2 / 9))
    assert counts["zombie"] == (1, pytest.approx(1 / 9))


def test_recheck_of_last_periods_failures(report_store):
    """October's notice, issued, named jyj-wechat (zombie); still silent in November."""
    store = report_store
    october = Period.month("2026-10")
    render_notice(store.engine, store.config, store.out_dir, october, now=LATER, issued_on=ISSUED)
    ctx = build_notice(store.engine, store.config, NOVEMBER, now=LATER, issued_on=ISSUED)
    assert ctx.previous_issued and ctx.previous_period == "2026-10"
    assert [(r.account_id, r.result, r.rectified) for r in ctx.recheck] == [
        ("jyj-wechat", "未整改", False)
    ]


def test_unknown_is_never_named_as_a_failure(ctx):
    named = {p.account_id for p in [*ctx.veto, *ctx.others]}
    assert "jyj-web" not in named


# --- files --------------------------------------------------------------------------------------


def test_docx_reads_back_with_the_facts(rendered):
    text = docx_text(rendered.files["docx"])
    assert "关于2026年11月博爱县政务新媒体检查情况的通报" in text
    assert "合格率66.7%" in text
    assert "国办秘函〔2019〕19号" in text
    assert "第44周至第48周" in text
    assert SCRIPT_NAME in text  # escaped into the XML, read back as the same text
    assert "2026年12月3日" in text and "附件：不合格政务新媒体名单" in text
    assert "{{" not in text and "{%" not in text


def test_docx_tables_repeat_rows(rendered):
    document = docx.Document(str(rendered.files["docx"]))
    veto_table = next(t for t in document.tables if t.rows[0].cells[0].text == "序号")
    assert len(veto_table.rows) == 1 + 3


def test_html_official_form(rendered):
    doc = lxml_html.parse(str(rendered.files["html"])).getroot()
    text = doc.text_content()
    for heading in (
        "一、检查范围和方法",
        "二、总体情况",
        "三、主要问题",
        "四、上期问题整改复查",
        "五、工作要求",
    ):
        assert heading in text
    assert doc.findall(".//script") == []
    assert SCRIPT_NAME in text


def test_xlsx_attachment(rendered):
    wb = load_workbook(rendered.files["xlsx"])
    assert wb.sheetnames == ["不合格政务新媒体名单"]
    ws = wb.active
    assert ws.freeze_panes == "A2"
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0][4] == "单项否决"


def test_recorded_as_notice(report_store, rendered):
    with report_store.engine.connect() as conn:
        rows = conn.execute(select(reports_table.c.kind, reports_table.c.period)).all()
    assert [tuple(r) for r in rows] == [("notice", "2026-11")]


def test_no_spider_words_reach_the_notice(report_store):
    """jyj-web ends the month unknown (login expired): no format repeats the spider's text."""
    auth = "auth_expired: base_resp.ret 200003 (invalid session)"
    report_store.observe("jyj-web", T - dt.timedelta(hours=1), Outcome.AUTH_EXPIRED, detail=auth)
    result = render_notice(
        report_store.engine,
        report_store.config,
        report_store.out_dir,
        NOVEMBER,
        now=LATER,
        issued_on=ISSUED,
    )
    wb = load_workbook(result.files["xlsx"])
    texts = {
        "docx": docx_text(result.files["docx"]),
        "html": lxml_html.parse(str(result.files["html"])).getroot().text_content(),
        "xlsx": "\n".join(
            str(v) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r if v
        ),
    }
    for kind, text in texts.items():
        for word in (auth, BLOCKED_DETAIL, "base_resp", "HTTP 4", "auth_expired", "blocked"):
            assert word not in text, (kind, word)


def test_template_builds_reproducibly(tmp_path, ctx):
    """The kept script rebuilds the template, and the rebuilt one renders the same text."""
    script = Path("reports/templates/notice/build_template.py").resolve()
    rebuilt = tmp_path / "notice.docx"
    subprocess.run([sys.executable, str(script), str(rebuilt)], check=True, capture_output=True)
    ours = write_notice_docx(ctx, tmp_path / "a.docx", template=rebuilt)
    kept = write_notice_docx(ctx, tmp_path / "b.docx")
    assert docx_text(ours) == docx_text(kept)


# --- the official form (GB/T 9704) ----------------------------------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MM = 36000  # EMU


def _east_asian(run) -> str:  # noqa: ANN001
    return run._r.rPr.find(f"{W}rFonts").get(f"{W}eastAsia")


def _mm(twips: str) -> float:
    return int(twips) / 20 * 25.4 / 72


@pytest.fixture
def official_files(report_store):
    """The notice's files, rendered with the 版头 set in config.yaml's `notice:`."""
    config = report_store.config.model_copy(
        update={
            "notice": NoticeSettings(
                issuing_authority="博爱县人民政府办公室文件",
                number_format="博政办〔{year}〕{seq}号",
            )
        }
    )
    result = render_notice(
        report_store.engine, config, report_store.out_dir, NOVEMBER, now=LATER, issued_on=ISSUED
    )
    return result.files


@pytest.fixture
def official(official_files):
    return official_files["docx"]


def test_html_head_has_the_configured_mark_and_number(official_files):
    doc = lxml_html.parse(str(official_files["html"])).getroot()
    official = doc.xpath("//div[@class='official']")[0]
    head = [e.text_content() for e in official[:4]]
    assert head == [
        "博爱县人民政府办公室文件",
        "博政办〔2026〕11号",
        "",
        "关于2026年11月博爱县政务新媒体检查情况的通报",
    ]


def test_docx_head_has_the_configured_mark_and_number(official):
    paragraphs = docx.Document(str(official)).paragraphs
    mark, number = paragraphs[0], paragraphs[1]
    assert mark.text == "博爱县人民政府办公室文件"
    assert mark.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert {str(r.font.color.rgb) for r in mark.runs} == {"FF0000"}
    assert {_east_asian(r) for r in mark.runs} == {"方正小标宋简体"}
    assert number.text == "博政办〔2026〕11号"  # {seq}: November
    rule = number._p.pPr.find(f"{W}pBdr/{W}bottom")
    assert rule is not None and rule.get(f"{W}color") == "FF0000"
    assert paragraphs[2].text == "关于2026年11月博爱县政务新媒体检查情况的通报"
    assert {r.font.size.pt for r in paragraphs[2].runs} == {22}
    with zipfile.ZipFile(official) as parts:
        fonts = parts.read("word/fontTable.xml").decode("utf-8")
    # Word substitutes the fallback where 方正小标宋简体 / 仿宋_GB2312 is not installed.
    assert re.search(r'w:name="方正小标宋简体"><w:altName w:val="宋体"/>', fonts)
    assert re.search(r'w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>', fonts)


def test_docx_number_defaults_from_the_jurisdiction_and_period(rendered):
    paragraphs = docx.Document(str(rendered.files["docx"])).paragraphs
    assert paragraphs[0].text == "博爱县人民政府办公室"  # reports.issuer's default
    assert paragraphs[1].text == "博政办〔2026〕11号"


def test_docx_page_numbers_are_page_fields_in_the_footer(official):
    document = docx.Document(str(official))
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        paragraph = footer.paragraphs[0]
        xml = paragraph._p.xml
        assert re.search(r"<w:instrText[^>]*>\s*PAGE\s*</w:instrText>", xml)
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        assert paragraph.alignment == align
        assert {r.font.size.pt for r in paragraph.runs} == {14}  # 四号
        assert {_east_asian(r) for r in paragraph.runs} == {"宋体"}


def test_docx_page_is_the_official_page(official):
    section = docx.Document(str(official)).sections[0]
    assert round(section.page_width / MM) == 210 and round(section.page_height / MM) == 297
    assert round(section.top_margin / MM) == 37 and round(section.left_margin / MM) == 28
    body_width = (section.page_width - section.left_margin - section.right_margin) / MM
    body_height = (section.page_height - section.top_margin - section.bottom_margin) / MM
    assert (round(body_width), round(body_height)) == (156, 225)


def test_docx_body_is_fangsong_sanhao(official):
    document = docx.Document(str(official))
    normal = document.styles["Normal"]
    assert normal.font.size.pt == 16 and normal.font.name.startswith("仿宋")
    opening = next(p for p in document.paragraphs if "现将有关情况通报如下" in p.text)
    requirement = next(p for p in document.paragraphs if p.text.startswith("（一）立即整改"))
    for paragraph in (opening, requirement):
        assert {r.font.size.pt for r in paragraph.runs} == {16}
        assert all(_east_asian(r).startswith("仿宋") for r in paragraph.runs)


def test_docx_problem_tables_have_fixed_widths_and_repeat_their_header(official):
    document = docx.Document(str(official))
    tables = [t for t in document.tables if t.rows[0].cells[0].text == "序号"]
    assert len(tables) == 2
    for table in tables:
        headers = [c.text for c in table.rows[0].cells]
        grid = [_mm(c.get(f"{W}w")) for c in table._tbl.tblGrid.findall(f"{W}gridCol")]
        widths = dict(zip(headers, grid, strict=True))
        assert widths["序号"] < 15
        assert max(widths, key=widths.get) == "问题描述"
        assert sum(grid) <= 156.5  # the body's width
        assert table._tbl.tblPr.find(f"{W}tblLayout").get(f"{W}type") == "fixed"
        for row in table.rows[1:]:  # every cell as wide as its column
            cells = [_mm(c.tcPr.find(f"{W}tcW").get(f"{W}w")) for c in row._tr.tc_lst]
            assert cells == pytest.approx(grid)
        assert table.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None


def test_docx_names_no_internal_id_and_no_tool(report_store, official):
    """The body, the footers and the document's properties: no ledger id where a person reads
    an account's name, no fakeid, no line saying which tool made it."""
    with zipfile.ZipFile(official) as parts:
        text = "\n".join(
            parts.read(name).decode("utf-8") for name in parts.namelist() if name.endswith(".xml")
        )
    ids = [a.id for _, a in report_store.config.iter_accounts()]
    assert "gaj-weibo" in ids
    for word in [*ids, "fakeid", "govmedia", "由 govmedia"]:
        assert word not in text, word
    assert "博爱公安" in text  # the account's name stands where it is named


def test_number_format_names_its_line_and_placeholders():
    text = "jurisdiction: 博爱县\nnotice:\n  number_format: 博政办〔{year}〕{n}号\n"
    with pytest.raises(ConfigError) as caught:
        validate_text(text.encode("utf-8"), source_name="config.yaml", today=ISSUED)
    assert caught.value.lines == [
        "config.yaml:3: notice.number_format: unknown placeholder {n}; "
        "use {year}, {seq}, {short}, {jurisdiction}"
    ]
