"""Build the Word templates of the closure filings (docxtpl), so that they are reproducible.

    .venv/bin/python reports/templates/filings/build_templates.py

writes application.docx, notice.docx, certificate.docx and report.docx beside this script. Each
holds jinja tags (`{{ account.name }}`, `{%p for … %}`) that `govmedia filings` fills from one
`registry.filings.FilingContext`. An office may edit the .docx in Word (keep the tags intact, each
in one run: retype a tag rather than editing part of it) or copy this folder and name it in
config.yaml under `filings: {templates: FOLDER}`.

Layout follows GB/T 9704 loosely: A4, 仿宋 body, 黑体 headings, 方正小标宋-like title (宋体 bold
where that font is missing).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent
BODY_FONT = "仿宋"
TITLE_FONT = "宋体"
HEADING_FONT = "黑体"
FIXED_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _font(run_or_style, name: str, size: float, bold: bool = False) -> None:
    font = run_or_style.font
    font.name = name
    font.size = Pt(size)
    font.bold = bold
    element = run_or_style.element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def new_document() -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _font(doc.styles["Normal"], BODY_FONT, 14)
    doc.styles["Normal"].paragraph_format.line_spacing = Pt(28)
    props = doc.core_properties
    props.author = "govmedia"
    props.created = props.modified = FIXED_TIME
    props.last_modified_by = "govmedia"
    props.revision = 1
    return doc


def title(doc: Document, text: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(text), TITLE_FONT, 22, bold=True)


def heading(doc: Document, text: str) -> None:
    paragraph = doc.add_paragraph()
    _font(paragraph.add_run(text), HEADING_FONT, 16)


def body(doc: Document, text: str, *, indent: bool = True, align=None) -> None:
    paragraph = doc.add_paragraph(text)
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(28)
    if align is not None:
        paragraph.alignment = align


def right(doc: Document, text: str) -> None:
    body(doc, text, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)


def tag(doc: Document, text: str) -> None:
    """A docxtpl paragraph tag (`{%p … %}`): the paragraph disappears when rendered."""
    doc.add_paragraph(text)


def form(doc: Document, rows: list[tuple[str, str]]) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Cm(4.2), Cm(11.4)
        cells[0].text = label
        cells[1].text = value
        for paragraph in cells[0].paragraphs:
            for run in paragraph.runs:
                _font(run, HEADING_FONT, 12)
        for paragraph in cells[1].paragraphs:
            for run in paragraph.runs:
                _font(run, BODY_FONT, 12)


FOOT = "监测时间点：{{ at }}；本文书由 govmedia 依据台账与监测记录生成于 {{ generated_on }}，可在 Word 中修改。"


def application() -> Document:
    doc = new_document()
    title(doc, "政务新媒体账号关停申请表")
    right(doc, "编号：{{ number }}")
    form(
        doc,
        [
            ("主办单位", "{{ department.name }}"),
            ("账号名称", "{{ account.name }}"),
            ("平台", "{{ account.platform }}"),
            ("账号标识", "{{ account.identifier }}"),
            ("开设日期", "{{ account.opened_on }}"),
            ("报备登记日期", "{{ account.filed_on }}"),
            ("账号负责人", "{{ account.owner }}"),
            ("纳入监管平台", "{{ account.supervised }}"),
            ("最近一次更新", "{{ evidence.last_post_at }}"),
            ("连续未更新", "{{ evidence.days_silent }}"),
            ("连续未达标周数", "{{ evidence.missed_weeks }}"),
            ("监测结论", "{{ evidence.status }}：{{ evidence.rule }}"),
            ("依据", "{{ evidence.basis }}"),
            ("申请关停理由", "{{ reason }}"),
            (
                "主办单位意见",
                "（盖章）    负责人签字：＿＿＿＿＿＿    日期：＿＿＿＿年＿＿月＿＿日",
            ),
            (
                "主管部门审核意见",
                "（盖章）    负责人签字：＿＿＿＿＿＿    日期：＿＿＿＿年＿＿月＿＿日",
            ),
            (
                "{{ supervisor }}审批意见",
                "（盖章）    负责人签字：＿＿＿＿＿＿    日期：＿＿＿＿年＿＿月＿＿日",
            ),
        ],
    )
    body(doc, FOOT, indent=False)
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
    doc.add_paragraph()
    right(doc, "{{ department.name }}")
    right(doc, "{{ closure.notice_on }}")
    return doc


def certificate() -> Document:
    doc = new_document()
    title(doc, "政务新媒体账号关停证明")
    right(doc, "证明编号：{{ closure.certificate }}")
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
            ("关停理由", "{{ reason }}"),
            ("批准关停日期", "{{ closure.approved_on }}"),
            ("停更公告发布日期", "{{ closure.notice_on }}"),
            ("平台注销日期", "{{ closure.deregistered_on }}"),
            ("报送系统备案日期", "{{ closure.filed_on }}"),
            ("报送系统备案回执", "{{ closure.receipt }}"),
            ("关停证明编号", "{{ closure.certificate }}"),
        ],
    )
    body(doc, "特此证明。")
    doc.add_paragraph()
    right(doc, "{{ department.name }}（盖章）")
    right(doc, "＿＿＿＿年＿＿月＿＿日")
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
    heading(doc, "一、基本情况")
    body(
        doc,
        "“{{ account.name }}”为{{ department.name }}主办的{{ account.platform }}账号"
        "（{{ account.identifier }}），开设于{{ account.opened_on }}，报备登记于"
        "{{ account.filed_on }}，纳入监管平台情况：{{ account.supervised }}。"
        "账号负责人：{{ account.owner }}。",
    )
    heading(doc, "二、存在问题")
    body(
        doc,
        "截至监测时间点{{ at }}，该账号最近一次更新时间：{{ evidence.last_post_at }}；"
        "连续未更新：{{ evidence.days_silent }}；连续未达到每周更新要求：{{ evidence.missed_weeks }}；"
        "监测结论：{{ evidence.status }}（{{ evidence.rule }}，依据{{ evidence.basis }}）。",
    )
    heading(doc, "三、原因分析")
    body(doc, "{{ reason }}")
    heading(doc, "四、已采取的措施")
    tag(doc, "{%p for step in measures %}")
    body(doc, "{{ step }}")
    tag(doc, "{%p endfor %}")
    heading(doc, "五、联系人")
    body(doc, "单位联系人：{{ department.contact }}；账号负责人：{{ account.owner }}。")
    body(doc, "特此报告。")
    doc.add_paragraph()
    right(doc, "{{ department.name }}")
    right(doc, "{{ generated_on }}")
    return doc


BUILDERS = {
    "application": application,
    "notice": notice,
    "certificate": certificate,
    "report": report,
}


def docx_bytes(doc: Document) -> bytes:
    """The document as .docx bytes with fixed zip timestamps: the same script, the same bytes."""
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        for item in source.infolist():
            fixed = zipfile.ZipInfo(item.filename, date_time=(2026, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            zipped.writestr(fixed, source.read(item.filename))
    return out.getvalue()


def main() -> None:
    for name, build in BUILDERS.items():
        target = HERE / f"{name}.docx"
        target.write_bytes(docx_bytes(build()))
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
