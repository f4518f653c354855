"""Build notice.docx, the Word template of the notice (通报), from code.

    .venv/bin/python reports/templates/notice/build_template.py [OUT.docx]

The template is a docxtpl document: jinja tags inside ordinary Word paragraphs and table rows
(`{%tr for %}` repeats a row, `{%p if %}` keeps or drops a paragraph). Building it here keeps it
reviewable and reproducible; an office may still open the result in Word, restyle it and save it
over this file, as long as the tags stay whole. The layout follows GB/T 9704-2012 (党政机关公文格式,
reports/gongwen.py): A4 with the 156 × 225 mm body; the 版头 (发文机关标志 in red 小标宋, the
发文字号 under it, the red separator); title 小标宋 二号, body 仿宋 三号 at 22 lines a page,
headings 黑体 / 楷体; "— 1 —" page numbers; tables of fixed column widths whose header row repeats.

The tags name fields of reports.contexts.NoticeContext and filters of reports.render.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from reports.gongwen import (
    BODY_FONT,
    BODY_SIZE,
    HEADING_FONT,
    LINE,
    RED,
    SUBHEADING_FONT,
    TITLE_FONT,
    TITLE_SIZE,
    a4_page,
    docx_bytes,
    fixed_table,
    page_number_footer,
    plain_properties,
    red_rule,
    repeat_header,
    set_font,
)

HERE = Path(__file__).resolve().parent
TARGET = HERE / "notice.docx"

TABLE_FONT = "宋体"
TABLE_SIZE = 10.5  # 五号
MARK_SIZE = 36  # 小初: ten characters of 发文机关标志 fit the 156 mm line
ONE_LINE = 28.9  # pt: a blank line of the body (空一行)


def _para(
    doc,
    text: str,
    *,
    font: str = BODY_FONT,
    size: float = BODY_SIZE,
    bold: bool = False,
    align=None,
    indent: bool = False,
    space_before: float = 0,
    space_after: float = 0,
    line=LINE,
    color=None,
):  # noqa: ANN001, ANN202
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    set_font(run, font, size, bold=bold, color=color)
    fmt = paragraph.paragraph_format
    fmt.line_spacing = line
    fmt.space_before = Pt(space_before)
    fmt.space_after = Pt(space_after)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _table(doc, headers: list[str], cells: list[str], loop: str, widths: list[float]):  # noqa: ANN001, ANN202
    """A header row (repeated on every page), then docxtpl's three rows: `{%tr for %}`, the
    repeated row, `{%tr endfor %}`. `widths` in mm, fixed."""
    table = fixed_table(doc, widths, rows=4)
    rows = table.rows
    repeat_header(rows[0])
    rows[1].cells[0].text = "{%tr for " + loop + " %}"
    rows[3].cells[0].text = "{%tr endfor %}"
    for i, (header, cell) in enumerate(zip(headers, cells, strict=True)):
        rows[0].cells[i].text = header
        rows[2].cells[i].text = cell
    for r_index, row in enumerate(rows):
        for cell in row.cells:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.line_spacing = 1.0
                if r_index == 0:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                for run in paragraph.runs:
                    set_font(run, TABLE_FONT, TABLE_SIZE, bold=r_index == 0)
    return table


def build(target: Path = TARGET) -> Path:
    doc = Document()
    doc.sections[0].orientation = WD_ORIENT.PORTRAIT
    a4_page(doc)
    page_number_footer(doc)
    set_font(doc.styles["Normal"], BODY_FONT, BODY_SIZE)
    doc.styles["Normal"].paragraph_format.line_spacing = LINE
    center, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT

    # 版头: the 发文机关标志 35 mm below the top of the body, in red; two lines under it the
    # 发文字号; 4 mm under that the red separator; two lines under it the title.
    _para(
        doc,
        "{{ authority_mark }}",
        font=TITLE_FONT,
        size=MARK_SIZE,
        align=center,
        space_before=Mm(35).pt,
        line=1.0,
        color=RED,
    )
    number = _para(doc, "{{ number }}", align=center, space_before=2 * ONE_LINE)
    red_rule(number, space_pt=Mm(4).pt)
    _para(
        doc,
        "{{ title }}",
        font=TITLE_FONT,
        size=TITLE_SIZE,
        align=center,
        space_before=2 * ONE_LINE,
        space_after=ONE_LINE,
        line=Pt(35),
    )
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
        [45, 25, 25, 25, 30],
    )
    _para(doc, "（二）分单位情况", font=SUBHEADING_FONT, indent=True)
    _table(
        doc,
        ["单位", *rate_headers],
        ["{{ r.name }}", *rate_cells],
        "r in by_department",
        [60, 22, 22, 22, 26],
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
    # mm, 156 in all: 序号 narrow, 问题描述 the widest; 责任人 holds an 11-digit phone.
    widths = [9, 20, 22, 14, 17, 35, 15, 24]
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
        [30, 26, 20, 40, 20, 20],
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
    # 成文日期右空四字, the issuer above it.
    _para(doc, "{{ issuer }}", align=right).paragraph_format.right_indent = Pt(2 * BODY_SIZE)
    _para(doc, "{{ issued_on|cn_date }}", align=right).paragraph_format.right_indent = Pt(
        4 * BODY_SIZE
    )
    _para(doc, "{%p if contact %}", indent=True)
    _para(doc, "（联系人：{{ contact }}）", indent=True)
    _para(doc, "{%p endif %}", indent=True)

    plain_properties(doc, "政务新媒体检查情况通报")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(docx_bytes(doc))
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET))
