"""config.yaml, the ledger (台账): strict models, loading, and problems a clerk can fix.

Loading never raises a pydantic traceback at a user: every problem becomes a `Problem` with a
location, and `ConfigError` carries all of them at once, each formatted as
``config.yaml:LINE: departments[gaj].accounts[gaj-weibo].owner: message``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from registry import yamlload
from registry.bulk import bulk_allocation
from registry.constants import (
    DEFAULT_SOURCE,
    DOC_HENAN_EXCEPTION,
    DOC_ONE_ACCOUNT,
    LOCAL_TZ,
    LOCAL_TZ_NAME,
    PLATFORM_ALIASES,
    SOURCE_IDENTIFIER_FIELD,
    AccountStatus,
    Audience,
    ChannelKind,
    DepartmentLevel,
    Platform,
    Source,
)

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo in config.yaml must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


# ---------------------------------------------------------------------------------------------
# Models


class Policy(StrictModel):
    """The thresholds of the rules. Defaults follow the county rule and 国办秘函〔2019〕19号."""

    warn_after_days: int = Field(7, ge=1, description="Days silent before a warning (预警).")
    veto_after_days: int = Field(
        14, ge=1, description="Days silent before the single veto (单项否决)."
    )
    zombie_after_days: int = Field(
        90, ge=1, description="Days silent that make a zombie (僵尸账号)."
    )
    min_posts_per_week: int = Field(1, ge=0, description="Posts needed in each ISO week.")
    flag_after_weeks: int = Field(
        4, ge=1, description="Consecutive missed weeks that flag an account for shutdown."
    )
    new_account_grace_days: int = Field(
        14, ge=0, description="Days a newly opened account with no posts is exempt."
    )
    stale_after_hours: int = Field(
        72, ge=1, description="No ok observation within this many hours of T: unknown."
    )
    one_account_per_platform: Literal["warn", "error", "off"] = Field(
        "warn", description=f"One unit, one account per platform ({DOC_ONE_ACCOUNT})."
    )
    require_exception_basis: bool = Field(
        True,
        description=f"Department and township accounts must record why ({DOC_HENAN_EXCEPTION}).",
    )
    filing_overdue_days: int = Field(
        30, ge=1, description="Days a flagged account may wait before its closure is overdue."
    )

    @field_validator("one_account_per_platform", mode="before")
    @classmethod
    def _yaml11_off(cls, value: Any) -> Any:
        # `off` unquoted is False to a YAML 1.1 reader; accept what the clerk meant.
        return "off" if value is False else value

    @model_validator(mode="after")
    def _ordered(self) -> Policy:
        if not self.warn_after_days <= self.veto_after_days <= self.zombie_after_days:
            raise ValueError(
                "warn_after_days ≤ veto_after_days ≤ zombie_after_days must hold "
                f"(now {self.warn_after_days}, {self.veto_after_days}, {self.zombie_after_days})"
            )
        return self


class SourceSettings(StrictModel):
    """How one source is reached. `base_url` lets a mirror or the simulated platforms stand in."""

    base_url: str | None = Field(None, description="Root URL of the platform's API.")
    delay: float = Field(1.0, ge=0, description="Seconds between requests to this source.")
    concurrency: int = Field(2, ge=1, le=64, description="Requests in flight to this source.")
    enabled: bool = Field(True, description="False skips this source's accounts in a crawl.")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value.rstrip("/") if value else value


class Sources(StrictModel):
    weibo: SourceSettings = SourceSettings(base_url="https://m.weibo.cn")
    wechat: SourceSettings = SourceSettings(base_url="https://mp.weixin.qq.com")
    bilibili: SourceSettings = SourceSettings(base_url="https://api.bilibili.com")
    feed: SourceSettings = SourceSettings()
    web: SourceSettings = SourceSettings()

    def for_source(self, source: Source) -> SourceSettings:
        return getattr(self, source.value)


class CrawlSettings(StrictModel):
    """How a crawl behaves: politeness, retries, paging and evidence (see README, `crawl`)."""

    user_agent: str = Field(
        "govmedia/0.1 (government new-media compliance monitor; set crawl.user_agent to add a contact)",
        min_length=1,
        description="The identifying User-Agent sent with every request.",
    )
    lookback_days: int = Field(
        100,
        ge=1,
        description="Page back until posts are older than this many days (covers a 90-day zombie).",
    )
    max_pages: int = Field(
        20, ge=1, le=500, description="At most this many list pages per account."
    )
    retries: int = Field(2, ge=0, le=10, description="Retries for 5xx answers and timeouts.")
    backoff: float = Field(
        2.0, ge=0, description="Seconds before the first retry; doubles with each further retry."
    )
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for one response.")
    breaker_threshold: int = Field(
        5,
        ge=1,
        description="Consecutive blocked (or login-expired) answers that stop a source's crawl.",
    )
    autothrottle: bool = Field(True, description="Adapt the delay to the platform's latency.")
    wechat_list: Literal["appmsgpublish", "appmsg"] = Field(
        "appmsgpublish", description="WeChat list endpoint: appmsgpublish (newer) or appmsg."
    )
    evidence_days: int = Field(
        400, ge=1, description="Keep raw responses this many days; their SHA-256 is kept forever."
    )
    batch_size: int = Field(500, ge=1, description="Observations written per store transaction.")
    process_per_source: bool = Field(
        False,
        description="Crawl each source in its own process: faster on several cores, and one "
        "failing source cannot stop the others, at about 90 MB of memory per source.",
    )


class Person(StrictModel):
    """A responsible person (责任到人): a name and a phone or an e-mail."""

    name: str = Field(min_length=1, description="Full name.")
    phone: str | None = Field(None, description="Mobile or landline, e.g. 13800000000.")
    email: str | None = Field(None, description="E-mail address.")

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not PHONE_RE.match(value.replace(" ", "")):
            raise ValueError(f"not a phone number: {value!r}; write 13800000000 or 0391-1234567")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL_RE.match(value):
            raise ValueError(f"not an e-mail address: {value!r}")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> Person:
        if not self.phone and not self.email:
            raise ValueError("add a phone or an e-mail (责任到人)")
        return self


class Supervised(StrictModel):
    """Enrolment in the supervision platforms (纳入国家、省监管平台)."""

    national: bool = Field(False, description="Enrolled in the national supervision platform.")
    provincial: bool = Field(False, description="Enrolled in the provincial supervision platform.")


class Closure(StrictModel):
    """The closure (关停下线) of an account, filled in as it proceeds."""

    reason: str | None = Field(None, description="Why the account is closed.")
    approved_on: dt.date | None = Field(None, description="Date the closure was approved.")
    notice_on: dt.date | None = Field(
        None, description="Date the stop-update notice (停更公告) ran."
    )
    deregistered_on: dt.date | None = Field(None, description="Date deregistered on the platform.")
    filed_on: dt.date | None = Field(None, description="Date the closure was filed (报备).")
    certificate: str | None = Field(None, description="Closure certificate (关停证明) number.")


# Which closure fields each status needs, in the order a clerk fills them.
# The closure dates in the order they happen.
CLOSURE_DATES = ("approved_on", "notice_on", "deregistered_on", "filed_on")

CLOSURE_REQUIRED: dict[AccountStatus, tuple[str, ...]] = {
    AccountStatus.ACTIVE: (),
    AccountStatus.CLOSING: ("reason", "approved_on"),
    AccountStatus.CLOSED: ("reason", "approved_on", "deregistered_on", "filed_on"),
}


class Account(StrictModel):
    """One account on one platform, run by one department."""

    id: str = Field(pattern=ID_PATTERN, description="Unique id: lowercase letters, digits, '-'.")
    name: str = Field(min_length=1, description="The account's name as shown on the platform.")
    platform: Platform = Field(description="Where the account lives.")
    source: Source | None = Field(
        None, description="How it is observed; defaults from the platform."
    )
    uid: str | None = Field(None, description="Weibo user id.")
    fakeid: str | None = Field(None, description="WeChat fakeid; without it the name is searched.")
    mid: str | None = Field(None, description="Bilibili member id.")
    url: str | None = Field(None, description="Feed URL, or the web column's list page.")
    selectors: dict[str, str] | None = Field(
        None, description="Web only: CSS selectors (item, title, link, date) for an odd site."
    )
    owner: Person = Field(description="The person responsible (责任到人).")
    opened_on: dt.date | None = Field(None, description="Date the account was opened.")
    filed_on: dt.date | None = Field(
        None, description="Date it was filed (报备登记); empty: unfiled."
    )
    supervised: Supervised = Field(default_factory=Supervised, description="Supervision enrolment.")
    exception_basis: str | None = Field(
        None, description=f"Why a department or township runs it ({DOC_HENAN_EXCEPTION})."
    )
    status: AccountStatus = Field(AccountStatus.ACTIVE, description="active | closing | closed.")
    closure: Closure | None = Field(None, description="Closure details; needed when not active.")
    note: str | None = Field(None, description="Free text for the ledger.")

    @field_validator("uid", "fakeid", "mid", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value

    @field_validator("selectors")
    @classmethod
    def _selectors(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        # The web parser's keys (spiders/parsers/web.py); a typo must not silently fall back.
        if value is None:
            return value
        allowed = ("item", "title", "link", "date")
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean `{close[0]}`?" if close else f"use {', '.join(allowed)}"
                raise ValueError(f"unknown selector `{key}`; {hint}")
        if "item" not in value:
            raise ValueError("selectors need `item:`, the CSS selector of one list row")
        from cssselect import GenericTranslator, SelectorError

        for key, css in value.items():
            try:
                GenericTranslator().css_to_xpath(css)
            except SelectorError as exc:
                raise ValueError(
                    f"selectors.{key}: {css!r} is not a CSS selector ({exc})"
                ) from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_source(cls, data: Any) -> Any:
        # Filled in before validation: assigning on the built model costs more than the rest
        # of an account's validation, which a 20,000-account ledger feels.
        if isinstance(data, dict) and data.get("source") is None:
            try:
                platform = Platform(data.get("platform"))
            except ValueError:
                return data
            return {**data, "source": DEFAULT_SOURCE[platform].value}
        return data

    @model_validator(mode="after")
    def _source_and_closure(self) -> Account:
        if self.source is None:  # built without validation (model_construct)
            self.source = DEFAULT_SOURCE[self.platform]
        needed = SOURCE_IDENTIFIER_FIELD[self.source]
        if needed and getattr(self, needed) is None and self.source is not Source.WECHAT:
            raise ValueError(f"source {self.source.value} needs `{needed}:`")
        if self.selectors is not None and self.source is not Source.WEB:
            raise ValueError("`selectors:` only applies to source: web")
        missing = [
            name
            for name in CLOSURE_REQUIRED[self.status]
            if self.closure is None or getattr(self.closure, name) is None
        ]
        if missing:
            keys = ", ".join(f"closure.{name}" for name in missing)
            options = " ".join(f"--{name.replace('_', '-')} …" for name in missing)
            raise ValueError(
                f"status {self.status.value} needs {keys}; add them, or run "
                f"`govmedia close {self.id} {options}`"
            )
        return self

    @property
    def identifier(self) -> str | None:
        """The source's identifier of this account (uid, fakeid, mid or url)."""
        field_name = SOURCE_IDENTIFIER_FIELD[self.effective_source]
        return getattr(self, field_name) if field_name else None

    @property
    def effective_source(self) -> Source:
        return self.source or DEFAULT_SOURCE[self.platform]


