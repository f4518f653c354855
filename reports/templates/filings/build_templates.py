"""Build the Word templates of the closure filings (docxtpl), so that they are reproducible.

    .venv/bin/python reports/templates/filings/build_templates.py

writes application.docx, notice.docx, certificate.docx and report.docx beside this script. Each
holds jinja tags (`{{ account.name }}`, `{% for … %}`) that `govmedia filings` fills from one
`registry.filings.FilingContext`. An office may edit the .docx in Word (keep the tags intact, each
in one run: retype a tag rather than editing part of it) or copy this folder and name it in
config.yaml under `filings: {templates: FOLDER}`.

Layout: the GB/T 9704 page, fonts and title of reports/gongwen.py. Each document fits one A4 page
with room for the seal (盖章), the signature (签字) and the date: the body is 仿宋 四号 on 20 pt
lines (三号 would push the written report onto a second page), the forms 小四. Nothing on them
names the tool that made them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from reports.gongwen import (
    BODY_FONT,
    HEADING_FONT,
    TITLE_FONT,
    TITLE_SIZE,
    a4_page,
    docx_bytes,
    fixed_table,
    keep_row,
    plain_properties,
    set_font,
)

HERE = Path(__file__).resolve().parent
SIZE = 14  # 四号
LINE = Pt(20)
FORM_SIZE = 12  # 小四
FORM_LINE = Pt(18)
ROW = Mm(9)  # a form row of one line
SIGNATURE_ROW = Mm(26)  # an approval: the opinion, the seal, the signature and the date
SIGNATURE = "负责人签字：＿＿＿＿＿＿"
BLANK_DATE = "＿＿＿＿年＿＿月＿＿日"


def _format(paragraph, *, size: float = SIZE, line=LINE, align=None, indent: bool = False) -> None:  # noqa: ANN001
    fmt = paragraph.paragraph_format
    fmt.line_spacing = line
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(2 * size)
    if align is not None:
        paragraph.alignment = align


def new_document() -> Document:
    doc = Document()
    a4_page(doc)
    set_font(doc.styles["Normal"], BODY_FONT, SIZE)
    doc.styles["Normal"].paragraph_format.line_spacing = LINE
    plain_properties(doc)
    return doc


def title(doc: Document, text: str) -> None:
    paragraph = doc.add_paragraph()
    _format(paragraph, size=TITLE_SIZE, line=Pt(32), align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph.paragraph_format.space_after = Pt(8)
    set_font(paragraph.add_run(text), TITLE_FONT, TITLE_SIZE)


def lead(doc: Document, heading_text: str, text: str) -> None:
    """A paragraph led by its heading in 黑体 (一、基本情况。…), to keep the report on one page."""
    paragraph = doc.add_paragraph()
    _format(paragraph, indent=True)
    set_font(paragraph.add_run(heading_text), HEADING_FONT, SIZE)
    set_font(paragraph.add_run(text), BODY_FONT, SIZE)


def body(doc: Document, text: str, *, indent: bool = True, align=None) -> None:  # noqa: ANN001
    paragraph = doc.add_paragraph()
    _format(paragraph, indent=indent, align=align)
    set_font(paragraph.add_run(text), BODY_FONT, SIZE)


def right(doc: Document, text: str, *, chars: int = 2) -> None:
    """Flush right, `chars` characters in from the edge (成文日期右空四字 and the like)."""
    paragraph = doc.add_paragraph()
    _format(paragraph, align=WD_ALIGN_PARAGRAPH.RIGHT)
    paragraph.paragraph_format.right_indent = Pt(chars * SIZE)
    set_font(paragraph.add_run(text), BODY_FONT, SIZE)


def seal_room(doc: Document, lines: int = 2) -> None:
    """Blank lines above a signature, where the seal goes."""
    for _ in range(lines):
        body(doc, "", indent=False)


def _cell_text(cell, lines: list[str], *, font: str = BODY_FONT, align=None) -> None:  # noqa: ANN001
    """`lines` as the cell's paragraphs, in the form's font."""
    for index, text in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        _format(paragraph, size=FORM_SIZE, line=FORM_LINE, align=align)
        set_font(paragraph.add_run(text), font, FORM_SIZE)


# A form row: one (label, value) pair across the table, or two side by side.
FormRow = list[tuple[str, str]]
FORM_WIDTHS = [32, 46, 32, 46]  # mm: label, value, label, value (156 in all)


def form(doc: Document, rows: list[FormRow], approvals: Sequence[str] = ()) -> None:
    """A grid form of label and value cells (黑体 labels, 仿宋 values, 小四), then one row per
    approval in `approvals` (its label): room for the opinion and the seal, the signature and the
    date at its foot."""
    table = fixed_table(doc, FORM_WIDTHS, rows=len(rows) + len(approvals))
    for row, pairs in zip(table.rows, rows, strict=False):
        keep_row(row)
        row.height, row.height_rule = ROW, WD_ROW_HEIGHT_RULE.AT_LEAST
        cells = row.cells
        if len(pairs) == 1:
            cells = [cells[0], cells[1].merge(cells[3])]
        for index, (label, value) in enumerate(pairs):
            for cell, text, font in (
                (cells[2 * index], label, HEADING_FONT),
                (cells[2 * index + 1], value, BODY_FONT),
            ):
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                _cell_text(cell, [text], font=font)
    for row, label in zip(table.rows[len(rows) :], approvals, strict=True):
        keep_row(row)
        row.height, row.height_rule = SIGNATURE_ROW, WD_ROW_HEIGHT_RULE.AT_LEAST
        cells = row.cells
        cells[0].vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _cell_text(cells[0], [label], font=HEADING_FONT)
        value = cells[1].merge(cells[3])
        value.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        _cell_text(value, [f"{SIGNATURE}（盖章）", BLANK_DATE], align=WD_ALIGN_PARAGRAPH.RIGHT)


def application() -> Document:
    doc = new_document()
    title(doc, "政务新媒体账号关停申请表")
    right(doc, "编号：{{ number }}", chars=0)
    form(
        doc,
        [
            [("主办单位", "{{ department.name }}")],
            [("账号名称", "{{ account.name }}"), ("平台", "{{ account.platform }}")],
            [("账号标识", "{{ account.identifier }}")],
            [("开设日期", "{{ account.opened_on }}"), ("报备登记日期", "{{ account.filed_on }}")],
            [("账号负责人", "{{ account.owner }}"), ("纳入监管平台", "{{ account.supervised }}")],
            [("监测时间点", "{{ at }}"), ("最近一次更新", "{{ evidence.last_post_at }}")],
            [
                ("连续未更新", "{{ evidence.days_silent }}"),
                ("连续未达标周数", "{{ evidence.missed_weeks }}"),
            ],
            [("监测结论", "{{ evidence.status }}：{{ evidence.rule }}")],
            [("依据", "{{ evidence.basis }}")],
            [("申请关停理由", "{{ reason }}")],
        ],
        ["主办单位意见", "主管部门审核意见", "{{ supervisor }}审批意见"],
    )
    return doc


def notice() -> Document:
    doc = new_document()
    title(doc, "{{ notice_title }}")
    body(
        doc,
        "根据《国务院办公厅关于推进政务新媒体健康有序发展的意见》（{{ doc_closure }}）和"
        "{{ jurisdiction }}政务新媒体管理有关要求，经研究并报{{ supervisor }}同意，"
        "{{ department.name }}主办的{{ account.platform }}账号“{{ account.name }}”自"
        "{{ closure.notice_on }}起停止更新，并将按程序予以关停注销。",
    )
    body(
        doc,
        "账号停止更新后，{{ department.name }}的政务信息将通过{{ jurisdiction }}人民政府门户网站"
        "等渠道发布，办事咨询请拨打{{ department.contact }}。",
    )
    body(doc, "感谢广大网友长期以来的关注和支持！")
    body(doc, "", indent=False)
    right(doc, "{{ department.name }}")
    right(doc, "{{ closure.notice_on }}", chars=4)
    return doc


def certificate() -> Document:
    doc = new_document()
    title(doc, "政务新媒体账号关停证明")
    right(doc, "证明编号：{{ closure.certificate }}", chars=0)
    body(
        doc,
        "兹证明：{{ department.name }}主办的{{ account.platform }}账号“{{ account.name }}”"
        "（{{ account.identifier }}），开设于{{ account.opened_on }}，经{{ closure.approved_on }}"
        "批准关停，已于{{ closure.deregistered_on }}在平台完成注销，并于{{ closure.filed_on }}"
        "在全国政务新媒体信息报送系统完成关停备案。",
    )
    form(
        doc,
        [
            [("关停理由", "{{ reason }}")],
            [
                ("批准关停日期", "{{ closure.approved_on }}"),
                ("停更公告日期", "{{ closure.notice_on }}"),
            ],
            [
                ("平台注销日期", "{{ closure.deregistered_on }}"),
                ("报送系统备案", "{{ closure.filed_on }}"),
            ],
            [("备案回执", "{{ closure.receipt }}"), ("关停证明编号", "{{ closure.certificate }}")],
        ],
    )
    body(doc, "特此证明。")
    seal_room(doc)
    right(doc, "{{ department.name }}（盖章）")
    right(doc, SIGNATURE)
    right(doc, BLANK_DATE)
    return doc


def report() -> Document:
    doc = new_document()
    title(doc, "{{ report_title }}")
    body(doc, "{{ supervisor }}：", indent=False)
    body(
        doc,
        "根据《国务院办公厅关于推进政务新媒体健康有序发展的意见》（{{ doc_closure }}）关于"
        "“确属无力维护的要坚决关停”的要求，现将本单位{{ account.platform }}账号"
        "“{{ account.name }}”有关情况报告如下：",
    )
    lead(
        doc,
        "一、基本情况。",
        "“{{ account.name }}”为{{ department.name }}主办的{{ account.platform }}账号"
        "（{{ account.identifier }}），开设于{{ account.opened_on }}，报备登记于"
        "{{ account.filed_on }}，{{ account.supervised }}。"
        "账号负责人：{{ account.owner }}。",
    )
    lead(
        doc,
        "二、存在问题。",
        "截至监测时间点{{ at }}，该账号最近一次更新：{{ evidence.last_post_at }}，连续未更新"
        "{{ evidence.days_silent }}，连续{{ evidence.missed_weeks }}未达到每周更新要求，监测结论为"
        "{{ evidence.status }}（{{ evidence.rule }}，依据{{ evidence.basis }}）。",
    )
    lead(doc, "三、原因分析。", "{{ reason }}")
    lead(doc, "四、已采取的措施。", "{% for step in measures %}{{ step }}{% endfor %}")
    lead(
        doc,
        "五、联系人。",
        "单位联系人：{{ department.contact }}；账号负责人：{{ account.owner }}。",
    )
    body(doc, "特此报告。")
    seal_room(doc)
    right(doc, "{{ department.name }}（盖章）")
    right(doc, SIGNATURE)
    right(doc, "{{ generated_on }}", chars=4)
    return doc


BUILDERS = {
    "application": application,
    "notice": notice,
    "certificate": certificate,
    "report": report,
}


def main() -> None:
    for name, build in BUILDERS.items():
        target = HERE / f"{name}.docx"
        target.write_bytes(docx_bytes(build()))
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
