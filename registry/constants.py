"""The closed vocabularies of govmedia, named once.

Every platform, source, status and outcome that appears in config.yaml, the store, the CLI's
JSON or a report is one of these values. Chinese labels for reports live beside them so that a
report never spells a status its own way.
"""

from __future__ import annotations

from enum import StrEnum
from zoneinfo import ZoneInfo

LOCAL_TZ_NAME = "Asia/Shanghai"
LOCAL_TZ = ZoneInfo(LOCAL_TZ_NAME)


class Platform(StrEnum):
    """Where an account lives."""

    WECHAT = "wechat"
    WEIBO = "weibo"
    DOUYIN = "douyin"
    KUAISHOU = "kuaishou"
    TOUTIAO = "toutiao"
    BILIBILI = "bilibili"
    XIAOHONGSHU = "xiaohongshu"
    WEBSITE = "website"
    OTHER = "other"


PLATFORM_LABELS: dict[Platform, str] = {
    Platform.WECHAT: "微信公众号",
    Platform.WEIBO: "微博",
    Platform.DOUYIN: "抖音",
    Platform.KUAISHOU: "快手",
    Platform.TOUTIAO: "今日头条",
    Platform.BILIBILI: "哔哩哔哩",
    Platform.XIAOHONGSHU: "小红书",
    Platform.WEBSITE: "政府网站栏目",
    Platform.OTHER: "其他",
}

# What clerks write for a platform, for "did you mean" hints (never accepted silently).
PLATFORM_ALIASES: dict[str, Platform] = {
    "weixin": Platform.WECHAT,
    "wx": Platform.WECHAT,
    "微信": Platform.WECHAT,
    "微信公众号": Platform.WECHAT,
    "公众号": Platform.WECHAT,
    "微博": Platform.WEIBO,
    "sina": Platform.WEIBO,
    "抖音": Platform.DOUYIN,
    "tiktok": Platform.DOUYIN,
    "快手": Platform.KUAISHOU,
    "头条": Platform.TOUTIAO,
    "今日头条": Platform.TOUTIAO,
    "b站": Platform.BILIBILI,
    "哔哩哔哩": Platform.BILIBILI,
    "小红书": Platform.XIAOHONGSHU,
    "网站": Platform.WEBSITE,
    "web": Platform.WEBSITE,
    "site": Platform.WEBSITE,
}

# What clerks write for yes and no where the ledger takes true or false, for "write true" hints
# (never accepted silently: 有 or 对 might mean something else to the next reader).
BOOLEAN_WORDS: dict[str, bool] = {
    "是": True,
    "否": False,
    "对": True,
    "错": False,
    "有": True,
    "无": False,
    "没有": False,
    "真": True,
    "假": False,
    "已纳入": True,
    "未纳入": False,
    "启用": True,
    "停用": False,
    "禁用": False,
    "开启": True,
    "关闭": False,
    "√": True,
    "×": False,
}


class Source(StrEnum):
    """How an account is observed (which spider, or a person)."""

    WEIBO = "weibo"
    WECHAT = "wechat"
    BILIBILI = "bilibili"
    FEED = "feed"
    WEB = "web"
    MANUAL = "manual"


SOURCE_LABELS: dict[Source, str] = {
    Source.WEIBO: "微博",
    Source.WECHAT: "微信公众平台",
    Source.BILIBILI: "哔哩哔哩",
    Source.FEED: "订阅源（RSS/Atom）",
    Source.WEB: "政府网站栏目",
    Source.MANUAL: "人工报送",
}

# The source an account uses when config.yaml does not say. Douyin, Kuaishou, Toutiao and
# Xiaohongshu need browser-computed signatures, so they are read through a feed bridge or by hand.
DEFAULT_SOURCE: dict[Platform, Source] = {
    Platform.WECHAT: Source.WECHAT,
    Platform.WEIBO: Source.WEIBO,
    Platform.BILIBILI: Source.BILIBILI,
    Platform.WEBSITE: Source.WEB,
    Platform.DOUYIN: Source.MANUAL,
    Platform.KUAISHOU: Source.MANUAL,
    Platform.TOUTIAO: Source.MANUAL,
    Platform.XIAOHONGSHU: Source.MANUAL,
    Platform.OTHER: Source.MANUAL,
}

# The config key that holds each source's identifier for an account.
SOURCE_IDENTIFIER_FIELD: dict[Source, str | None] = {
    Source.WEIBO: "uid",
    Source.WECHAT: "fakeid",  # or, without a fakeid, the account's exact name is searched
    Source.BILIBILI: "mid",
    Source.FEED: "url",
    Source.WEB: "url",
    Source.MANUAL: None,
}


