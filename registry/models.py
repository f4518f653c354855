"""config.yaml's shape: the strict pydantic models of the ledger (台账) and its settings.

Each model forbids unknown keys and carries the description the README's config reference is
built from. Whole-ledger checks and the wording of problems are in registry/problems.py; reading
the file is registry/config.py.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import reprlib
from collections.abc import Iterator
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from registry.constants import (
    DEFAULT_SOURCE,
    DOC_HENAN_EXCEPTION,
    DOC_ONE_ACCOUNT,
    LOCAL_TZ_NAME,
    SOURCE_IDENTIFIER_FIELD,
    AccountStatus,
    Audience,
    ChannelKind,
    DepartmentLevel,
    Platform,
    Source,
)
from registry.i18n import N_, _

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# A value quoted in a message is cut to this many characters (with …): a 10 MB value, or a
# list repeated by aliases, must neither flood the terminal nor take long to print.
QUOTE_LIMIT = 80
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist = 3, 4, 6
_REPR.maxstring = _REPR.maxother = QUOTE_LIMIT


def shown(value: Any) -> str:
    """`value` as a message quotes it: its repr, at most QUOTE_LIMIT characters."""
    text = repr(value[: QUOTE_LIMIT + 1]) if isinstance(value, str) else _REPR.repr(value)
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1] + "…"


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo in config.yaml must not be silently ignored. NaN and
    ±infinity are refused in every number (`.inf` as a delay would hang a crawl)."""

    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


def bounded(default: Any, lo: float, hi: float, unit: str, description: str) -> Any:
    """A number field with both bounds, so an absurd value (a delay of a year) is refused.

    The range and its unit go into the description (the README's reference shows it) and,
    through `json_schema_extra`, into the message: "must be between 0 and 60 seconds"."""
    span = f"{lo}–{hi}" + (f" {unit}" if unit else "")
    return Field(
        default,
        ge=lo,
        le=hi,
        description=f"{description.rstrip('.')} ({span}).",
        json_schema_extra={"unit": unit},
    )


# ---------------------------------------------------------------------------------------------
# Models


class Policy(StrictModel):
    """The thresholds of the rules. Defaults follow the county rule and 国办秘函〔2019〕19号."""

    warn_after_days: int = bounded(7, 1, 365, "days", "Days silent before a warning (预警).")
    veto_after_days: int = bounded(
        14, 1, 365, "days", "Days silent before the single veto (单项否决)."
    )
    zombie_after_days: int = bounded(
        90, 1, 365, "days", "Days silent that make a zombie (僵尸账号)."
    )
    min_posts_per_week: int = bounded(1, 0, 100, "posts", "Posts needed in each ISO week.")
    flag_after_weeks: int = bounded(
        4, 1, 52, "weeks", "Consecutive missed weeks that flag an account for shutdown."
    )
    new_account_grace_days: int = bounded(
        14, 0, 365, "days", "Days a newly opened account with no posts is exempt."
    )
    stale_after_hours: int = bounded(
        72, 1, 720, "hours", "No ok observation within this many hours of T: unknown."
    )
    one_account_per_platform: Literal["warn", "error", "off"] = Field(
        "warn", description=f"One unit, one account per platform ({DOC_ONE_ACCOUNT})."
    )
    require_exception_basis: bool = Field(
        True,
        description=f"Department and township accounts must record why ({DOC_HENAN_EXCEPTION}).",
    )
    filing_overdue_days: int = bounded(
        30, 1, 365, "days", "Days a flagged account may wait before its closure is overdue."
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
                _(
                    "warn_after_days ≤ veto_after_days ≤ zombie_after_days must hold "
                    "(now {warn}, {veto}, {zombie})"
                ).format(
                    warn=self.warn_after_days,
                    veto=self.veto_after_days,
                    zombie=self.zombie_after_days,
                )
            )
        return self


