"""Where each source's login comes from, until when it lasts, whether the platform still takes
it (`govmedia login status`), and the reminders the cycle sends before and at its expiry.

A login comes from the environment (GOVMEDIA_WECHAT_TOKEN and _COOKIE, GOVMEDIA_WEIBO_COOKIE:
these win, their expiry is unknown) or from the stored logins (registry/credentials.py), which
are read afresh at every cycle, so a new `govmedia login wechat` counts without a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from registry import credentials
from registry.config import LoadedConfig, store_url
from registry.constants import LOCAL_TZ, Source
from registry.i18n import _

WECHAT_TOKEN_ENV = "GOVMEDIA_WECHAT_TOKEN"
WECHAT_COOKIE_ENV = "GOVMEDIA_WECHAT_COOKIE"
WEIBO_COOKIE_ENV = "GOVMEDIA_WEIBO_COOKIE"
DEFAULT_BASE = {Source.WEIBO: "https://m.weibo.cn", Source.WECHAT: "https://mp.weixin.qq.com"}
LOGIN_COMMAND = "govmedia login wechat"

# Login states (`login status`, the reports' 数据源状态)
OK, EXPIRED, BLOCKED, UNTESTED, NONE, ERROR = (
    "ok",
    "expired",
    "blocked",
    "untested",
    "none",
    "error",
)


@dataclass
class Credential:
    """One login of one source, as `login status` shows it (never its value)."""

    source: Source
    origin: str  # "environment (NAME)" | "stored (PATH)" | "none"
    account: str  # who logged in, when known
    logged_in_at: dt.datetime | None
    expires_at: dt.datetime | None
    state: str = UNTESTED
    detail: str = ""
    token: str = ""  # for the live test only: never printed
    cookie: str = ""

    def to_json(self) -> dict[str, Any]:
        def iso(value: dt.datetime | None) -> str | None:
            return value.astimezone(LOCAL_TZ).isoformat() if value else None

        return {
            "source": self.source.value,
            "origin": self.origin,
            "account": self.account,
            "logged_in_at": iso(self.logged_in_at),
            "expires_at": iso(self.expires_at),
            "state": self.state,
            "detail": self.detail,
        }


def credentials_file(loaded: LoadedConfig) -> Path:
    return credentials.credentials_path(store_url(loaded), loaded.base_dir)


def source_credentials(
    loaded: LoadedConfig, now: dt.datetime, environ: Mapping[str, str] | None = None
) -> list[Credential]:
    """Every login the next crawl would use, per source: the environment's, else the stored."""
    env = os.environ if environ is None else environ
    path = credentials_file(loaded)
    stored = credentials.load(path)
    where = _("stored ({path})").format(path=path)
    run_login = _("run `{command}`").format(command=LOGIN_COMMAND)
    out: list[Credential] = []
    if env.get(WECHAT_TOKEN_ENV) and env.get(WECHAT_COOKIE_ENV):
        out.append(
            Credential(
                Source.WECHAT,
                _("environment ({names})").format(names=f"{WECHAT_TOKEN_ENV}, {WECHAT_COOKIE_ENV}"),
                "",
                None,
                None,
                token=env[WECHAT_TOKEN_ENV],
                cookie=env[WECHAT_COOKIE_ENV],
            )
        )
    elif stored.wechat:
        for session in stored.wechat:
            expired = session.expired(now)
            out.append(
                Credential(
                    Source.WECHAT,
                    where,
                    session.account,
                    session.logged_in_at,
                    session.expires_at,
                    state=EXPIRED if expired else UNTESTED,
                    detail=run_login if expired else "",
                    token=session.token,
                    cookie=session.cookie,
                )
            )
    else:
        out.append(
            Credential(Source.WECHAT, _("none"), "", None, None, state=NONE, detail=run_login)
        )
    if env.get(WEIBO_COOKIE_ENV):
        out.append(
            Credential(
                Source.WEIBO,
                _("environment ({names})").format(names=WEIBO_COOKIE_ENV),
                "",
                None,
                None,
                cookie=env[WEIBO_COOKIE_ENV],
            )
        )
    elif stored.weibo_visitor is not None:
        visitor = stored.weibo_visitor
        valid = visitor.valid(now)
        out.append(
            Credential(
                Source.WEIBO,
                _("{where}, visitor cookies").format(where=where),
                "visitor",
                visitor.obtained_at,
                visitor.expires_at,
                state=UNTESTED if valid else EXPIRED,
                detail="" if valid else _("new visitor cookies are fetched at the next crawl"),
                cookie=visitor.cookie,
            )
        )
    else:
        out.append(
            Credential(
                Source.WEIBO,
                _("none"),
                "",
                None,
                None,
                state=UNTESTED,  # not a fault: the crawl gets visitor cookies itself
                detail=_("visitor cookies are fetched at the next crawl"),
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# The live test: one harmless request with the login


def live_test(loaded: LoadedConfig, credential: Credential, timeout: float = 15.0) -> None:
    """Ask the platform once with this login; set `state` ok / expired / blocked / error."""
    config = loaded.config
    base = (config.sources.for_source(credential.source).base_url or "").rstrip("/")
    base = base or DEFAULT_BASE[credential.source]
    sample = next(
        (a for _department, a in config.iter_accounts() if a.effective_source is credential.source),
        None,
    )
    if credential.source is Source.WECHAT:
        if not credential.token:
            return
        query = sample.name if sample is not None else "政务"
        params = {
            "action": "search_biz",
            "begin": "0",
            "count": "5",
            "query": query,
            "token": credential.token,
            "lang": "zh_CN",
            "f": "json",
            "ajax": "1",
        }
        url = f"{base}/cgi-bin/searchbiz?{urlencode(params)}"
    else:
        if not credential.cookie:
            return  # the crawl gets visitor cookies itself
        if sample is None or not sample.identifier:
            credential.detail = credential.detail or _(
                "no Weibo account in the ledger to test with"
            )
            return
        url = f"{base}/api/container/getIndex?{urlencode({'type': 'uid', 'value': sample.identifier})}"
    headers = {"User-Agent": config.crawl.user_agent, "Accept": "application/json"}
    if credential.cookie:
        headers["Cookie"] = credential.cookie
    status, body, location = _get(url, headers, timeout)
    credential.state, credential.detail = _judge(credential.source, status, body, location)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str, headers: dict[str, str], timeout: float) -> tuple[int, bytes, str]:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http/s from config)
    try:
        with opener.open(request, timeout=timeout) as answer:
            return answer.status, answer.read(), ""
    except urllib.error.HTTPError as exc:
        return exc.code, b"", exc.headers.get("Location", "") if exc.headers else ""
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return 0, str(getattr(exc, "reason", exc)).encode(), ""