class DepartmentLevel(StrEnum):
    """County government itself, one of its departments, or a township (乡镇/街道)."""

    COUNTY = "county"
    DEPARTMENT = "department"
    TOWNSHIP = "township"


DEPARTMENT_LEVEL_LABELS: dict[DepartmentLevel, str] = {
    DepartmentLevel.COUNTY: "县政府",
    DepartmentLevel.DEPARTMENT: "县直部门",
    DepartmentLevel.TOWNSHIP: "乡镇（街道）",
}


class AccountStatus(StrEnum):
    """The ledger's lifecycle state of an account."""

    ACTIVE = "active"
    CLOSING = "closing"
    CLOSED = "closed"


ACCOUNT_STATUS_LABELS: dict[AccountStatus, str] = {
    AccountStatus.ACTIVE: "运营中",
    AccountStatus.CLOSING: "关停中",
    AccountStatus.CLOSED: "已关停",
}


class Outcome(StrEnum):
    """What one attempt to observe an account found. Only OK says anything about activity."""

    OK = "ok"
    NOT_FOUND = "not_found"
    BLOCKED = "blocked"
    AUTH_EXPIRED = "auth_expired"
    MALFORMED = "malformed"
    NETWORK_ERROR = "network_error"


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.OK: "正常",
    Outcome.NOT_FOUND: "账号或页面不存在",
    Outcome.BLOCKED: "被平台拦截",
    Outcome.AUTH_EXPIRED: "登录失效",
    Outcome.MALFORMED: "返回内容无法解析",
    Outcome.NETWORK_ERROR: "网络错误",
}

# What a failed observation means for the office and what it should do, in the reports' words.
# Reports show this beside OUTCOME_LABELS instead of the spider's English detail, which stays in
# the store, the logs and the evidence (and in the CLI's output).
OUTCOME_ADVICE: dict[Outcome, str] = {
    Outcome.NOT_FOUND: (
        "平台上找不到该账号或页面，本次无法判断；请核实账号是否已更名、迁移或注销，"
        "如已注销请在台账中登记关停，如账号标识有误请更正台账"
    ),
    Outcome.BLOCKED: "平台拒绝访问（反爬限制），本次无法判断，下一轮监测时将自动重试",
    Outcome.AUTH_EXPIRED: (
        "登录凭证已过期，本次无法判断；请系统管理员重新登录该平台（如微信公众平台）、"
        "更新凭证后再次检查"
    ),
    Outcome.MALFORMED: (
        "平台返回的内容无法识别（可能页面已改版），本次无法判断；请系统管理员检查采集设置，"
        "必要时人工核验并登记"
    ),
    Outcome.NETWORK_ERROR: "网络连接失败，本次无法判断，下一轮监测时将自动重试；如持续出现请检查网络",
}


class VerdictStatus(StrEnum):
    """An account's compliance status at a monitoring time point."""

    OK = "ok"
    WARNING = "warning"
    VETO = "veto"
    ZOMBIE = "zombie"
    UNKNOWN = "unknown"
    EXEMPT = "exempt"


VERDICT_LABELS: dict[VerdictStatus, str] = {
    VerdictStatus.OK: "合格",
    VerdictStatus.WARNING: "预警",
    VerdictStatus.VETO: "单项否决",
    VerdictStatus.ZOMBIE: "僵尸账号",
    VerdictStatus.UNKNOWN: "无法核验",
    VerdictStatus.EXEMPT: "免检",
}

# Worst first: the order of tables and of "the week's worst status". UNKNOWN sits below the
# failing statuses on purpose: not knowing never ranks as worse than a proven failure.
VERDICT_SEVERITY: tuple[VerdictStatus, ...] = (
    VerdictStatus.ZOMBIE,
    VerdictStatus.VETO,
    VerdictStatus.WARNING,
    VerdictStatus.UNKNOWN,
    VerdictStatus.OK,
    VerdictStatus.EXEMPT,
)


class EventKind(StrEnum):
    """What `govmedia sync` saw change in the ledger."""

    REGISTERED = "registered"
    CHANGED = "changed"
    STATUS_CHANGED = "status_changed"
    REMOVED = "removed"


class LedgerChange(StrEnum):
    """What an edit of config.yaml does to one account (`govmedia diff`)."""

    REGISTERED = "registered"
    CHANGED = "changed"
    CLOSING = "closing"
    CLOSED = "closed"
    REOPENED = "reopened"
    REMOVED = "removed"


