"""Closure filings: the documents a department files to close an account it cannot maintain
(申请关停下线), and the view that tracks each closure until it is done.

Which accounts. `govmedia filings` renders for every account flagged for shutdown (应申请关停) at
T and still active in the ledger, and for every account closing in the ledger; `--account ID`
renders one account whatever its state.

The four documents (`FilingDocument`), each as Word (.docx through docxtpl, from templates an
office can edit in Word) and as HTML (jinja2, autoescaped, `StrictUndefined`):

| document      | file stem     | 文书 |
| ------------- | ------------- | ---- |
| application   | application   | 政务新媒体账号关停申请表: unit, account, identifiers, dates, owner, evidence, reason, blank approvals |
| notice        | notice        | 停更公告, to publish on the account |
| certificate   | certificate   | 关停证明: deregistration date, filing in 全国政务新媒体信息报送系统, certificate number |
| report        | report        | 书面报告 to the supervising office: situation, cause, measures, contacts |

Output files: `OUT/<account id>/<account id>-<stem>.docx` and `.html`, plus `OUT/index.html`
listing them; OUT defaults to `<output_dir>/filings`. Every file is written atomically (a temporary
file beside it, then `os.replace`). Facts the ledger does not hold yet (a closure date, the
certificate number, the filing receipt) print as a blank line to fill in: `＿＿＿＿`.

Templates: `reports/templates/filings/<stem>.docx` (built by `build_templates.py` there) and
`<stem>.html.j2`; a folder named in config.yaml (`filings: {templates: FOLDER}`) overrides any of
them by file name. Every template renders one `FilingContext`.

The tracking view (`govmedia filings --status`, `tracking()`): flagged accounts not yet closing
(overdue once flagged for more than `policy.filing_overdue_days` days, counted from the status
change that raised the flag), closing accounts not yet closed (with the next step), and closed
accounts that still post (relaunched).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from registry.compliance import Verdict, floor2
from registry.config import Account, Config, Department
from registry.constants import (
    ACCOUNT_STATUS_LABELS,
    DOC_CLOSURE,
    FILING_DOCUMENT_LABELS,
    FILING_STAGE_LABELS,
    PLATFORM_LABELS,
    VERDICT_LABELS,
    AccountStatus,
    FilingDocument,
    FilingStage,
    Source,
)

BLANK = "＿＿＿＿"
BLANK_DATE = "＿＿＿＿年＿＿月＿＿日"
BUILTIN_TEMPLATES = Path(__file__).resolve().parent.parent / "reports" / "templates" / "filings"

# How each source's identifier is named on a form.
IDENTIFIER_LABELS: dict[Source, str] = {
    Source.WEIBO: "微博UID",
    Source.WECHAT: "公众号fakeid",
    Source.BILIBILI: "哔哩哔哩UID",
    Source.FEED: "订阅地址",
    Source.WEB: "栏目地址",
    Source.MANUAL: "人工核查",
}


# ---------------------------------------------------------------------------------------------
# The context every filing template renders


@dataclass(frozen=True)
class DepartmentView:
    id: str
    name: str
    contact: str  # 姓名（电话）


@dataclass(frozen=True)
class AccountView:
    id: str
    name: str
    platform: str  # Chinese label
    identifier: str  # 微博UID：2803301701
    opened_on: str
    filed_on: str
    owner: str  # 姓名（电话）
    supervised: str  # 国家监管平台：是；省级监管平台：是
    status: str  # ledger status label


@dataclass(frozen=True)
class EvidenceView:
    status: str  # verdict label, e.g. 单项否决
    last_post_at: str
    days_silent: str  # 20天
    missed_weeks: str  # 3周
    posts_7d: str
    rule: str
    basis: str
    flag_reason: str


@dataclass(frozen=True)
class ClosureView:
    reason: str
    approved_on: str
    notice_on: str
    deregistered_on: str
    filed_on: str
    certificate: str
    receipt: str  # the filing system's receipt: not in the ledger, left to fill in


@dataclass(frozen=True)
class FilingContext:
    """Everything one account's four documents show, as display text in Chinese."""

    jurisdiction: str
    supervisor: str
    generated_on: str
    at: str
    number: str
    stage: str
    department: DepartmentView
    account: AccountView
    evidence: EvidenceView
    closure: ClosureView
    reason: str
    measures: list[str]
    notice_title: str
    report_title: str
    doc_closure: str

    def variables(self) -> dict[str, Any]:
        """The context's fields as template variables (nested views kept as objects)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def cn_date(value: dt.date | None, blank: str = BLANK_DATE) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else blank


def cn_instant(value: dt.datetime | None, tz: Any) -> str:
    if value is None:
        return "未发现更新记录"
    local = value.astimezone(tz)
    return f"{cn_date(local.date())} {local:%H:%M}"


def _person(name: str | None, phone: str | None, email: str | None = None) -> str:
    if not name:
        return BLANK
    reach = phone or email
    return f"{name}（{reach}）" if reach else name


def filing_context(
    config: Config,
    department: Department,
    account: Account,
    verdict: Verdict,
    *,
    today: dt.date,
) -> FilingContext:
    """The context of one account's documents (pure: the ledger, its verdict at T, today)."""
    tz = config.tz
    closure = account.closure
    platform = PLATFORM_LABELS[account.platform]
    source = account.effective_source
    identifier = account.identifier
    identifier_text = (
        f"{IDENTIFIER_LABELS[source]}：{identifier}" if identifier else IDENTIFIER_LABELS[source]
    )
    contact = department.contact
    days = floor2(verdict.days_silent)
    evidence = EvidenceView(
        status=VERDICT_LABELS[verdict.status],
        last_post_at=cn_instant(verdict.last_post_at, tz),
        days_silent=f"{int(days)}天" if days is not None else BLANK,
        missed_weeks=f"{verdict.missed_weeks}周",
        posts_7d=f"{verdict.posts_7d}条",
        rule=verdict.rule,
        basis=verdict.basis,
        flag_reason=verdict.flag_reason or "",
    )
    reason = (closure.reason if closure and closure.reason else None) or _derived_reason(
        verdict, evidence
    )
    closure_view = ClosureView(
        reason=reason,
        approved_on=cn_date(closure.approved_on if closure else None),
        notice_on=cn_date(closure.notice_on if closure else None),
        deregistered_on=cn_date(closure.deregistered_on if closure else None),
        filed_on=cn_date(closure.filed_on if closure else None),
        certificate=(closure.certificate if closure and closure.certificate else BLANK),
        receipt=BLANK,
    )
    supervisor = config.filings.supervisor or f"{config.jurisdiction}人民政府办公室"
    return FilingContext(
        jurisdiction=config.jurisdiction,
        supervisor=supervisor,
        generated_on=cn_date(today),
        at=cn_instant(verdict.at, tz),
        number=f"{today:%Y%m%d}-{account.id}",
        stage=ACCOUNT_STATUS_LABELS[account.status],
        department=DepartmentView(
            id=department.id,
            name=department.name,
            contact=_person(contact.name, contact.phone, contact.email) if contact else BLANK,
        ),
        account=AccountView(
            id=account.id,
            name=account.name,
            platform=platform,
            identifier=identifier_text,
            opened_on=cn_date(account.opened_on),
            filed_on=cn_date(account.filed_on, "未报备登记"),
            owner=_person(account.owner.name, account.owner.phone, account.owner.email),
            supervised=(
                f"国家监管平台：{'是' if account.supervised.national else '否'}；"
                f"省级监管平台：{'是' if account.supervised.provincial else '否'}"
            ),
            status=ACCOUNT_STATUS_LABELS[account.status],
        ),
        evidence=evidence,
        closure=closure_view,
        reason=reason,
        measures=_measures(account),
        notice_title=f"关于“{account.name}”{platform}账号停止更新的公告",
        report_title=f"关于申请关停“{account.name}”{platform}账号的书面报告",
        doc_closure=DOC_CLOSURE,
    )