def _judge(source: Source, status: int, body: bytes, location: str) -> tuple[str, str]:
    if status == 0:
        return ERROR, _("no answer ({reason})").format(reason=body.decode("utf-8", "replace"))
    if 300 <= status < 400:
        host = urlsplit(location).hostname or ""
        return EXPIRED, _("redirected to the login page ({host})").format(host=host)
    if status in (403, 412, 418, 429, 432):
        return BLOCKED, f"HTTP {status}"
    if status != 200:
        return ERROR, f"HTTP {status}"
    try:
        payload = json.loads(body)
    except ValueError:
        return ERROR, _("the answer is not JSON")
    if source is Source.WECHAT:
        ret = (payload.get("base_resp") or {}).get("ret")
        if ret == 0:
            return OK, ""
        if ret == 200013:
            return BLOCKED, "base_resp.ret 200013 (freq control)"
        if ret == 200003:
            return EXPIRED, _("base_resp.ret 200003: run `{command}`").format(command=LOGIN_COMMAND)
        return ERROR, f"base_resp.ret {ret}"
    ok = payload.get("ok")
    if ok == -100:
        return EXPIRED, _("ok: -100 (Weibo wants a login)")
    return OK, ""


# ---------------------------------------------------------------------------------------------
# Reminders to the operators (the cycle, every run)


@dataclass(frozen=True)
class Reminder:
    kind: Any  # AlertKind.LOGIN_EXPIRING | LOGIN_EXPIRED
    source: Source
    account: str
    expires_at: dt.datetime | None


def due_reminders(
    found: list[Credential],
    failed_auth: set[Source],
    *,
    now: dt.datetime,
    warn_hours: int,
) -> list[Reminder]:
    """The reminders due now: a stored login within `warn_hours` of its expiry, or past it;
    a source whose whole crawl answered auth_expired (a login from the environment)."""
    from registry.constants import AlertKind

    out = []
    covered: set[Source] = set()
    for c in found:
        if c.expires_at is None or c.source is not Source.WECHAT:
            continue  # Weibo visitor cookies renew themselves at the next crawl
        if now >= c.expires_at:
            out.append(Reminder(AlertKind.LOGIN_EXPIRED, c.source, c.account, c.expires_at))
            covered.add(c.source)
        elif now >= c.expires_at - dt.timedelta(hours=warn_hours):
            out.append(Reminder(AlertKind.LOGIN_EXPIRING, c.source, c.account, c.expires_at))
    for source in sorted(failed_auth - covered, key=lambda s: s.value):
        out.append(Reminder(AlertKind.LOGIN_EXPIRED, source, "", None))
    return out