# The documents the rules rest on, cited by verdicts, reports and filings.
DOC_VETO = "国办秘函〔2019〕19号"  # 政府网站与政务新媒体检查指标
DOC_ONE_ACCOUNT = "国办发〔2018〕123号"  # 关于推进政务新媒体健康有序发展的意见
DOC_HENAN_EXCEPTION = "豫政办明电〔2019〕28号"
DOC_LOCAL_CADENCE = "本县政务新媒体管理规定（最少一周更新一次）"
# 国办发〔2018〕123号 also says 确属无力维护的要坚决关停 and names 僵尸、睡眠 accounts: the basis of
# the zombie rule, the shutdown flag and the closure lifecycle.
DOC_CLOSURE = "国办发〔2018〕123号"
DOC_LOCAL_RULES = "本县政务新媒体管理规定"  # grace for new accounts, monitoring practice


class Rule(StrEnum):
    """Which rule decided a verdict (registry/compliance.py); its text and document go beside it."""

    CLOSED = "closed"  # exempt: closed (关停注销)
    RELAUNCHED = "relaunched"  # exempt but alerted: closed, yet posting again (违规复开)
    CLOSING_NOTICE = "closing_notice"  # exempt: closing, stop-update notice published
    GRACE = "grace"  # exempt: newly opened, no posts yet
    UNKNOWN = "unknown"  # no recent ok observation: cannot be judged
    UNCOVERED = "uncovered"  # a silence no ok observation saw completely: cannot be judged
    CADENCE_OK = "cadence_ok"
    CADENCE_WARNING = "cadence_warning"  # local rule, 最少一周更新一次
    VETO = "veto"  # 国办秘函〔2019〕19号: no post in the 2 weeks before T
    ZOMBIE = "zombie"  # 僵尸账号


class FilingDocument(StrEnum):
    """The closure documents `govmedia filings` renders for an account (file name stems)."""

    APPLICATION = "application"  # 政务新媒体账号关停申请表
    NOTICE = "notice"  # 停更公告
    CERTIFICATE = "certificate"  # 关停证明
    REPORT = "report"  # 书面报告


FILING_DOCUMENT_LABELS: dict[FilingDocument, str] = {
    FilingDocument.APPLICATION: "政务新媒体账号关停申请表",
    FilingDocument.NOTICE: "停更公告",
    FilingDocument.CERTIFICATE: "关停证明",
    FilingDocument.REPORT: "书面报告",
}


class FilingStage(StrEnum):
    """Where an account stands in the closure process, for `govmedia filings --status`."""

    FLAGGED = "flagged"  # flagged for shutdown, not yet closing
    OVERDUE = "overdue"  # flagged longer than policy.filing_overdue_days, not yet closing
    CLOSING = "closing"  # approved, not yet closed
    RELAUNCHED = "relaunched"  # closed, yet posting again
    CLOSED_REACHABLE = "closed_reachable"  # closed, yet still on its platform (verification)


FILING_STAGE_LABELS: dict[FilingStage, str] = {
    FilingStage.FLAGGED: "应申请关停",
    FilingStage.OVERDUE: "逾期未申请关停",
    FilingStage.CLOSING: "关停中",
    FilingStage.RELAUNCHED: "已关停账号违规复开",
    FilingStage.CLOSED_REACHABLE: "关停未注销",
}


# ---------------------------------------------------------------------------------------------
# The monitoring cycle: notifications and what is due


class ChannelKind(StrEnum):
    """How a notification leaves govmedia."""

    EMAIL = "email"
    WECOM = "wecom"  # 企业微信群机器人
    DINGTALK = "dingtalk"  # 钉钉自定义机器人 (signed)
    WEBHOOK = "webhook"  # any JSON endpoint


class Audience(StrEnum):
    """What a channel carries: alerts to owners and contacts, or summaries to supervisors."""

    ALERTS = "alerts"
    SUMMARY = "summary"


class AlertKind(StrEnum):
    """Why a notification was queued. One alert per account per status change."""

    WARNING = "warning"
    VETO = "veto"
    ZOMBIE = "zombie"
    UNKNOWN = "unknown"
    FLAGGED = "flagged"
    RELAUNCHED = "relaunched"
    WEEKLY_SUMMARY = "weekly_summary"
    NOTICE_READY = "notice_ready"
    SOURCE_FAILED = "source_failed"
    LOGIN_EXPIRING = "login_expiring"  # to the operators, before a stored login expires
    LOGIN_EXPIRED = "login_expired"  # … and once it has
    CASE_OPENED = "case_opened"  # a new case, to its owner with the deadline
    CASE_OVERDUE = "case_overdue"  # a case past its deadline, to the unit and the supervisors