def _derived_reason(verdict: Verdict, evidence: EvidenceView) -> str:
    """Why to close, from the evidence, when the ledger records no reason yet."""
    facts = f"该账号最近一次更新时间：{evidence.last_post_at}"
    if verdict.days_silent is not None:
        facts += f"，已连续{evidence.days_silent}未更新"
    if verdict.missed_weeks:
        facts += f"，连续{evidence.missed_weeks}未达到每周更新要求"
    because = verdict.flag_reason or f"{verdict.rule}（{verdict.basis}）"
    return f"{facts}；{because}。经研究，本单位确属无力维护，申请予以关停下线。"


def _measures(account: Account) -> list[str]:
    """The closure steps, done (with their date) or to do, in the order they happen."""
    c = account.closure
    steps = [
        (c and c.approved_on, "经批准启动关停程序", "提出关停申请，报请审批"),
        (c and c.notice_on, "在账号发布停更公告", "在账号发布停更公告"),
        (c and c.deregistered_on, "在平台完成账号注销", "公告期满后在平台注销账号"),
        (
            c and c.filed_on,
            "在全国政务新媒体信息报送系统完成关停备案",
            "注销后在全国政务新媒体信息报送系统完成关停备案，取得关停证明",
        ),
    ]
    out = []
    for n, (done_on, done, todo) in enumerate(steps, start=1):
        if done_on:
            out.append(f"{n}. 已于{cn_date(done_on)}{done}。")
        else:
            out.append(f"{n}. 拟{todo}（待办）。")
    return out