class Department(StrictModel):
    """A unit (主办单位) and the accounts it runs."""

    id: str = Field(pattern=ID_PATTERN, description="Unique id: lowercase letters, digits, '-'.")
    name: str = Field(min_length=1, description="Full name, e.g. 博爱县公安局.")
    level: DepartmentLevel = Field(
        DepartmentLevel.DEPARTMENT, description="county | department | township."
    )
    contact: Person | None = Field(None, description="The unit's new-media contact.")
    accounts: list[Account] = Field(default_factory=list, description="The accounts it runs.")


# ---------------------------------------------------------------------------------------------
# The monitoring cycle: notifications, timetable, logs

ENV_NAME_PATTERN = r"^[A-Z_][A-Z0-9_]*$"
HHMM_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Which keys each channel kind takes besides the common ones, and which it needs.
CHANNEL_KEYS: dict[ChannelKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    ChannelKind.EMAIL: (
        ("host", "port", "security", "username", "password_env", "sender"),
        ("host", "sender"),
    ),
    ChannelKind.WECOM: (("url_env", "mention"), ("url_env",)),
    ChannelKind.DINGTALK: (("url_env", "secret_env", "mention"), ("url_env",)),
    ChannelKind.WEBHOOK: (("url_env", "token_env"), ("url_env",)),
}


