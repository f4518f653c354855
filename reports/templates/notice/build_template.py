"""Build notice.docx, the Word template of the notice (通报), from code.

    .venv/bin/python reports/templates/notice/build_template.py [OUT.docx]

The template is a docxtpl document: jinja tags inside ordinary Word paragraphs and table rows
(`{%tr for %}` repeats a row, `{%p if %}` keeps or drops a paragraph). Building it here keeps it
reviewable and reproducible; an office may still open the result in Word, restyle it and save it
over this file, as long as the tags stay whole. The layout follows GB/T 9704 (党政机关公文格式):
A4, title in 小标宋 二号, body in 仿宋 三号, headings 黑体 / 楷体.

The tags name fields of reports.contexts.NoticeContext and filters of reports.render.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent
TARGET = HERE / "notice.docx"

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
TABLE_FONT = "宋体"


def _font(run_or_style, name: str, size: float, bold: bool = False) -> None:
    font = run_or_style.font
    font.name = name
    font.size = Pt(size)
    font.bold = bold
    element = run_or_style.element if hasattr(run_or_style, "element") else run_or_style._element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _para(
    doc,
    text: str,
    *,
    font: str = BODY_FONT,
    size: float = 16,
    bold: bool = False,
    align=None,
    indent: bool = False,
    space_after: float = 0,
):  # noqa: ANN001, ANN202
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    _font(run, font, size, bold)
    fmt = paragraph.paragraph_format
    fmt.line_spacing = Pt(28)
    fmt.space_after = Pt(space_after)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _table(doc, headers: list[str], cells: list[str], loop: str, widths: list[float]):  # noqa: ANN001, ANN202
    """A header row, then docxtpl's three rows: `{%tr for %}`, the repeated row, `{%tr endfor %}`."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    rows = table.rows
    rows[1].cells[0].text = "{%tr for " + loop + " %}"
    rows[3].cells[0].text = "{%tr endfor %}"
    for i, (header, cell, width) in enumerate(zip(headers, cells, widths, strict=True)):
        rows[0].cells[i].text = header
        rows[2].cells[i].text = cell
        for row in rows:
            row.cells[i].width = Cm(width)
    for r_index, row in enumerate(rows):
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.line_spacing = 1.0
                for run in paragraph.runs:
                    _font(run, TABLE_FONT, 10.5, bold=r_index == 0)
    return table