# ---------------------------------------------------------------------------------------------
# Which accounts, and the tracking view


def needs_filing(account: Account, verdict: Verdict | None) -> bool:
    """Flagged for shutdown and still active, or closing."""
    if account.status is AccountStatus.CLOSING:
        return True
    return account.status is AccountStatus.ACTIVE and verdict is not None and verdict.flag_shutdown


@dataclass(frozen=True)
class TrackingRow:
    """One account in the closure tracking view."""

    stage: FilingStage
    account_id: str
    account_name: str
    department: str
    since: dt.date | None  # flagged since / approved on / deregistered on
    days: int | None  # days in this stage at T
    overdue: bool
    next_step: str  # in Chinese
    detail: str

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["stage"] = self.stage.value
        data["account"] = data.pop("account_id")
        data["name"] = data.pop("account_name")
        data["since"] = self.since.isoformat() if self.since else None
        return data


def tracking(
    config: Config,
    verdicts: Iterable[Verdict],
    flagged_since: dict[str, dt.datetime],
    at: dt.datetime,
) -> list[TrackingRow]:
    """The tracking view at T (pure): see the module docstring. Worst first: relaunched, overdue,
    flagged, closing; then by days waiting."""
    tz = config.tz
    today = at.astimezone(tz).date()
    by_id = {v.account_id: v for v in verdicts}
    overdue_after = config.policy.filing_overdue_days
    rows: list[TrackingRow] = []
    for department, account in config.iter_accounts():
        verdict = by_id.get(account.id)
        closure = account.closure
        if account.status is AccountStatus.ACTIVE and verdict and verdict.flag_shutdown:
            raised = flagged_since.get(account.id)
            since = raised.astimezone(tz).date() if raised else today
            days = (today - since).days
            overdue = days > overdue_after
            rows.append(
                TrackingRow(
                    FilingStage.OVERDUE if overdue else FilingStage.FLAGGED,
                    account.id,
                    account.name,
                    department.name,
                    since,
                    days,
                    overdue,
                    "提交关停申请表和书面报告，经批准后在台账中标记为关停中（status: closing）",
                    verdict.flag_reason or verdict.rule,
                )
            )
        elif account.status is AccountStatus.CLOSING and closure is not None:
            since = closure.approved_on
            if closure.notice_on is None:
                step = "在账号发布停更公告，在台账填写 closure.notice_on"
            elif closure.deregistered_on is None:
                step = "在平台注销账号，在台账填写 closure.deregistered_on"
            elif closure.filed_on is None:
                step = "在全国政务新媒体信息报送系统完成关停备案，填写 closure.filed_on"
            else:
                step = "填写关停证明编号 closure.certificate，并将台账状态改为 closed"
            rows.append(
                TrackingRow(
                    FilingStage.CLOSING,
                    account.id,
                    account.name,
                    department.name,
                    since,
                    (today - since).days if since else None,
                    False,
                    step,
                    closure.reason or "",
                )
            )
        elif account.status is AccountStatus.CLOSED and verdict and verdict.relaunched:
            since = closure.deregistered_on if closure else None
            rows.append(
                TrackingRow(
                    FilingStage.RELAUNCHED,
                    account.id,
                    account.name,
                    department.name,
                    since,
                    (today - since).days if since else None,
                    True,
                    "核实账号是否被违规复开，责令停止更新并再次注销",
                    verdict.detail or verdict.rule,
                )
            )
    order = {
        FilingStage.RELAUNCHED: 0,
        FilingStage.OVERDUE: 1,
        FilingStage.FLAGGED: 2,
        FilingStage.CLOSING: 3,
    }
    rows.sort(key=lambda r: (order[r.stage], -(r.days or 0), r.account_id))
    return rows