def _hhmm(value: Any) -> str:
    if isinstance(value, int):  # a YAML 1.1 reader turns 17:30 into 1050
        raise ValueError(f'write the time in quotes, e.g. "17:30" (got {value!r})')
    match = HHMM_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f'{value!r} is not a time of day; write it as "08:30"')
    return f"{int(match.group(1)):02d}:{match.group(2)}"


class NotifyChannel(StrictModel):
    """One way out for notifications. Secrets (password, webhook URL with its key, signing
    secret, bearer token) are named by their environment variable, never written here."""

    id: str = Field(pattern=ID_PATTERN, description="Unique id, e.g. mail or wecom-group.")
    kind: ChannelKind = Field(description="email | wecom | dingtalk | webhook.")
    audience: list[Audience] = Field(
        default_factory=lambda: [Audience.ALERTS, Audience.SUMMARY],
        description="alerts (to owners and contacts) and/or summary (to supervisors).",
    )
    max_per_cycle: int = Field(
        20, ge=1, description="Messages sent per cycle; the rest wait (robots allow 20/min)."
    )
    timeout: float = Field(20.0, gt=0, description="Seconds to wait for the server.")
    host: str | None = Field(None, description="email: SMTP server host.")
    port: int | None = Field(
        None, ge=1, le=65535, description="email: port (default 587 starttls, 465 ssl, 25)."
    )
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="email: starttls | ssl | none."
    )
    username: str | None = Field(None, description="email: SMTP login, if the server needs one.")
    password_env: str | None = Field(
        None,
        description="email: environment variable holding the SMTP password.",
    )
    sender: str | None = Field(None, description="email: the From address.")
    url_env: str | None = Field(
        None,
        description="webhooks: environment variable holding the URL (it carries the key).",
    )
    secret_env: str | None = Field(
        None,
        description="dingtalk: environment variable holding the signing secret (SEC…).",
    )
    token_env: str | None = Field(
        None,
        description="webhook: environment variable holding a bearer token.",
    )
    mention: bool = Field(True, description="wecom, dingtalk: @ the people told, by mobile.")

    @field_validator("password_env", "url_env", "secret_env", "token_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not re.match(ENV_NAME_PATTERN, value):
            raise ValueError(
                f"{value!r} is not an environment variable name; write it in capitals, "
                "e.g. GOVMEDIA_SMTP_PASSWORD"
            )
        return value

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL_RE.match(value):
            raise ValueError(f"not an e-mail address: {value!r}")
        return value

    @model_validator(mode="after")
    def _keys_of_kind(self) -> NotifyChannel:
        allowed, needed = CHANNEL_KEYS[self.kind]
        for name in (key for keys, _ in CHANNEL_KEYS.values() for key in keys):
            if name in allowed or name not in self.model_fields_set:
                continue
            raise ValueError(f"`{name}:` does not apply to kind: {self.kind.value}")
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(
                f"kind {self.kind.value} needs " + ", ".join(f"`{m}:`" for m in missing)
            )
        if self.kind is ChannelKind.EMAIL and self.username and not self.password_env:
            raise ValueError(
                "`username:` needs `password_env:` (the password stays in the environment)"
            )
        return self

    @property
    def smtp_port(self) -> int:
        return self.port or {"ssl": 465, "starttls": 587, "none": 25}[self.security]

    @property
    def secret_envs(self) -> tuple[str, ...]:
        """The environment variables this channel reads; their values are secrets."""
        names = (self.password_env, self.url_env, self.secret_env, self.token_env)
        return tuple(name for name in names if name)


class RetrySettings(StrictModel):
    """How failed sends are retried across cycles: the wait doubles after each failure."""

    max_attempts: int = Field(8, ge=1, description="Attempts before a message is given up.")
    backoff_minutes: float = Field(5.0, gt=0, description="Wait after the first failure.")
    max_backoff_hours: float = Field(24.0, gt=0, description="The longest wait between attempts.")


class NotifySettings(StrictModel):
    """Who is told what, and how (第一时间对接各单位账号负责人)."""

    channels: list[NotifyChannel] = Field(default_factory=list, description="Ways out.")
    supervisors: list[Person] = Field(
        default_factory=list, description="Get the weekly summary and notices."
    )
    unknown_alert_after_days: int = Field(
        3, ge=1, description="Alert when an account has been unknown this many days."
    )
    retry: RetrySettings = Field(default_factory=RetrySettings, description="Retries.")

    @model_validator(mode="after")
    def _unique_ids(self) -> NotifySettings:
        ids = [channel.id for channel in self.channels]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate channel id {duplicates[0]!r}")
        return self


class WeeklyAt(StrictModel):
    day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = (
        Field("monday", description="Day the last week's report is due.")
    )
    at: str = Field("09:00", description='Local time it is due, "HH:MM".')

    _time = field_validator("at", mode="before")(classmethod(lambda cls, v: _hhmm(v)))

    @property
    def weekday(self) -> int:
        """Monday is 0."""
        return WEEKDAYS.index(self.day)


class NoticeAt(StrictModel):
    period: Literal["month", "quarter"] = Field(
        "month", description="month | quarter: what one notice (通报) covers."
    )
    day: int = Field(
        1, ge=1, le=28, description="Day of the month the last period's notice is due."
    )
    at: str = Field("09:00", description='Local time it is due, "HH:MM".')

    _time = field_validator("at", mode="before")(classmethod(lambda cls, v: _hhmm(v)))


class ScheduleSettings(StrictModel):
    """The timetable of `govmedia schedule` and `govmedia cron`, in the ledger's time zone."""

    crawl_at: list[str] = Field(
        default_factory=lambda: ["08:30", "17:30"], description="Times of day of a full cycle."
    )
    weekly_report: WeeklyAt = Field(default_factory=WeeklyAt, description="Weekly report due.")
    notice: NoticeAt | None = Field(
        default_factory=NoticeAt, description="Notice (通报) due; null: no notices."
    )
    heartbeat_minutes: int = Field(15, ge=1, description="Minutes between heartbeat log lines.")
    crawl_timeout_minutes: int = Field(
        120, ge=1, description="A crawl running longer is stopped (its accounts stay unknown)."
    )

    @field_validator("crawl_at", mode="before")
    @classmethod
    def _times(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_hhmm(v) for v in value]
        return value

    @field_validator("crawl_at")
    @classmethod
    def _sorted(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class LoggingSettings(StrictModel):
    """Structured logs to stderr and a rotating file, with secrets removed."""

    file: str | None = Field(
        "data/govmedia.log", description="Log file, relative to config.yaml; null: stderr only."
    )
    format: Literal["kv", "json"] = Field("kv", description="kv (key=value) or json lines.")
    level: Literal["debug", "info", "warning", "error"] = Field("info", description="Level.")
    max_bytes: int = Field(5_000_000, ge=10_000, description="Size at which the file rotates.")
    backup_count: int = Field(5, ge=0, description="Rotated files kept.")


class ReportSettings(StrictModel):
    """How reports and notices (通报) are issued: who signs them, deadlines, where they are read."""

    issuer: str | None = Field(
        None, description="发文单位 on reports and notices; default: {jurisdiction}人民政府办公室."
    )
    recipients: str = Field(
        "各乡镇人民政府，县政府各部门",
        min_length=1,
        description="主送: who a notice is addressed to.",
    )
    contact: Person | None = Field(None, description="联系人 printed at the end of a notice.")
    notice_deadline_days: int = Field(
        15, ge=1, le=180, description="Days after a notice's date by which problems are fixed."
    )
    site_url: str | None = Field(
        None, description="Public URL of the output folder, for links in mail and chat."
    )
    trend_weeks: int = Field(12, ge=2, le=104, description="Weeks in the pass-rate trend.")
    history_weeks: int = Field(26, ge=1, le=104, description="Weeks on each account's page.")
    formats: list[Literal["html", "xlsx", "md", "csv"]] = Field(
        default_factory=lambda: ["html", "xlsx", "md", "csv"],
        min_length=1,
        description="Formats of the weekly report.",
    )

    @field_validator("site_url")
    @classmethod
    def _site_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value.rstrip("/") + "/" if value else value


class FilingSettings(StrictModel):
    """Closure filings (关停申请表、停更公告、关停证明、书面报告), see `govmedia filings`."""

    templates: str | None = Field(
        None,
        description="Folder of .docx/.html templates that override the built-in ones "
        "(relative to config.yaml); copy reports/templates/filings/ to start.",
    )
    supervisor: str | None = Field(
        None, description="主送 of the written report; default: {jurisdiction}人民政府办公室."
    )


class Config(StrictModel):
    """The whole of config.yaml."""

    jurisdiction: str = Field(min_length=1, description="Shown on reports, e.g. 博爱县.")
    timezone: str = Field(LOCAL_TZ_NAME, description="IANA time zone of the ledger.")
    policy: Policy = Field(default_factory=Policy, description="Rule thresholds.")
    store: str = Field("data/govmedia.sqlite3", description="SQLite file path, or a database URL.")
    output_dir: str = Field("out", description="Where reports and filings are written.")
    sources: Sources = Field(default_factory=Sources, description="How each source is reached.")
    crawl: CrawlSettings = Field(default_factory=CrawlSettings, description="Crawl behaviour.")
    departments: list[Department] = Field(default_factory=list, description="The ledger.")
    notify: NotifySettings = Field(default_factory=NotifySettings, description="Notifications.")
    schedule: ScheduleSettings = Field(
        default_factory=ScheduleSettings, description="Timetable of the cycle."
    )
    logging: LoggingSettings = Field(default_factory=LoggingSettings, description="Logs.")
    reports: ReportSettings = Field(
        default_factory=ReportSettings, description="Reports and notices (通报)."
    )
    filings: FilingSettings = Field(
        default_factory=FilingSettings, description="Closure filings (关停材料)."
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use {LOCAL_TZ_NAME}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def iter_accounts(self) -> Iterator[tuple[Department, Account]]:
        for department in self.departments:
            for account in department.accounts:
                yield department, account

    def account(self, account_id: str) -> tuple[Department, Account]:
        for department, account in self.iter_accounts():
            if account.id == account_id:
                return department, account
        raise KeyError(account_id)


# ---------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in config.yaml, at a location in its data."""

    loc: tuple[str | int, ...]
    message: str
    severity: Literal["error", "warning"] = "error"


@dataclass
class LoadedConfig:
    """A valid config, where it came from, and the warnings it passed with."""

    config: Config
    path: Path
    warnings: list[str] = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        return self.path.parent


class ConfigError(Exception):
    """config.yaml cannot be used. `lines` are ready to print, one problem each."""

    def __init__(self, lines: list[str], warnings: Sequence[str] = ()) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.warnings = list(warnings)


def _model_fields(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _unwrap(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, …]` as X."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _annotation_at(loc: Sequence[str | int]) -> Any:
    """The declared type of the value at `loc`, following models, lists and dicts."""
    annotation: Any = Config
    for part in loc:
        annotation = _unwrap(annotation)
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(str(part))
            if info is None:
                return None
            annotation = info.annotation
        elif origin in (list, tuple, set, frozenset, Sequence):
            annotation = get_args(annotation)[0] if get_args(annotation) else None
        elif origin in (dict, Mapping):
            args = get_args(annotation)
            annotation = args[1] if len(args) == 2 else None
        else:
            return None
    return _unwrap(annotation)


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that holds the mapping at `loc` (for 'did you mean')."""
    annotation = _annotation_at(loc)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _field_description(loc: Sequence[str | int]) -> str | None:
    model = _model_at(loc[:-1])
    info = model.model_fields.get(str(loc[-1])) if model else None
    if info is None or not info.description:
        return None
    text = info.description.rstrip(".")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _pydantic_message(error: Mapping[str, Any]) -> str:
    """One sentence for one pydantic error, saying what to write instead."""
    kind = error["type"]
    loc = error["loc"]
    got = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        about = _field_description(loc)
        return f"missing; add `{loc[-1]}:`" + (f" ({about})" if about else "")
    if kind == "extra_forbidden":
        allowed = _model_fields(_model_at(loc[:-1]) or Config)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        if close:
            return f"unknown key; did you mean `{close[0]}`?"
        return f"unknown key; allowed here: {', '.join(allowed)}"
    if kind in ("enum", "literal_error"):
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        alias = PLATFORM_ALIASES.get(str(got).strip().lower())
        if alias is not None and alias.value in options:
            close = [alias.value]
        else:
            close = difflib.get_close_matches(str(got), options, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]}?" if close else ""
        return f"{got!r} is not one of {', '.join(options)}{hint}"
    if kind.startswith("date_") or kind.startswith("datetime_"):
        if isinstance(got, str) and re.match(r"^\d{4}-\d{1,2}-\d{1,2}$", got.strip()):
            return f"{got!r} is not a day of the calendar; check the month and the day"
        return f"not a date: {got!r}; write it as YYYY-MM-DD"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == ID_PATTERN:
            return f"{got!r}: use lowercase letters, digits and '-' only (e.g. gaj-weibo)"
        return f"{got!r} does not match the pattern {ctx.get('pattern')}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{got!r} is not a whole number"
    if kind in ("float_parsing", "float_type"):
        return f"{got!r} is not a number"
    if kind in ("bool_parsing", "bool_type"):
        return f"{got!r} is not true or false"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {
            "greater_than_equal": "≥",
            "greater_than": ">",
            "less_than_equal": "≤",
            "less_than": "<",
        }[kind]
        bound = next(iter(ctx.values()), "")
        return f"must be {sign} {bound}, got {got!r}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind in ("string_too_long", "too_long"):
        return f"too long: at most {ctx.get('max_length')}"
    if kind == "string_type":
        return f"must be text, got {got!r}; put it in quotes"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping (key: value), got {got!r}"
    if kind == "list_type":
        return f"must be a list (items start with '- '), got {got!r}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


@dataclass
class _Unit:
    """A department and those of its accounts that passed their own validation."""

    index: int
    id: str
    name: str
    level: DepartmentLevel
    accounts: list[tuple[int, Account]]


def _units(config: Config) -> list[_Unit]:
    return [
        _Unit(i, d.id, d.name, d.level, list(enumerate(d.accounts)))
        for i, d in enumerate(config.departments)
    ]


def _partial_units(plain: Mapping[str, Any]) -> tuple[Policy, list[_Unit]]:
    """When the file as a whole fails, the parts that pass on their own, so that the checks
    across the ledger (duplicates, dates) still run and every problem is reported at once."""
    try:
        policy = Policy.model_validate(plain.get("policy") or {})
    except ValidationError:
        policy = Policy()
    units: list[_Unit] = []
    departments = plain.get("departments")
    if not isinstance(departments, list):
        return policy, units
    for d_index, raw in enumerate(departments):
        if not isinstance(raw, dict):
            continue
        try:
            head = Department.model_validate({**raw, "accounts": []})
        except ValidationError:
            continue
        accounts: list[tuple[int, Account]] = []
        raw_accounts = raw.get("accounts")
        for a_index, raw_account in enumerate(
            raw_accounts if isinstance(raw_accounts, list) else []
        ):
            try:
                accounts.append((a_index, Account.model_validate(raw_account)))
            except ValidationError:
                continue
        units.append(_Unit(d_index, head.id, head.name, head.level, accounts))
    return policy, units


def _identifier_key(account: Account) -> tuple[str, str, str] | None:
    """What tells this account apart on its source: (source, field, value)."""
    source = account.effective_source
    field_name = SOURCE_IDENTIFIER_FIELD[source]
    value = getattr(account, field_name) if field_name else None
    if value:
        normal = value.rstrip("/") if field_name == "url" else value
        return (source.value, field_name, normal)
    if source is Source.WECHAT:  # no fakeid: the account is searched for by its exact name
        return (source.value, "name", account.name)
    return None


def _ledger_problems(config: Config, today: dt.date) -> Iterable[Problem]:
    """Rules across the whole ledger that one model cannot see."""
    return _cross_checks(_units(config), config.policy, today)


def _cross_checks(units: list[_Unit], policy: Policy, today: dt.date) -> Iterator[Problem]:
    seen_identifiers: dict[tuple[str, str, str], str] = {}
    for unit in units:
        d_loc: tuple[str | int, ...] = ("departments", unit.index)
        per_platform: dict[Platform, str] = {}
        for a_index, account in unit.accounts:
            a_loc = (*d_loc, "accounts", a_index)
            yield from _date_problems(a_loc, account, today)
            if account.status is AccountStatus.CLOSED:
                if account.closure and not account.closure.certificate:
                    yield Problem(
                        (*a_loc, "closure"),
                        "closed without a certificate number (关停证明); add closure.certificate",
                        "warning",
                    )
                continue
            key = _identifier_key(account)
            if key is not None:
                if key in seen_identifiers:
                    yield Problem(
                        (*a_loc, key[1]),
                        f"{key[2]!r} is already registered as account {seen_identifiers[key]!r}"
                        + (" (searched by name: add fakeid:)" if key[1] == "name" else "")
                        + "; one account, one entry",
                    )
                seen_identifiers.setdefault(key, account.id)
            if account.filed_on is None:
                yield Problem(
                    (*a_loc, "filed_on"), "not filed yet (未报备登记); add filed_on", "warning"
                )
            if (
                policy.require_exception_basis
                and unit.level is not DepartmentLevel.COUNTY
                and not account.exception_basis
            ):
                yield Problem(
                    (*a_loc, "exception_basis"),
                    f"a {unit.level.value}'s own account needs `exception_basis:`, "
                    f"why it may run one ({DOC_HENAN_EXCEPTION})",
                )
            if account.platform in per_platform and policy.one_account_per_platform != "off":
                yield Problem(
                    (*a_loc, "platform"),
                    f"{unit.name} already runs {per_platform[account.platform]!r} on "
                    f"{account.platform.value} (one unit, one account per platform, "
                    f"{DOC_ONE_ACCOUNT})",
                    "error" if policy.one_account_per_platform == "error" else "warning",
                )
            per_platform.setdefault(account.platform, account.id)


def _duplicate_ids(plain: Mapping[str, Any]) -> Iterator[Problem]:
    """Ids used twice, read from the data itself so that it works whatever else is wrong."""
    departments = plain.get("departments")
    seen_departments: set[str] = set()
    seen_accounts: dict[str, str] = {}
    for d_index, department in enumerate(departments if isinstance(departments, list) else []):
        if not isinstance(department, dict):
            continue
        d_id = department.get("id")
        if isinstance(d_id, str):
            if d_id in seen_departments:
                yield Problem(
                    ("departments", d_index, "id"),
                    f"duplicate department id {d_id!r}; ids are unique",
                )
            seen_departments.add(d_id)
        accounts = department.get("accounts")
        for a_index, account in enumerate(accounts if isinstance(accounts, list) else []):
            a_id = account.get("id") if isinstance(account, dict) else None
            if not isinstance(a_id, str):
                continue
            if a_id in seen_accounts:
                yield Problem(
                    ("departments", d_index, "accounts", a_index, "id"),
                    f"duplicate account id {a_id!r} (also in department "
                    f"{seen_accounts[a_id]!r}); ids are unique across the file",
                )
            seen_accounts.setdefault(a_id, d_id if isinstance(d_id, str) else str(d_index))


def _date_problems(
    a_loc: tuple[str | int, ...], account: Account, today: dt.date
) -> Iterator[Problem]:
    """Dates in the future, and dates out of the order things happen in."""
    dated: list[tuple[tuple[str, ...], dt.date]] = [
        ((name,), getattr(account, name))
        for name in ("opened_on", "filed_on")
        if getattr(account, name) is not None
    ]
    closure = account.closure
    if closure is not None:
        dated += [
            (("closure", name), getattr(closure, name))
            for name in CLOSURE_DATES
            if getattr(closure, name) is not None
        ]
    for path, value in dated:
        if value > today:
            yield Problem(
                (*a_loc, *path), f"{value} is in the future (today is {today}); fix the date"
            )
    if account.opened_on and account.filed_on and account.filed_on < account.opened_on:
        yield Problem(
            (*a_loc, "filed_on"),
            f"{account.filed_on} is before opened_on ({account.opened_on})",
        )
    if closure is not None and closure.approved_on is not None:
        if account.opened_on and closure.approved_on < account.opened_on:
            yield Problem(
                (*a_loc, "closure", "approved_on"),
                f"{closure.approved_on} is before opened_on ({account.opened_on})",
            )
        for name in CLOSURE_DATES[1:]:
            value = getattr(closure, name)
            if value is not None and value < closure.approved_on:
                yield Problem(
                    (*a_loc, "closure", name),
                    f"{value} is before closure.approved_on ({closure.approved_on})",
                )


def _store_problems(plain: Mapping[str, Any]) -> Iterator[Problem]:
    store = plain.get("store")
    if isinstance(store, str) and re.match(r"^[a-z0-9+]+://[^/@]*:[^/@]*@", store):
        yield Problem(
            ("store",),
            "remove the password from the URL; set it in the environment (PGPASSWORD) instead",
        )


# ---------------------------------------------------------------------------------------------
# Locating problems in the YAML text


def display_path(loc: Sequence[str | int], data: Any) -> str:
    """`departments[gaj].accounts[gaj-weibo].owner`: list items by their id where they have one."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            label: str | int = part
            if isinstance(node, list) and 0 <= part < len(node):
                item = node[part]
                if isinstance(item, Mapping) and isinstance(item.get("id"), str) and item["id"]:
                    label = item["id"]
                node = item
            else:
                node = None
            out += f"[{label}]"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, Mapping) else None
    return out or "(top level)"


def line_of(loc: Sequence[str | int], node: Any) -> int:
    """The 1-based line of the deepest part of `loc` found in a ruamel.yaml round-trip tree.

    A missing key points at the mapping that lacks it."""
    line = 1
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        line = lc.line + 1
    for part in loc:
        lc = getattr(node, "lc", None)
        if lc is None:
            break
        try:
            if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
                line = lc.item(part)[0] + 1
                node = node[part]
            elif isinstance(node, Mapping) and part in node:
                line = lc.key(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    return line


def to_plain(node: Any) -> Any:
    """Round-trip YAML nodes as the plain dicts, lists and scalars the fast reader gives."""
    return yamlload.plain(node)


# ---------------------------------------------------------------------------------------------
# Loading

Locate = Callable[[Sequence[str | int]], int]


def read_bytes(path: Path) -> bytes:
    """The file's bytes, checked to be UTF-8 (a byte-order mark is dropped), or ConfigError."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [f"{name}: no such file; create it (see README.md) or pass -c PATH"]
        ) from None
    except IsADirectoryError:
        raise ConfigError([f"{name}: is a folder; pass the ledger file with -c PATH"]) from None
    except OSError as exc:
        raise ConfigError([f"{name}: cannot read: {exc.strerror}"]) from None
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            [f"{name}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"]
        ) from None
    return raw


def _ruamel_tree(text: str, name: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise ConfigError([f"{name}:{line}: YAML syntax: {problem}"]) from None
    except (YAMLError, ValueError, TypeError) as exc:
        raise ConfigError([f"{name}: YAML: {' '.join(str(exc).split())}"]) from None


def parse_yaml(raw: bytes, name: str) -> tuple[Any, Locate]:
    """Plain data from UTF-8 YAML bytes, and how to find the line of a location in it.

    libyaml's events are read by `registry.yamlload` (fast, YAML 1.2 as ruamel.yaml reads it);
    the rare file that uses more of YAML is read by ruamel.yaml itself."""
    try:
        data, lines = yamlload.load(raw)
    except yamlload.YAMLProblem as exc:
        raise ConfigError([f"{name}:{exc.line}: YAML syntax: {exc.problem}"]) from None
    except yamlload.Unsupported:
        tree = _ruamel_tree(raw.decode("utf-8"), name)
        return to_plain(tree), lambda loc: line_of(loc, tree)
    return data, lambda loc: lines.line_of(loc, data)


def read_yaml(path: Path) -> Any:
    """Parse `path` as a ruamel.yaml round-trip tree (for editing), or raise ConfigError."""
    return _ruamel_tree(read_bytes(path).decode("utf-8"), str(path))


def validate_data(
    data: Any,
    *,
    source_name: str,
    tree: Any = None,
    today: dt.date | None = None,
    locate: Locate | None = None,
) -> LoadedConfig:
    """Validate parsed config data; raise ConfigError with every problem, or return the config.

    `locate` gives the line of a location; by default it is read from `tree` (or `data`), a
    ruamel.yaml round-trip tree.
    """
    if locate is None:
        tree = data if tree is None else tree
        locate = lambda loc: line_of(loc, tree)  # noqa: E731
    plain = to_plain(data)
    return _validate_plain(plain, source_name=source_name, locate=locate, today=today)


def _validate_plain(
    plain: Any, *, source_name: str, locate: Locate, today: dt.date | None
) -> LoadedConfig:
    if plain is None:
        plain = {}
    if not isinstance(plain, dict):
        raise ConfigError(
            [f"{source_name}:1: the file must be a mapping of keys (jurisdiction: …)"]
        )
    today = today or dt.datetime.now(LOCAL_TZ).date()

    def fmt(problem: Problem) -> str:
        return (
            f"{source_name}:{locate(problem.loc)}: "
            f"{display_path(problem.loc, plain)}: {problem.message}"
        )

    config: Config | None
    try:
        config = Config.model_validate(plain)
    except ValidationError as exc:
        config = None
        problems = [Problem(tuple(e["loc"]), _pydantic_message(e)) for e in exc.errors()]
        policy, units = _partial_units(plain)
        problems += _cross_checks(units, policy, today)
    else:
        problems = list(_ledger_problems(config, today))
    problems += _duplicate_ids(plain)
    problems += _store_problems(plain)
    errors = [fmt(p) for p in problems if p.severity == "error"]
    warnings = sorted_lines(fmt(p) for p in problems if p.severity == "warning")
    if errors or config is None:
        raise ConfigError(sorted_lines(errors), warnings)
    return LoadedConfig(config=config, path=Path(source_name), warnings=warnings)


def validate_text(raw: bytes, *, source_name: str, today: dt.date | None = None) -> LoadedConfig:
    """Parse and validate config text (UTF-8 bytes): what `load_config` does after reading."""
    with bulk_allocation():
        data, locate = parse_yaml(raw, source_name)
        return _validate_plain(data, source_name=source_name, locate=locate, today=today)


def sorted_lines(lines: Iterable[str]) -> list[str]:
    """Problems in file order (by line number), duplicates dropped."""

    def key(line: str) -> tuple[int, str]:
        match = re.match(r"^.*?:(\d+):", line)
        return (int(match.group(1)) if match else 0, line)

    return sorted(set(lines), key=key)


def load_config(path: str | Path, *, today: dt.date | None = None) -> LoadedConfig:
    """Read and validate config.yaml. Raises ConfigError; never a traceback for a user mistake."""
    path = Path(path)
    loaded = validate_text(read_bytes(path), source_name=str(path), today=today)
    loaded.path = path
    return loaded


def store_url(loaded: LoadedConfig) -> str:
    """The store as a SQLAlchemy URL; a bare path is a SQLite file relative to config.yaml."""
    store = loaded.config.store
    if "://" in store:
        return store
    path = Path(store)
    if not path.is_absolute():
        path = loaded.base_dir / path
    return f"sqlite:///{path}"


def output_dir(loaded: LoadedConfig) -> Path:
    """The output folder, relative to config.yaml unless absolute."""
    path = Path(loaded.config.output_dir)
    return path if path.is_absolute() else loaded.base_dir / path
