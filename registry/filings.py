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
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from registry.compliance import Verdict, whole_days
from registry.constants import (
    ACCOUNT_STATUS_LABELS,
    DOC_CLOSURE,
    FILING_STAGE_LABELS,
    PLATFORM_LABELS,
    VERDICT_LABELS,
    AccountStatus,
    FilingStage,
    Platform,
)
from registry.models import Account, Config, Department

BLANK = "＿＿＿＿"
BLANK_DATE = "＿＿＿＿年＿＿月＿＿日"

# How a reader finds an account on its platform, by the ledger's key that is public there (the
# UID in a Weibo or Bilibili profile's address, a site column's address). WeChat's fakeid and a
# feed bridge's address are ours, not the public's: without a public key a form names the
# account by its name (a 公众号's name, a 微博昵称), labelled for its platform.
PUBLIC_IDENTIFIERS: dict[Platform, tuple[str, str]] = {
    Platform.WEIBO: ("uid", "微博UID"),
    Platform.BILIBILI: ("mid", "哔哩哔哩UID"),
    Platform.WEBSITE: ("url", "栏目地址"),
}
NAME_LABELS: dict[Platform, str] = {
    Platform.WECHAT: "公众号名称",
    Platform.WEIBO: "微博昵称",
    Platform.BILIBILI: "哔哩哔哩昵称",
    Platform.WEBSITE: "网站栏目",
}


def public_identifier(account: Account) -> str:
    """The account as a form identifies it: `微博UID：2803301701`, `公众号名称：博爱发布`;
    never an internal id (fakeid, a feed's address, the ledger's account id)."""
    key, label = PUBLIC_IDENTIFIERS.get(account.platform, ("", ""))
    value = getattr(account, key) if key else None
    if value:
        return f"{label}：{value}"
    return f"{NAME_LABELS.get(account.platform, '账号名称')}：{account.name}"


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
    supervised: str  # 已纳入国家、省级监管平台
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
    number: str  # 20261128-002: the date, then the account's place in the ledger
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
    contact = department.contact
    days = whole_days(verdict.days_silent)
    evidence = EvidenceView(
        status=VERDICT_LABELS[verdict.status],
        last_post_at=cn_instant(verdict.last_post_at, tz),
        days_silent=f"{days}天" if days is not None else BLANK,
        missed_weeks=f"{verdict.missed_weeks}周",
        posts_7d=f"{verdict.posts_7d}条",
        rule=verdict.rule,
        basis=verdict.basis,
        flag_reason=verdict.flag_reason or "",
    )
    reason = (closure.reason if closure and closure.reason else None) or _derived_reason(verdict)
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
        number=f"{today:%Y%m%d}-{ledger_position(config, account):03d}",
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
            identifier=public_identifier(account),
            opened_on=cn_date(account.opened_on),
            filed_on=cn_date(account.filed_on, "未报备登记"),
            owner=_person(account.owner.name, account.owner.phone, account.owner.email),
            supervised=_supervised(account.supervised.national, account.supervised.provincial),
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


def _supervised(national: bool, provincial: bool) -> str:
    """已纳入国家、省级监管平台, or which of the two it is not in."""
    if national and provincial:
        return "已纳入国家、省级监管平台"
    if not (national or provincial):
        return "未纳入国家、省级监管平台"
    yes, no = ("国家", "省级") if national else ("省级", "国家")
    return f"已纳入{yes}监管平台，未纳入{no}监管平台"


def ledger_position(config: Config, account: Account) -> int:
    """The account's place in the ledger, from 1: the application's number shows it (with the
    date) rather than the ledger's internal id."""
    for position, (_, item) in enumerate(config.iter_accounts(), start=1):
        if item.id == account.id:
            return position
    return 0


def _derived_reason(verdict: Verdict) -> str:
    """Why to close when the ledger records no reason yet: the flag's reason, if any, and the
    conclusion. The evidence itself (last post, rule, document) stands beside it on every form."""
    conclusion = "经研究，本单位确属无力维护，申请予以关停下线。"
    return (
        f"{verdict.flag_reason.rstrip('。')}。{conclusion}" if verdict.flag_reason else conclusion
    )


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
    reachable: Mapping[str, str] | None = None,
) -> list[TrackingRow]:
    """The tracking view at T (pure): see the module docstring. Worst first: relaunched, overdue,
    flagged, closing; then by days waiting. `reachable`: closed accounts the latest verification
    found still on their platform (关停未注销), with what it found."""
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
        elif account.status is AccountStatus.CLOSED and account.id in (reachable or {}):
            since = closure.deregistered_on if closure else None
            rows.append(
                TrackingRow(
                    FilingStage.CLOSED_REACHABLE,
                    account.id,
                    account.name,
                    department.name,
                    since,
                    (today - since).days if since else None,
                    True,
                    "账号在平台上仍可访问：在平台完成注销，注销后再次核验（govmedia validate --online）",
                    (reachable or {})[account.id],
                )
            )
    order = {
        FilingStage.RELAUNCHED: 0,
        FilingStage.CLOSED_REACHABLE: 0,
        FilingStage.OVERDUE: 1,
        FilingStage.FLAGGED: 2,
        FilingStage.CLOSING: 3,
    }
    rows.sort(key=lambda r: (order[r.stage], -(r.days or 0), r.account_id))
    return rows


def stage_label(stage: FilingStage) -> str:
    return FILING_STAGE_LABELS[stage]