def stage_label(stage: FilingStage) -> str:
    return FILING_STAGE_LABELS[stage]


# ---------------------------------------------------------------------------------------------
# Rendering


@dataclass(frozen=True)
class Rendered:
    account_id: str
    document: FilingDocument
    docx: Path
    html: Path


class FilingTemplateError(Exception):
    """A filing template cannot be rendered: it names a fact the context lacks, or is broken."""

    def __init__(self, template: str, message: str) -> None:
        super().__init__(f"{template}: {message}")
        self.template = template
        self.message = message


class FilingRenderer:
    """The templates (an override folder first, then the built-ins), loaded once."""

    def __init__(self, override: Path | None = None) -> None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

        self.folders = [p for p in (override, BUILTIN_TEMPLATES) if p is not None]
        self.html_env = Environment(
            loader=FileSystemLoader([str(p) for p in self.folders]),
            autoescape=select_autoescape(["html", "html.j2"], default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # docxtpl escapes the XML itself (autoescape=True at render time).
        self.docx_env = Environment(undefined=StrictUndefined)

    def docx_template(self, document: FilingDocument) -> Path:
        for folder in self.folders:
            path = folder / f"{document.value}.docx"
            if path.is_file():
                return path
        raise FileNotFoundError(f"no template {document.value}.docx in {self.folders}")

    def render_docx(self, document: FilingDocument, context: FilingContext) -> bytes:
        from docxtpl import DocxTemplate
        from jinja2 import TemplateError

        path = self.docx_template(document)
        try:
            template = DocxTemplate(str(path))
            template.render(context.variables(), jinja_env=self.docx_env, autoescape=True)
        except TemplateError as exc:
            raise FilingTemplateError(str(path), exc.message or type(exc).__name__) from None
        buffer = io.BytesIO()
        template.save(buffer)
        return buffer.getvalue()

    def render_html(self, document: FilingDocument, context: FilingContext) -> str:
        from jinja2 import TemplateError

        name = f"{document.value}.html.j2"
        try:
            template = self.html_env.get_template(name)
            return template.render(
                **context.variables(),
                title=FILING_DOCUMENT_LABELS[document],
                document=document.value,
            )
        except TemplateError as exc:
            where = getattr(exc, "filename", None) or self._locate(name)
            line = getattr(exc, "lineno", None)
            raise FilingTemplateError(
                f"{where}:{line}" if line else str(where), exc.message or type(exc).__name__
            ) from None

    def _locate(self, name: str) -> str:
        for folder in self.folders:
            if (folder / name).is_file():
                return str(folder / name)
        return name

    def render_index(self, entries: Sequence[tuple[FilingContext, list[Rendered]]], **kw) -> str:
        template = self.html_env.get_template("index.html.j2")
        return template.render(entries=entries, labels=FILING_DOCUMENT_LABELS, **kw)


def file_stem(account_id: str, document: FilingDocument) -> str:
    """`wjw-weibo-application`: the account id, then the document."""
    return f"{account_id}-{document.value}"


def write_filings(
    renderer: FilingRenderer,
    contexts: Sequence[FilingContext],
    out_dir: Path,
    *,
    heading: str,
) -> list[Rendered]:
    """Render every document of every context into `out_dir`, atomically, plus index.html."""
    from reports.files import write_bytes, write_text

    written: list[Rendered] = []
    entries: list[tuple[FilingContext, list[Rendered]]] = []
    for context in contexts:
        folder = out_dir / context.account.id
        mine: list[Rendered] = []
        for document in FilingDocument:
            stem = file_stem(context.account.id, document)
            docx_path = write_bytes(
                folder / f"{stem}.docx", renderer.render_docx(document, context)
            )
            html_path = write_text(folder / f"{stem}.html", renderer.render_html(document, context))
            mine.append(Rendered(context.account.id, document, docx_path, html_path))
        entries.append((context, mine))
        written.extend(mine)
    write_text(out_dir / "index.html", renderer.render_index(entries, heading=heading, out=out_dir))
    return written


def templates_folder(config: Config, base_dir: Path | None = None) -> Path | None:
    """The override folder named in config.yaml (relative to `base_dir`, config.yaml's folder),
    or None. Raises FilingTemplateError when it is named but missing."""
    named = config.filings.templates
    if not named:
        return None
    folder = Path(named)
    if not folder.is_absolute():
        folder = (base_dir or Path.cwd()) / folder
    if not folder.is_dir():
        raise FilingTemplateError(
            f"filings.templates: {folder}",
            "no such folder; copy reports/templates/filings/ there or remove the setting",
        )
    return folder


def render_filings(
    engine: Any,
    config: Config,
    output_root: Path,
    account_ids: Sequence[str] | None = None,
    *,
    now: dt.datetime,
    out: Path | None = None,
    verdicts: Mapping[str, Verdict] | None = None,
    base_dir: Path | None = None,
) -> list[Path]:
    """Render the closure documents, as `govmedia filings` does, into `out` (default
    `<output_root>/filings`) for `account_ids` (default: every account flagged for shutdown and
    still active, or closing). The evidence is each account's verdict at `now` (computed from
    the store unless `verdicts` are given). Returns the paths written, index.html last.

    Raises FilingTemplateError for a missing override folder or a template that cannot render.
    """
    from registry.verdicts import evaluate

    override = templates_folder(config, base_dir)
    if verdicts is None:
        verdicts = {v.account_id: v for v in evaluate(engine, config, now)}
    wanted = set(account_ids) if account_ids is not None else None
    selected = [
        (department, account)
        for department, account in config.iter_accounts()
        if account.id in verdicts
        and (
            account.id in wanted
            if wanted is not None
            else needs_filing(account, verdicts.get(account.id))
        )
    ]
    if not selected:
        return []
    today = now.astimezone(config.tz).date()
    contexts = [
        filing_context(config, department, account, verdicts[account.id], today=today)
        for department, account in selected
    ]
    target = out or output_root / "filings"
    written = write_filings(
        FilingRenderer(override),
        contexts,
        target,
        heading=f"{config.jurisdiction}政务新媒体账号关停材料（{today.isoformat()}）",
    )
    paths = [path for item in written for path in (item.docx, item.html)]
    return [*paths, target / "index.html"]
