"""数据源状态: per crawled source, its last successful crawl and its login (state and expiry), so
that a reader sees why accounts are 无法核验 and whether someone must log in again.

Read from the store (crawl observations) and from the stored logins (registry/credentials.py,
next to a SQLite store); the environment's logins show as such, their expiry unknown. Never a
secret: only who logged in and until when.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlalchemy import Engine, func, select

from registry import credentials
from registry.constants import SOURCE_LABELS, Outcome, Source
from registry.models import Config
from registry.store import observations as obs
from reports.contexts import SourceStatus

# The sources whose crawl needs a login, and the environment variables that give one.
LOGIN_ENV = {
    Source.WECHAT: ("GOVMEDIA_WECHAT_TOKEN", "GOVMEDIA_WECHAT_COOKIE"),
    Source.WEIBO: ("GOVMEDIA_WEIBO_COOKIE",),
}


def source_statuses(
    engine: Engine,
    config: Config,
    *,
    now: dt.datetime,
    logins: Path | None = None,
    warn_hours: int | None = None,
) -> list[SourceStatus]:
    """One row per source the ledger crawls (ledger order of first appearance). `logins`: the
    stored logins file (registry.credentials.credentials_path: beside a SQLite store, else
    beside config.yaml), None when there is none to read."""
    tz = config.tz
    warn = dt.timedelta(hours=warn_hours or config.notify.login_warn_hours)
    sources: list[Source] = []
    for _, account in config.iter_accounts():
        source = account.effective_source
        if source is not Source.MANUAL and source not in sources:
            sources.append(source)
    if not sources:
        return []
    crawled = obs.c.crawl_id.is_not(None)
    with engine.connect() as conn:
        last_ok = dict(
            conn.execute(
                select(obs.c.source, func.max(obs.c.at))
                .where(crawled, obs.c.outcome == Outcome.OK.value)
                .group_by(obs.c.source)
            ).all()
        )
        last_any = dict(
            conn.execute(
                select(obs.c.source, func.max(obs.c.at)).where(crawled).group_by(obs.c.source)
            ).all()
        )
        last_outcomes: dict[str, set[str]] = {}
        for source, at in last_any.items():
            crawl_id = conn.execute(
                select(obs.c.crawl_id).where(obs.c.source == source, obs.c.at == at).limit(1)
            ).scalar_one()
            last_outcomes[source] = set(
                conn.execute(
                    select(obs.c.outcome).where(obs.c.source == source, obs.c.crawl_id == crawl_id)
                ).scalars()
            )
    try:
        stored = credentials.load(logins) if logins is not None else credentials.Credentials()
    except credentials.CredentialsError:
        stored = credentials.Credentials()
    out = []
    for source in sources:
        key = source.value
        ok_at = last_ok.get(key)
        failed_login = last_outcomes.get(key) == {Outcome.AUTH_EXPIRED.value}
        login, origin, expires = _login(source, stored, now, warn)
        if failed_login and login in ("有效", "即将过期", "环境变量", "访客 Cookie"):
            login = "登录失效"
        out.append(
            SourceStatus(
                source=key,
                label=SOURCE_LABELS.get(source, key),
                last_ok=ok_at.astimezone(tz) if ok_at else None,
                login=login,
                login_from=origin,
                expires_at=expires.astimezone(tz) if expires else None,
                attention=login in ("即将过期", "已过期", "登录失效", "未登录"),
            )
        )
    return out


def _login(
    source: Source, stored: credentials.Credentials, now: dt.datetime, warn: dt.timedelta
) -> tuple[str, str, dt.datetime | None]:
    """(state, where from, expiry) of a source's login."""
    names = LOGIN_ENV.get(source)
    if names is None:
        return "无需登录", "—", None
    if all(os.environ.get(n) for n in names):
        return "环境变量", "环境变量 " + "、".join(names), None
    if source is Source.WEIBO:
        visitor = stored.weibo_visitor
        if visitor is not None and visitor.valid(now):
            return "访客 Cookie", "微博访客通行证（自动获取）", visitor.expires_at
        return "访客 Cookie", "微博访客通行证（采集时自动获取）", None
    sessions = stored.wechat
    if not sessions:
        return "未登录", "—", None
    live = [s for s in sessions if not s.expired(now)]
    who = "、".join(s.account for s in (live or sessions))
    ends = [s.expires_at for s in (live or sessions) if s.expires_at is not None]
    expires = min(ends) if ends else None
    if not live:
        return "已过期", f"扫码登录（{who}）", max(ends) if ends else None
    if expires is not None and expires - warn <= now:
        return "即将过期", f"扫码登录（{who}）", expires
    return "有效", f"扫码登录（{who}）", expires