def build(target: Path = TARGET) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _font(doc.styles["Normal"], BODY_FONT, 16)
    center, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT

    _para(doc, "{{ title }}", font=TITLE_FONT, size=22, align=center, space_after=16)
    _para(doc, "{{ recipients }}：")
    _para(doc, "{{ basis_text }}", indent=True)

    _para(doc, "一、检查范围和方法", font=HEADING_FONT, indent=True)
    _para(doc, "{{ scope_text }}", indent=True)

    _para(doc, "二、总体情况", font=HEADING_FONT, indent=True)
    _para(
        doc,
        "本次共检查政务新媒体账号{{ accounts_checked }}个（涉及{{ units }}家单位），合格"
        "{{ accounts_passed }}个，不合格{{ accounts_failed }}个，合格率{{ pass_rate|pct }}。"
        "{% if accounts_unknown %}另有{{ accounts_unknown }}个账号因采集失败无法核验，"
        "请相关单位核实账号状态。{% endif %}",
        indent=True,
    )
    rate_headers = ["检查账号", "合格", "不合格", "合格率"]
    rate_cells = ["{{ r.checked }}", "{{ r.passed }}", "{{ r.failed }}", "{{ r.pass_rate|pct }}"]
    _para(doc, "（一）分平台情况", font=SUBHEADING_FONT, indent=True)
    _table(
        doc,
        ["平台", *rate_headers],
        ["{{ r.name }}", *rate_cells],
        "r in by_platform",
        [4.5, 2.5, 2.5, 2.5, 3],
    )
    _para(doc, "（二）分单位情况", font=SUBHEADING_FONT, indent=True)
    _table(
        doc,
        ["单位", *rate_headers],
        ["{{ r.name }}", *rate_cells],
        "r in by_department",
        [6, 2.2, 2.2, 2.2, 2.6],
    )

    _para(doc, "三、主要问题", font=HEADING_FONT, indent=True)
    _para(
        doc,
        "{% for c in problem_counts if c.count %}{{ c.label }}{{ c.count }}个（占检查账号的"
        "{{ c.share|pct }}）{% if not loop.last %}；{% endif %}{% else %}本期未发现问题"
        "{% endfor %}。",
        indent=True,
    )
    problem_headers = ["序号", "单位", "账号", "平台", "问题类型", "问题描述", "依据", "责任人"]
    problem_cells = [
        "{{ p.seq }}",
        "{{ p.department_name }}",
        "{{ p.account_name }}",
        "{{ p.platform_label }}",
        "{{ p.problem }}",
        "{{ p.description }}",
        "{{ p.basis }}",
        "{{ p.owner_name or '' }} {{ p.owner_phone or '' }}",
    ]
    widths = [1.0, 2.3, 2.2, 1.6, 1.8, 3.6, 1.8, 1.9]
    _para(doc, "（一）单项否决和僵尸账号（{{ veto|length }}个）", font=SUBHEADING_FONT, indent=True)
    _para(doc, "{%p if not veto %}", indent=True)
    _para(doc, "无。", indent=True)
    _para(doc, "{%p endif %}", indent=True)
    _table(doc, problem_headers, problem_cells, "p in veto", widths)
    _para(doc, "（二）其他问题（{{ others|length }}项）", font=SUBHEADING_FONT, indent=True)
    _para(doc, "{%p if not others %}", indent=True)
    _para(doc, "无。", indent=True)
    _para(doc, "{%p endif %}", indent=True)
    _table(doc, problem_headers, problem_cells, "p in others", widths)

    _para(doc, "四、上期问题整改复查", font=HEADING_FONT, indent=True)
    _para(
        doc,
        "{% if not previous_issued %}此前未发布通报，本期不作整改复查。"
        "{% elif recheck %}{{ previous_period_label }}通报的{{ recheck|length }}个不合格账号中，"
        "{{ recheck|selectattr('rectified')|list|length }}个已整改或关停，"
        "{{ recheck|rejectattr('rectified')|list|length }}个未整改或无法核验。"
        "{% else %}{{ previous_period_label }}通报无不合格账号。{% endif %}",
        indent=True,
    )
    _table(
        doc,
        ["单位", "账号", "平台", "上期问题", "本期状态", "复查结果"],
        [
            "{{ r.department_name }}",
            "{{ r.account_name }}",
            "{{ r.platform_label }}",
            "{{ r.previous_problem }}",
            "{{ r.current_status }}",
            "{{ r.result }}",
        ],
        "r in recheck",
        [3.2, 2.8, 2, 3.6, 2, 2],
    )
    _para(doc, "{{ cases_text }}", indent=True)

    _para(doc, "五、工作要求", font=HEADING_FONT, indent=True)
    _para(doc, "{%p for req in requirements %}", indent=True)
    _para(
        doc,
        "（{{ ['一','二','三','四','五','六','七','八'][loop.index0] }}）{{ req }}",
        indent=True,
    )
    _para(doc, "{%p endfor %}", indent=True)

    _para(doc, "", space_after=0)
    _para(doc, "附件：{{ attachment_title }}", indent=True)
    _para(doc, "", space_after=0)
    _para(doc, "{{ issuer }}", align=right)
    _para(doc, "{{ issued_on|cn_date }}", align=right)
    _para(doc, "{%p if contact %}", indent=True)
    _para(doc, "（联系人：{{ contact }}）", indent=True)
    _para(doc, "{%p endif %}", indent=True)

    core = doc.core_properties
    core.author = "govmedia"
    core.title = "政务新媒体检查情况通报（模板）"
    target.parent.mkdir(parents=True, exist_ok=True)
    doc.save(target)
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET))