ALERT_LABELS: dict[AlertKind, str] = {
    AlertKind.WARNING: "更新预警",
    AlertKind.VETO: "单项否决",
    AlertKind.ZOMBIE: "僵尸账号",
    AlertKind.UNKNOWN: "无法核验",
    AlertKind.FLAGGED: "应申请关停",
    AlertKind.RELAUNCHED: "已关停账号重新更新",
    AlertKind.WEEKLY_SUMMARY: "周报",
    AlertKind.NOTICE_READY: "通报",
    AlertKind.SOURCE_FAILED: "数据源故障",
    AlertKind.LOGIN_EXPIRING: "登录即将过期",
    AlertKind.LOGIN_EXPIRED: "登录已过期",
    AlertKind.CASE_OPENED: "整改通知",
    AlertKind.CASE_OVERDUE: "逾期未整改",
}


class ReportKind(StrEnum):
    """What the `reports` table records, so the cycle knows from the store what is due."""

    WEEKLY = "weekly"
    NOTICE = "notice"
    ANNUAL = "annual"


class JobKind(StrEnum):
    """The jobs of the schedule loop and of `govmedia cron`."""

    CYCLE = "cycle"  # crawl, check, reports when due, notify
    WEEKLY = "weekly"  # check, weekly report when due, notify (no crawl)
    NOTICE = "notice"  # check, notice when due, notify (no crawl)


# Environment variables that hold secrets. Their values are removed from every log line; any
# other GOVMEDIA_* variable whose name says PASSWORD, SECRET, TOKEN, COOKIE, KEY or WEBHOOK is
# treated the same way, as is every variable a `notify:` channel names.
SECRET_ENV_VARS: tuple[str, ...] = (
    "GOVMEDIA_SMTP_PASSWORD",
    "GOVMEDIA_WECOM_WEBHOOK",
    "GOVMEDIA_DINGTALK_WEBHOOK",
    "GOVMEDIA_DINGTALK_SECRET",
    "GOVMEDIA_WEBHOOK_URL",
    "GOVMEDIA_WEBHOOK_TOKEN",
    "GOVMEDIA_WECHAT_TOKEN",
    "GOVMEDIA_WECHAT_COOKIE",
    "GOVMEDIA_WEIBO_COOKIE",
    "GOVMEDIA_BILIBILI_COOKIE",
    "PGPASSWORD",
)
SECRET_ENV_NAME_WORDS: tuple[str, ...] = ("PASSWORD", "SECRET", "TOKEN", "COOKIE", "KEY", "WEBHOOK")


# ---------------------------------------------------------------------------------------------
# Discovery (排查): accounts found on the platforms that the ledger does not hold


class CandidateState(StrEnum):
    """Where a found account stands; each change is its own `candidate_events` row."""

    NEW = "new"  # found, nobody has decided yet
    REGISTERED = "registered"  # entered into the ledger (`register --from-candidate`)
    DISMISSED = "dismissed"  # not ours (a person said why): never listed again


CANDIDATE_STATE_LABELS: dict[CandidateState, str] = {
    CandidateState.NEW: "待核实",
    CandidateState.REGISTERED: "已登记",
    CandidateState.DISMISSED: "已排除",
}


class CandidateKind(StrEnum):
    """Why a found account is a candidate."""

    UNREGISTERED = "unregistered"  # governmental, ours, not in the ledger (疑似未报备)
    RELAUNCH = "relaunch"  # matches an account the ledger holds as closed (疑似关停后复开)


CANDIDATE_KIND_LABELS: dict[CandidateKind, str] = {
    CandidateKind.UNREGISTERED: "疑似未报备",
    CandidateKind.RELAUNCH: "疑似关停后复开",
}


class SweepKind(StrEnum):
    """A `sweeps` row: a spider's search of one keyword, or a person's sweep of a platform."""

    SEARCH = "search"
    MANUAL = "manual"


# The sources a sweep searches (each has a search endpoint and a search spider); Douyin, Toutiao
# and the others are swept by a person and recorded (`discover --manual`).
SEARCH_SOURCES: tuple[Source, ...] = (Source.WEIBO, Source.WECHAT, Source.BILIBILI)
SEARCH_PLATFORMS: dict[Source, Platform] = {
    Source.WEIBO: Platform.WEIBO,
    Source.WECHAT: Platform.WECHAT,
    Source.BILIBILI: Platform.BILIBILI,
}

