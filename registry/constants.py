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


FILING_STAGE_LABELS: dict[FilingStage, str] = {
    FilingStage.FLAGGED: "应申请关停",
    FilingStage.OVERDUE: "逾期未申请关停",
    FilingStage.CLOSING: "关停中",
    FilingStage.RELAUNCHED: "已关停账号违规复开",
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