@dataclass(frozen=True)
class ReminderText:
    """A due reminder as the operators read it (subject and body, in Chinese)."""

    reminder: Reminder
    subject: str
    body: str


def login_reminders(
    loaded: LoadedConfig, failures: list[Any], *, now: dt.datetime
) -> list[ReminderText]:
    """The login reminders due now, with their text (logged; `cycle_step` queues them). The
    stored logins are read afresh, so a new login stops the reminders at the next cycle."""
    import logging

    from govmedia.alerts import local_text
    from registry.constants import ALERT_LABELS, SOURCE_LABELS, AlertKind, Outcome

    log = logging.getLogger("govmedia.login")
    config = loaded.config
    found = source_credentials(loaded, now)
    failed_auth = {f.source for f in failures if f.outcome is Outcome.AUTH_EXPIRED}
    due = due_reminders(found, failed_auth, now=now, warn_hours=config.notify.login_warn_hours)
    command = f"{LOGIN_COMMAND} -c {loaded.path.resolve()}"
    out = []
    for reminder in due:
        log.warning(
            "platform login needs attention",
            extra={
                "source": reminder.source.value,
                "kind": reminder.kind.value,
                "account": reminder.account,
                "expires_at": reminder.expires_at.isoformat() if reminder.expires_at else None,
            },
        )
        label = SOURCE_LABELS.get(reminder.source, reminder.source.value)
        who = f"（{reminder.account}）" if reminder.account else ""
        when = local_text(reminder.expires_at) if reminder.expires_at else None
        if reminder.kind is AlertKind.LOGIN_EXPIRING:
            what = f"{label}登录{who}将于 {when} 过期。过期后该平台的账号将无法核验。"
        elif when:
            what = f"{label}登录{who}已于 {when} 过期，该平台的账号目前无法核验。"
        else:
            what = f"{label}登录{who}已失效（本次采集全部返回登录失效），该平台的账号目前无法核验。"
        subject = f"【{config.jurisdiction}】{ALERT_LABELS[reminder.kind]}：{label}{who}"
        if reminder.source is Source.WECHAT:
            todo = (
                f"请运维人员在服务器上运行：\n  {command}\n"
                "并用公众号管理员的微信扫码确认；新登录在下一次采集时生效，无需重启。"
            )
        else:
            todo = f"请运维人员更新环境变量 {WEIBO_COOKIE_ENV}（或删除它，改用访客 Cookie）。"
        out.append(ReminderText(reminder, subject, f"{what}\n{todo}\n未处理前每天提醒一次。"))
    return out


def queue_login_reminders(
    loaded: LoadedConfig,
    engine: Any,
    due: list[ReminderText],
    *,
    now: dt.datetime,
) -> int:
    """Queue the reminders for `notify.operators`, each at most once a day per login and kind
    (before expiry, then at expiry and daily until a new login replaces it)."""
    from govmedia.alerts import Contact, _insert_new, _rows_for
    from registry.constants import Audience

    config = loaded.config
    operators = [Contact(p.name, p.phone, p.email) for p in config.notify.operators]
    channels = [c for c in config.notify.channels if Audience.SUMMARY in c.audience]
    if not due or not operators or not channels:
        return 0
    day = now.astimezone(LOCAL_TZ).date().isoformat()
    queued = 0
    for text in due:
        reminder = text.reminder
        base = {
            "account_id": None,
            "status_change_id": None,
            "kind": reminder.kind.value,
            "subject": text.subject,
            "body": text.body,
            "created_at": now,
            "attempts": 0,
        }
        expiry = reminder.expires_at.isoformat() if reminder.expires_at else "-"
        key = f"{reminder.kind.value}:{reminder.source.value}:{reminder.account}:{expiry}:{day}"
        rows = _rows_for(channels, Audience.SUMMARY, operators, key=key, base=base)
        queued += _insert_new(engine, rows)
    return queued


def cycle_step(loaded: LoadedConfig, engine: Any, result: Any, *, now: dt.datetime) -> None:
    """The cycle's login health step: queue what is due; a failure is recorded, the cycle
    goes on (as its rendering steps do)."""
    import logging

    try:
        due = login_reminders(loaded, result.failures, now=now)
        if loaded.config.notify.operators:  # what they are told (the demo prints it)
            result.login_reminders = [f"{t.subject}\n{t.body}" for t in due]
        result.queued += queue_login_reminders(loaded, engine, due, now=now)
    except Exception as exc:
        logging.getLogger("govmedia.login").exception("login health check failed")
        result.errors.append(
            _("login health: {error}").format(error=f"{type(exc).__name__}: {exc}")
        )