# Weibo's `verified_type`: 1 government (政府), 7 organisation (机构: 事业单位, 团体…) are blue-V
# accounts of an entity; 0 is a person's yellow V, -1 no verification, 2-5 companies and media.
WEIBO_ENTITY_VERIFIED_TYPES: frozenset[int] = frozenset({1, 7})
# Bilibili's `official_verify.type`: 1 organisation (机构认证), 0 a person, -1/127 none.
BILIBILI_ENTITY_OFFICIAL_TYPES: frozenset[int] = frozenset({1})


class VerifyStatus(StrEnum):
    """What checking a ledger account on its platform found (`register --verify`)."""

    OK = "ok"  # the identifier exists, with the ledger's name
    NAME_MISMATCH = "name_mismatch"  # it exists under another name
    NOT_FOUND = "not_found"  # the platform does not know the identifier
    CLOSED_REACHABLE = "closed_reachable"  # closed in the ledger, still on the platform
    CLOSED_GONE = "closed_gone"  # closed in the ledger, gone from the platform (as it should be)
    UNKNOWN = "unknown"  # the platform did not answer (blocked, login expired…)


VERIFY_STATUS_LABELS: dict[VerifyStatus, str] = {
    VerifyStatus.OK: "核验一致",
    VerifyStatus.NAME_MISMATCH: "名称不一致",
    VerifyStatus.NOT_FOUND: "平台上不存在",
    VerifyStatus.CLOSED_REACHABLE: "关停未注销",
    VerifyStatus.CLOSED_GONE: "已注销",
    VerifyStatus.UNKNOWN: "无法核验",
}


# Cases (整改跟踪): one per problem found, from opening to 复核销号 (registry/cases.py)


class CaseKind(StrEnum):
    """What problem a case tracks. Each kind has its deadline in working days (config `cases:`)."""

    VETO = "veto"  # 单项否决
    FLAGGED = "flagged"  # zombie, or flagged for shutdown (应申请关停)
    RELAUNCHED = "relaunched"  # closed, yet posting again (违规复开)
    UNVERIFIABLE = "unverifiable"  # unknown for longer than cases.unverifiable_after_days
    UNFILED = "unfiled"  # 未报备登记
    UNENROLLED = "unenrolled"  # not in the national and provincial supervision platforms
    UNREGISTERED = "unregistered"  # a candidate found by discovery, not in the ledger
    CLOSURE_OVERDUE = "closure_overdue"  # closing longer than policy.filing_overdue_days


CASE_KIND_LABELS: dict[CaseKind, str] = {
    CaseKind.VETO: "单项否决",
    CaseKind.FLAGGED: "僵尸账号或应申请关停",
    CaseKind.RELAUNCHED: "已关停账号违规复开",
    CaseKind.UNVERIFIABLE: "长期无法核验",
    CaseKind.UNFILED: "未报备登记",
    CaseKind.UNENROLLED: "未纳入监管平台",
    CaseKind.UNREGISTERED: "未登记账号",
    CaseKind.CLOSURE_OVERDUE: "关停逾期未完成",
}

# What proves each kind fixed (复核销号), in the reports' words.
CASE_FIX_LABELS: dict[CaseKind, str] = {
    CaseKind.VETO: "恢复正常更新",
    CaseKind.FLAGGED: "恢复正常更新或已申请关停",
    CaseKind.RELAUNCHED: "已停止更新",
    CaseKind.UNVERIFIABLE: "已可核验",
    CaseKind.UNFILED: "已报备登记",
    CaseKind.UNENROLLED: "已纳入国家、省监管平台",
    CaseKind.UNREGISTERED: "已登记或关停",
    CaseKind.CLOSURE_OVERDUE: "关停已完成",
}


class CaseState(StrEnum):
    """Where a case stands: open → responded → closed, or overdue past its deadline."""

    OPEN = "open"
    RESPONDED = "responded"
    OVERDUE = "overdue"
    CLOSED = "closed"


CASE_STATE_LABELS: dict[CaseState, str] = {
    CaseState.OPEN: "待整改",
    CaseState.RESPONDED: "已反馈",
    CaseState.OVERDUE: "逾期未整改",
    CaseState.CLOSED: "已销号",
}


class CaseAction(StrEnum):
    """What one row of `case_events` records."""

    OPENED = "opened"
    RESPONDED = "responded"  # the owner's answer (a note, by a name)
    OVERDUE = "overdue"  # the deadline passed unfixed: escalated once
    CLOSED = "closed"  # fixed, proved by a verdict or the ledger (复核销号), or closed by hand
