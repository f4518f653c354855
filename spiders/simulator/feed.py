"""Simulated feed bridges: RSSHub (RSS, `GMT`), we-mp-rss (RSS, `+0800`), a local bridge that
leaves the zone out, and Atom. Served under `/sites/{host}/{path}` by the web module's dispatcher,
since feeds and government sites share that prefix (see `point_config_at`).

Profiles: posting profiles serve their newest `ITEMS` posts; never_posted an empty channel;
deleted a 404 (RSSHub's "user not found"); blocked a 403 from the bridge's upstream; auth_expired
a 401 (we-mp-rss when the WeChat login lapsed); malformed a truncated document.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Callable
from xml.sax.saxutils import escape

from registry.constants import LOCAL_TZ
from spiders.simulator.server import SimRequest, SimResponse, fault_response
from spiders.simulator.world import LOGIN_PROFILES, Profile, SimAccount, crc

ITEMS = 20
STYLES = ("rsshub", "wemprss", "local", "atom")
# The sample ledger's feeds, so the demo shows each style.
SAMPLE_STYLES = {"gaj-douyin": "rsshub", "whlyj-douyin": "atom", "xlz-wechat": "wemprss"}
TITLES = (
    "反诈宣传进万家",
    "冬季安全出行提示",
    "便民服务事项办理指南",
    "青天河红叶正当时",
    "清化竹编非遗展示",
    "基层治理工作动态",
    "政策解读：惠企措施一图读懂",
    "志愿服务在行动",
)


def style_of(account: SimAccount) -> str:
    """The sample's style, else one named by a path segment (`/atom/`), else by hash."""
    named = [style for style in STYLES if f"/{style}/" in account.identifier]
    return (
        SAMPLE_STYLES.get(account.account_id or "")
        or (named[0] if named else None)
        or STYLES[account.seed % len(STYLES)]
    )


def item_title(account: SimAccount, t: int) -> str:
    return f"{account.name}｜{TITLES[crc(account.seed, t) % len(TITLES)]}"


def item_link(account: SimAccount, t: int) -> str:
    return f"https://www.douyin.com/video/74{crc(account.seed, 'v', t):010d}{t % 10_000_000:07d}"


def serve_feed(request: SimRequest, account: SimAccount) -> SimResponse:
    fault = fault_response(request, account)
    if fault is not None:
        return fault
    profile = account.profile
    if profile is Profile.DELETED:
        return SimResponse.html("<h1>Error</h1><p>user not found</p>", status=404)
    if profile is Profile.BLOCKED:
        return SimResponse.html("<h1>403 Forbidden</h1><p>upstream refused</p>", status=403)
    if profile in LOGIN_PROFILES:
        return SimResponse.html("<h1>401</h1><p>微信登录已失效，请重新扫码</p>", status=401)
    times = request.world.post_times(account, request.now)[:ITEMS]
    style = style_of(account)
    body = (_atom if style == "atom" else _rss)(account, times, style).encode("utf-8")
    if profile is Profile.MALFORMED:
        body = body[: max(60, len(body) * 2 // 3)]  # cut mid-document, as a dropped proxy does
    response = SimResponse(
        body=body,
        content_type="application/atom+xml; charset=utf-8"
        if style == "atom"
        else "application/rss+xml; charset=utf-8",
    )
    if profile is Profile.SLOW:
        response.delay = request.world.slow_seconds
    return response


def _pubdate(style: str) -> Callable[[int], str]:
    def rsshub(t: int) -> str:
        return email.utils.format_datetime(dt.datetime.fromtimestamp(t, dt.UTC), usegmt=True)

    def wemprss(t: int) -> str:
        return email.utils.format_datetime(dt.datetime.fromtimestamp(t, LOCAL_TZ))

    def local(t: int) -> str:  # "Mon, 23 Nov 2026 20:05:00": Shanghai time, no zone
        return dt.datetime.fromtimestamp(t, LOCAL_TZ).strftime("%a, %d %b %Y %H:%M:%S")

    return {"rsshub": rsshub, "wemprss": wemprss, "local": local}[style]


def _rss(account: SimAccount, times: tuple[int, ...], style: str) -> str:
    pubdate = _pubdate(style)
    items = "".join(
        "<item>"
        f"<title><![CDATA[{item_title(account, t)}]]></title>"
        f"<pubDate>{pubdate(t)}</pubDate>"
        f'<guid isPermaLink="false">{item_link(account, t)}</guid>'
        f"<link>{item_link(account, t)}</link>"
        "</item>\n"
        for t in times
    )
    generator = {"rsshub": "RSSHub", "wemprss": "we-mp-rss"}.get(style, "bridge")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
        f"<title>{escape(account.name)}</title>"
        f"<link>https://www.douyin.com/user/{crc('user', account.seed)}</link>"
        f"<description>{escape(account.name)} - {generator}</description>"
        f"<generator>{generator}</generator>\n{items}</channel></rss>\n"
    )


def _atom(account: SimAccount, times: tuple[int, ...], _style: str) -> str:
    def iso(t: int) -> str:
        return dt.datetime.fromtimestamp(t, LOCAL_TZ).isoformat()

    entries = "".join(
        "<entry>"
        f"<title>{escape(item_title(account, t))}</title>"
        f"<id>{item_link(account, t)}</id>"
        f'<link href="{item_link(account, t)}" rel="alternate"/>'
        f"<published>{iso(t)}</published>"
        f"<updated>{iso(t + 600)}</updated>"  # an edit after publishing: never the publish time
        "</entry>\n"
        for t in times
    )
    updated = iso(times[0] + 600) if times else "2020-01-01T00:00:00+08:00"
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<title>{escape(account.name)}</title><id>tag:simulator,{account.seed}</id>"
        f"<updated>{updated}</updated>\n{entries}</feed>\n"
    )
