"""Simulated government sites: column list pages under `/sites/{host}/{path}`, in the layouts and
encodings real county sites use, and the feeds that share the prefix (spiders/simulator/feed.py).

Layouts (one per account, from the sample mapping or the account's hash):
- `ul`: UTF-8, `<li><a title>…</a><span>2026-11-24</span>`, an old [置顶] row and a dated sidebar;
- `bracket`: `<li><span>[2026-11-24]</span><a>…</a>`;
- `table-gbk`: GBK bytes declared `gb2312`, holding GBK-only characters (王镕), `2026/11/24` cells;
- `hanweb`: a Hanweb (大汉) `<datastore>` of CDATA records;
- `cn-date`: `<div>` rows dated `2026年11月24日`;
- `anchor-time`: date and time inside the link.

Profiles: never_posted is an empty column (暂无信息); deleted a 404; blocked a 412 瑞数 challenge;
auth_expired and passport a 200 JavaScript cookie challenge (sites have no login, but they do set
cookies by script); malformed a redesigned page with no dates at all. A column asked for without
its trailing slash is redirected (301) to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape

from registry.constants import LOCAL_TZ, Source
from spiders.simulator import feed
from spiders.simulator.server import SimRequest, SimResponse, fault_response
from spiders.simulator.world import LOGIN_PROFILES, Profile, SimAccount, crc

ROWS = 20
PINNED_AGE_DAYS = 300
LAYOUTS = ("ul", "bracket", "table-gbk", "hanweb", "cn-date", "anchor-time")
SAMPLE_LAYOUTS = {"xzf-web-zwyw": "ul", "jyj-web-tzgg": "table-gbk", "zrzyj-web-gsgg": "hanweb"}
TITLES = (
    "县委书记王镕调研重点项目建设",
    "关于做好冬季安全生产工作的通知",
    "2026年度政府信息公开工作年度报告",
    "县政府召开常务会议研究部署近期工作",
    "关于公布行政许可事项清单的公告",
    "副县长李珺督导秋冬季森林防火",
    "不动产登记公告",
    "惠民惠农财政补贴资金发放情况公示",
)

RUISHU_412 = (
    '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; '
    'charset=utf-8"><meta id="9DhefwqGPrzGxEp9" content="sim">'
    "<script type=\"text/javascript\" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};"
    '$_ts.nsd=48213;$_ts.cd="qqqCrpAlr1Vprqqt";</script>'
    '<script type="text/javascript" src="/4QbVtADbnLVIc/d.FxJzG50F3.js" r=\'m\'></script>'
    "</head><body></body></html>"
)
JS_COOKIE = (
    '<html><head><meta charset="utf-8"></head><body><script>'
    "document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')+('a')"
    "+('n')+('c')+('e')+'=1795838400.271|0|qH%2FXBv2yD5Dn;max-age=3600;path=/';"
    "location.href=location.pathname+location.search</script></body></html>"
)
EMPTY_COLUMN = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}</title></head><body>'
    '<div class="list"><ul></ul><p class="no-data">暂无信息</p></div></body></html>'
)
REDESIGNED = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}</title></head><body>'
    '<div id="app"></div><script src="/static/js/app.8f3a.js"></script>'
    "<noscript>请开启JavaScript后访问</noscript></body></html>"
)


def layout_of(account: SimAccount) -> str:
    """The sample's layout, else one named by a path segment (`/hanweb/`), else by hash."""
    named = [layout for layout in LAYOUTS if f"/{layout}/" in account.identifier]
    return (
        SAMPLE_LAYOUTS.get(account.account_id or "")
        or (named[0] if named else None)
        or LAYOUTS[account.seed % len(LAYOUTS)]
    )


def serve_site(request: SimRequest) -> SimResponse:
    """Everything under `/sites/`: a configured feed is a feed, anything else a column page."""
    world = request.world
    if (Source.FEED, request.path) in world.accounts:
        return feed.serve_feed(request, world.site(request.path, Source.FEED))
    if (Source.WEB, request.path) not in world.accounts and _looks_like_feed(request.path):
        return feed.serve_feed(request, world.site(request.path, Source.FEED))
    if (Source.WEB, request.path) not in world.accounts and (
        Source.WEB,
        request.path + "/",
    ) in world.accounts:  # a column asked for without its slash moves, as real sites answer
        return SimResponse(
            status=301, headers={"Location": request.path + "/"}, content_type="text/html"
        )
    return serve_column(request, world.site(request.path, Source.WEB))


def _looks_like_feed(path: str) -> bool:
    return path.endswith((".xml", ".rss", ".atom")) or "/feed" in path or "/rss" in path


def serve_column(request: SimRequest, account: SimAccount) -> SimResponse:
    fault = fault_response(request, account)
    if fault is not None:
        return fault
    profile = account.profile
    name = escape(account.name)
    if profile is Profile.DELETED:
        return SimResponse.html("<h1>404</h1><p>您访问的页面不存在</p>", status=404)
    if profile is Profile.BLOCKED:
        return SimResponse.html(RUISHU_412, status=412)
    if profile in LOGIN_PROFILES:
        return SimResponse.html(JS_COOKIE)
    if profile is Profile.MALFORMED:
        return SimResponse.html(REDESIGNED.format(name=name))
    times = request.world.post_times(account, request.now)[:ROWS]
    if not times:
        return SimResponse.html(EMPTY_COLUMN.format(name=name))
    layout = layout_of(account)
    rows = [_Row(account, request.path, t) for t in times]
    pinned = _Row(account, request.path, times[-1] - PINNED_AGE_DAYS * 86400, pinned=True)
    html = RENDER[layout](name, rows, pinned)
    if layout == "table-gbk":
        response = SimResponse(body=html.encode("gbk"), content_type="text/html")
    else:
        response = SimResponse.html(html)
    if profile is Profile.SLOW:
        response.delay = request.world.slow_seconds
    return response