class SourceSettings(StrictModel):
    """How one source is reached. `base_url` lets a mirror or the simulated platforms stand in."""

    base_url: str | None = Field(None, description="Root URL of the platform's API.")
    delay: float = bounded(1.0, 0, 60, "seconds", "Seconds between requests to this source.")
    concurrency: int = bounded(2, 1, 64, "requests", "Requests in flight to this source.")
    enabled: bool = Field(True, description="False skips this source's accounts in a crawl.")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(
                _("must be an http:// or https:// URL, got {value}").format(value=shown(value))
            )
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
    lookback_days: int = bounded(
        100,
        1,
        730,
        "days",
        "Page back until posts are older than this many days (covers a 90-day zombie).",
    )
    max_pages: int = bounded(20, 1, 500, "pages", "At most this many list pages per account.")
    retries: int = bounded(2, 0, 10, "retries", "Retries for 5xx answers and timeouts.")
    backoff: float = bounded(
        2.0,
        0,
        60,
        "seconds",
        "Seconds before the first retry; doubles with each further retry.",
    )
    timeout: float = bounded(30.0, 0.1, 300, "seconds", "Seconds to wait for one response.")
    breaker_threshold: int = bounded(
        5,
        1,
        1000,
        "answers",
        "Consecutive blocked (or login-expired) answers that stop a source's crawl.",
    )
    autothrottle: bool = Field(True, description="Adapt the delay to the platform's latency.")
    wechat_list: Literal["appmsgpublish", "appmsg"] = Field(
        "appmsgpublish", description="WeChat list endpoint: appmsgpublish (newer) or appmsg."
    )
    evidence_days: int = bounded(
        400,
        1,
        3650,
        "days",
        "Keep raw responses this many days; their SHA-256 is kept forever.",
    )
    batch_size: int = bounded(
        500, 1, 10_000, "observations", "Observations written per store transaction."
    )
    process_per_source: bool = Field(
        False,
        description="Crawl each source in its own process: faster on several cores, and one "
        "failing source cannot stop the others, at about 90 MB of memory per source.",
    )