class _Row:
    """One post as a list row: its date, title and link."""

    def __init__(self, account: SimAccount, path: str, t: int, *, pinned: bool = False) -> None:
        self.local = dt.datetime.fromtimestamp(t, LOCAL_TZ)
        self.title = escape(TITLES[crc(account.seed, t) % len(TITLES)])
        self.pinned = pinned
        n = crc(account.seed, "art", t) % 1_000_000
        self.href = f"{path}{self.local:%Y%m}/t{self.local:%Y%m%d}_{n}.html"
        self.hanweb_href = f"/art/{self.local:%Y/%m/%d}/art_{account.seed % 90000}_{n}.html"

    def date(self, fmt: str = "%Y-%m-%d") -> str:
        return self.local.strftime(fmt)

    @property
    def cn_date(self) -> str:
        return f"{self.local.year}年{self.local.month}月{self.local.day}日"


def _page(name: str, body: str, *, charset: str = "utf-8") -> str:
    meta = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        if charset != "utf-8"
        else '<meta charset="utf-8">'
    )
    return (
        f"<!DOCTYPE html><html><head>{meta}<title>{name}</title></head><body>"
        '<div class="nav"><a href="/">首页</a> <a href="/zwgk/">政务公开</a></div>'
        f'{body}<div class="footer">主办：博爱县人民政府 更新时间：</div></body></html>'
    )


def _ul(name: str, rows: list[_Row], pinned: _Row) -> str:
    side = "".join(
        f'<li><a href="/rdtj/{i}.html">热点推荐{i}</a><span>{rows[0].date()}</span></li>'
        for i in range(2)
    )
    items = f'<li class="top"><span>[置顶]</span><a href="{pinned.href}" title="{pinned.title}">'
    items += f'{pinned.title}</a><span class="date">{pinned.date()}</span></li>'
    items += "".join(
        f'<li><a href="{r.href}" title="{r.title}">{r.title}</a><span class="date">{r.date()}'
        "</span></li>"
        for r in rows
    )
    return _page(
        name,
        f'<div class="main"><ul class="list">{items}</ul></div>'
        f'<div class="side"><ul class="hot">{side}</ul></div>',
    )


def _bracket(name: str, rows: list[_Row], _pinned: _Row) -> str:
    items = "".join(
        f'<li><span class="time">[{r.date()}]</span> <a href="{r.href}">{r.title}</a></li>'
        for r in rows
    )
    return _page(name, f'<div class="list_box"><ul>{items}</ul></div>')


def _table_gbk(name: str, rows: list[_Row], _pinned: _Row) -> str:
    trs = "".join(
        f'<tr><td><a href="{r.href}">{r.title}</a></td><td>{r.date("%Y/%m/%d")}</td></tr>'
        for r in rows
    )
    body = f'<table class="list"><tr class="head"><td>标题</td><td>日期</td></tr>{trs}</table>'
    return _page(name, body, charset="gb2312")


def _hanweb(name: str, rows: list[_Row], _pinned: _Row) -> str:
    records = "".join(
        f'<record><![CDATA[\n<li><a href="{r.hanweb_href}" target="_blank" title="{r.title}">'
        f'{r.title}</a><span class="bt-data-time">{r.date()}</span></li>\n]]></record>\n'
        for r in rows
    )
    body = (
        '<div id="4812873"><script type="text/xml"><datastore>\n'
        '<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1"></a>]]>'
        f"</nextgroup>\n<recordset>\n{records}</recordset>\n</datastore></script>"
        '<script language="javascript" src="/module/web/jpage/unitbuild.js"></script></div>'
    )
    return _page(name, body)


def _cn_date(name: str, rows: list[_Row], _pinned: _Row) -> str:
    items = "".join(
        f'<div class="item"><a href="{r.href}">{r.title}</a><i>{r.cn_date}</i></div>' for r in rows
    )
    return _page(name, f'<div class="xzdt">{items}</div>')


def _anchor_time(name: str, rows: list[_Row], _pinned: _Row) -> str:
    items = "".join(
        f'<li><a href="{r.href}"><p class="tit">{r.title}</p>'
        f'<span class="time">{r.date("%Y-%m-%d %H:%M")}</span></a></li>'
        for r in rows
    )
    return _page(name, f'<div class="news-list"><ul>{items}</ul></div>')


RENDER: dict[str, Callable[[str, list[_Row], _Row], str]] = {
    "ul": _ul,
    "bracket": _bracket,
    "table-gbk": _table_gbk,
    "hanweb": _hanweb,
    "cn-date": _cn_date,
    "anchor-time": _anchor_time,
}

ROUTES = {"/sites/": serve_site}