class Person(StrictModel):
    """A responsible person (责任到人): a name and a phone or an e-mail."""

    name: str = Field(min_length=1, description=N_("Full name."))
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
            raise ValueError(
                _("not a phone number: {value}; write 13800000000 or 0391-1234567").format(
                    value=shown(value)
                )
            )
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL_RE.match(value):
            raise ValueError(_("not an e-mail address: {value}").format(value=shown(value)))
        return value

    @model_validator(mode="after")
    def _reachable(self) -> Person:
        if not self.phone and not self.email:
            raise ValueError(_("add a phone or an e-mail (责任到人)"))
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

    id: str = Field(
        pattern=ID_PATTERN, description=N_("Unique id: lowercase letters, digits, '-'.")
    )
    name: str = Field(min_length=1, description=N_("The account's name as shown on the platform."))
    platform: Platform = Field(description=N_("Where the account lives."))
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
    owner: Person = Field(description=N_("The person responsible (责任到人)."))
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
            raise ValueError(
                _("must be an http:// or https:// URL, got {value}").format(value=shown(value))
            )
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
                named = f"`{key}`" if len(key) <= QUOTE_LIMIT else shown(key)
                if close:
                    raise ValueError(
                        _("unknown selector {named}; did you mean `{close}`?").format(
                            named=named, close=close[0]
                        )
                    )
                raise ValueError(
                    _("unknown selector {named}; use {allowed}").format(
                        named=named, allowed=", ".join(allowed)
                    )
                )
        if "item" not in value:
            raise ValueError(_("selectors need `item:`, the CSS selector of one list row"))
        from cssselect import GenericTranslator, SelectorError

        for key, css in value.items():
            try:
                GenericTranslator().css_to_xpath(css)
            except SelectorError as exc:
                raise ValueError(
                    _("selectors.{key}: {css} is not a CSS selector ({error})").format(
                        key=key, css=shown(css), error=exc
                    )
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
            raise ValueError(
                _("source {source} needs `{key}:`").format(source=self.source.value, key=needed)
            )
        if self.selectors is not None and self.source is not Source.WEB:
            raise ValueError(_("`selectors:` only applies to source: web"))
        missing = [
            name
            for name in CLOSURE_REQUIRED[self.status]
            if self.closure is None or getattr(self.closure, name) is None
        ]
        if missing:
            keys = ", ".join(f"closure.{name}" for name in missing)
            options = " ".join(f"--{name.replace('_', '-')} …" for name in missing)
            raise ValueError(
                _("status {status} needs {keys}; add them, or run `{command}`").format(
                    status=self.status.value,
                    keys=keys,
                    command=f"govmedia close {self.id} {options}",
                )
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

    id: str = Field(
        pattern=ID_PATTERN, description=N_("Unique id: lowercase letters, digits, '-'.")
    )
    name: str = Field(min_length=1, description=N_("Full name, e.g. 博爱县公安局."))
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
        raise ValueError(
            _('write the time in quotes, e.g. "17:30" (got {value})').format(value=shown(value))
        )
    match = HHMM_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            _('{value} is not a time of day; write it as "08:30"').format(value=shown(value))
        )
    return f"{int(match.group(1)):02d}:{match.group(2)}"


class NotifyChannel(StrictModel):
    """One way out for notifications. Secrets (password, webhook URL with its key, signing
    secret, bearer token) are named by their environment variable, never written here."""

    id: str = Field(pattern=ID_PATTERN, description=N_("Unique id, e.g. mail or wecom-group."))
    kind: ChannelKind = Field(description=N_("email | wecom | dingtalk | webhook."))
    audience: list[Audience] = Field(
        default_factory=lambda: [Audience.ALERTS, Audience.SUMMARY],
        description="alerts (to owners and contacts) and/or summary (to supervisors).",
    )
    max_per_cycle: int = bounded(
        20, 1, 1000, "messages", "Messages sent per cycle; the rest wait (robots allow 20/min)."
    )
    timeout: float = bounded(20.0, 0.1, 120, "seconds", "Seconds to wait for the server.")
    host: str | None = Field(None, description="email: SMTP server host.")
    port: int | None = bounded(
        None, 1, 65535, "", "email: port (default 587 starttls, 465 ssl, 25)."
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
                _(
                    "{value} is not an environment variable name; write it in capitals, "
                    "e.g. GOVMEDIA_SMTP_PASSWORD"
                ).format(value=shown(value))
            )
        return value

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL_RE.match(value):
            raise ValueError(_("not an e-mail address: {value}").format(value=shown(value)))
        return value

    @model_validator(mode="after")
    def _keys_of_kind(self) -> NotifyChannel:
        allowed, needed = CHANNEL_KEYS[self.kind]
        for name in (key for keys, _needed in CHANNEL_KEYS.values() for key in keys):
            if name in allowed or name not in self.model_fields_set:
                continue
            raise ValueError(
                _("`{key}:` does not apply to kind: {kind}").format(key=name, kind=self.kind.value)
            )
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(
                _("kind {kind} needs {keys}").format(
                    kind=self.kind.value, keys=", ".join(f"`{m}:`" for m in missing)
                )
            )
        if self.kind is ChannelKind.EMAIL and self.username and not self.password_env:
            raise ValueError(
                _("`username:` needs `password_env:` (the password stays in the environment)")
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

    max_attempts: int = bounded(8, 1, 100, "attempts", "Attempts before a message is given up.")
    backoff_minutes: float = bounded(5.0, 1, 1440, "minutes", "Wait after the first failure.")
    max_backoff_hours: float = bounded(
        24.0, 0.1, 168, "hours", "The longest wait between attempts."
    )


class NotifySettings(StrictModel):
    """Who is told what, and how (第一时间对接各单位账号负责人)."""

    channels: list[NotifyChannel] = Field(default_factory=list, description="Ways out.")
    supervisors: list[Person] = Field(
        default_factory=list, description="Get the weekly summary and notices."
    )
    unknown_alert_after_days: int = bounded(
        3, 1, 365, "days", "Alert when an account has been unknown this many days."
    )
    operators: list[Person] = Field(
        default_factory=list,
        description="Run govmedia: told when a platform login is about to expire or has expired.",
    )
    login_warn_hours: int = bounded(
        24, 1, 720, "hours", "Remind the operators this many hours before a login expires."
    )
    retry: RetrySettings = Field(default_factory=RetrySettings, description="Retries.")

    @model_validator(mode="after")
    def _unique_ids(self) -> NotifySettings:
        ids = [channel.id for channel in self.channels]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(_("duplicate channel id {id}").format(id=shown(duplicates[0])))
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
    day: int = bounded(1, 1, 28, "", "Day of the month the last period's notice is due.")
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
    heartbeat_minutes: int = bounded(15, 1, 1440, "minutes", "Minutes between heartbeat log lines.")
    crawl_timeout_minutes: int = bounded(
        120,
        1,
        1440,
        "minutes",
        "A crawl running longer is stopped (its accounts stay unknown).",
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
    max_bytes: int = bounded(
        5_000_000, 10_000, 1_000_000_000, "bytes", "Size at which the file rotates."
    )
    backup_count: int = bounded(5, 0, 100, "files", "Rotated files kept.")


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
    notice_deadline_days: int = bounded(
        15, 1, 180, "days", "Days after a notice's date by which problems are fixed."
    )
    site_url: str | None = Field(
        None, description="Public URL of the output folder, for links in mail and chat."
    )
    trend_weeks: int = bounded(12, 2, 104, "weeks", "Weeks in the pass-rate trend.")
    history_weeks: int = bounded(26, 1, 104, "weeks", "Weeks on each account's page.")
    formats: list[Literal["html", "xlsx", "md", "csv"]] = Field(
        default_factory=lambda: ["html", "xlsx", "md", "csv"],
        min_length=1,
        description="Formats of the weekly report.",
    )

    @field_validator("site_url")
    @classmethod
    def _site_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(
                _("must be an http:// or https:// URL, got {value}").format(value=shown(value))
            )
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


class CaseDeadlines(StrictModel):
    """Working days (工作日, holidays and 调休 workdays as the State Council sets them) a unit has
    to fix each kind of problem, counted from the day its case opens."""

    veto: int = bounded(5, 1, 60, "working days", "单项否决: post again.")
    flagged: int = bounded(
        10, 1, 60, "working days", "Zombie or flagged: post again, or apply for closure."
    )
    relaunched: int = bounded(3, 1, 60, "working days", "A closed account posting again: stop it.")
    unverifiable: int = bounded(
        5, 1, 60, "working days", "Unverifiable: fix the identifier or report by hand."
    )
    unfiled: int = bounded(10, 1, 60, "working days", "Not filed (未报备): file it.")
    unenrolled: int = bounded(
        10, 1, 60, "working days", "Not in the supervision platforms: enrol it."
    )
    unregistered: int = bounded(10, 1, 60, "working days", "Found, not in the ledger: register.")
    closure_overdue: int = bounded(10, 1, 60, "working days", "A closure overdue: complete it.")


class CaseSettings(StrictModel):
    """Cases (整改跟踪): one per problem found, raised with its owner, closed when fixed."""

    enabled: bool = Field(True, description="False opens no cases (the rest of the cycle runs).")
    deadlines: CaseDeadlines = Field(
        default_factory=CaseDeadlines, description="Working days to fix, per kind of problem."
    )
    unverifiable_after_days: int = bounded(
        7, 1, 365, "days", "An account unknown this long gets a case."
    )


class Config(StrictModel):
    """The whole of config.yaml."""

    jurisdiction: str = Field(min_length=1, description=N_("Shown on reports, e.g. 博爱县."))
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
    discover: DiscoverSettings = Field(
        default_factory=lambda: DiscoverSettings(), description="Sweeps for unregistered accounts."
    )
    cases: CaseSettings = Field(
        default_factory=CaseSettings, description="Cases (整改跟踪) and their deadlines."
    )
    notice: NoticeSettings = Field(
        default_factory=lambda: NoticeSettings(),
        description="The notice's 版头: 发文机关标志 and 发文字号 (GB/T 9704).",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                _("unknown time zone {value}; use {zone}").format(
                    value=shown(value), zone=LOCAL_TZ_NAME
                )
            ) from None
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


class DiscoverSettings(StrictModel):
    """`discover:`: the sweep for government accounts the ledger does not hold (排查).

    Keywords are the jurisdiction's name and every department's name, plus `keywords`. A found
    account is ours when its name or its verified entity names the jurisdiction (or one of
    `aliases`), and governmental when the platform verified an entity, or (WeChat, which shows no
    verification in its search) when its name holds one of `government_words`."""

    keywords: list[str] = Field(
        default_factory=list, description="Extra search keywords, e.g. 博爱发布."
    )
    aliases: list[str] = Field(
        default_factory=list, description="Other names of the jurisdiction, e.g. 博爱."
    )
    government_words: list[str] = Field(
        default_factory=lambda: list(DEFAULT_GOVERNMENT_WORDS),
        description="Words in a name that mark a government account where the platform says not.",
    )
    sources: list[Literal["weibo", "wechat", "bilibili"]] = Field(
        default_factory=lambda: ["weibo", "wechat", "bilibili"],
        description="Sources swept (others are swept by a person: `discover --manual`).",
    )
    max_keywords: int = bounded(200, 1, 5000, "keywords", "At most this many keywords a sweep.")
    every_days: int = bounded(
        0, 0, 365, "days", "The cycle sweeps when the last sweep is this old; 0: only by hand."
    )


DEFAULT_GOVERNMENT_WORDS: tuple[str, ...] = (
    "人民政府", "政府", "发布", "政务", "委员会", "局", "办公室", "中心", "大队", "支队",
    "派出所", "法院", "检察院", "人大", "政协", "街道", "融媒", "委", "站", "所", "镇", "乡",
)  # fmt: skip


# The placeholders a notice's number_format may use (filled in by reports.notice).
NOTICE_NUMBER_FIELDS = ("year", "seq", "short", "jurisdiction")


class NoticeSettings(StrictModel):
    """`notice:`: the notice's 版头 (GB/T 9704): the 发文机关标志 in red and the 发文字号 below it."""

    issuing_authority: str | None = Field(
        None,
        min_length=1,
        description="发文机关标志, printed in red above the notice, e.g. 博爱县人民政府办公室文件; "
        "default: reports.issuer.",
    )
    number_format: str = Field(
        "{short}政办〔{year}〕{seq}号",
        min_length=1,
        description="发文字号: {year} the period's year, {seq} its month (1–12) or quarter (1–4), "
        "{short} the jurisdiction's first character, {jurisdiction} its name.",
    )

    @field_validator("number_format")
    @classmethod
    def _number_format(cls, value: str) -> str:
        import string

        try:
            names = [part[1] for part in string.Formatter().parse(value) if part[1] is not None]
        except ValueError:
            raise ValueError(
                _("{value}: a brace without its pair; write a placeholder as {{year}}").format(
                    value=shown(value)
                )
            ) from None
        unknown = [n for n in names if n not in NOTICE_NUMBER_FIELDS]
        if unknown:
            allowed = ", ".join(f"{{{n}}}" for n in NOTICE_NUMBER_FIELDS)
            raise ValueError(
                _("unknown placeholder {{{name}}}; use {allowed}").format(
                    name=unknown[0], allowed=allowed
                )
            )
        return value


Config.model_rebuild()  # `discover` and `notice` are defined after Config (appended, small hunks)
