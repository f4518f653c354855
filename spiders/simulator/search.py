"""Simulated account searches, for discovery: Weibo's user search, WeChat's `searchbiz` and
Bilibili's `wbi/search/type` (search_type=bili_user), true to the platforms' paths, parameters,
JSON shapes and error codes.

Who can be found: the world's accounts (the ledger's, by their platform name; a deleted one is
not found), and the accounts `add_discoverable(world, config)` puts around the ledger's
jurisdiction (`Listed`): unregistered government accounts, near-miss names of another
jurisdiction (博爱市 for 博爱县), another county's bureaus and personal accounts.

A query finds an account when it is part of the name or the verified entity, when what follows the
jurisdiction in it (公安局 of 博爱县公安局) is part of them, or (the jurisdiction itself) when
the name holds its stem (博爱): fuzzy, as a platform's search is.

A source in `SearchWorld.blocked` refuses every search: Weibo HTTP 418, WeChat `base_resp.ret`
200013, Bilibili code -412 请求被拦截.

Weibo and WeChat serve their search on paths their other modules serve too (getIndex, searchbiz):
`WRAPS` puts these handlers in front (spiders/simulator/routes.py); getIndex answers the search
container here and everything else there; searchbiz answers here unless the query is the exact
name of a world account, or names a profile (`weekly-…`, world.py's rule 3): a ledger crawl
finding a WeChat account by name, which stays there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.constants import Source
from registry.models import Config
from spiders import wbi
from spiders.simulator.bilibili import day_keys
from spiders.simulator.server import Handler, SimRequest, SimResponse
from spiders.simulator.world import Profile, SimAccount, World, crc, profile_from_text

WEIBO_CONTAINER = "100103type=3&q="
WEIBO_PAGE = 10
WECHAT_MAX = 5
BILIBILI_PAGE = 20
RATE_LIMITED = 200013


@dataclass(frozen=True, slots=True)
class Listed:
    """An account a search can find that the ledger's world does not hold."""

    source: Source
    identifier: str
    name: str
    entity: str | None = None
    verified_type: int = -1  # Weibo verified_type / Bilibili official_verify.type
    followers: int = 0
    description: str = ""


@dataclass
class SearchWorld:
    """What the simulated searches know beyond the world's own accounts."""

    jurisdiction: str = ""
    listed: list[Listed] = field(default_factory=list)
    blocked: set[Source] = field(default_factory=set)


def search_world(world: World) -> SearchWorld:
    """The world's search side (created empty on first use)."""
    found = world.__dict__.get("_search")
    if found is None:
        found = world.__dict__["_search"] = SearchWorld()
    return found


def stem_of(jurisdiction: str) -> str:
    """博爱县 → 博爱: the name without its level, as locals (and near misses) write it."""
    if len(jurisdiction) > 2 and jurisdiction[-1] in "县市区旗":
        return jurisdiction[:-1]
    return jurisdiction


def add_discoverable(world: World, config: Config) -> SearchWorld:
    """Put accounts around the ledger's jurisdiction into the world's searches (see module)."""
    found = search_world(world)
    county = config.jurisdiction
    stem = stem_of(county)
    near = stem + ("县" if county.endswith("市") else "市")  # 博爱市: not 博爱县
    other = "孟州市" if county == "温县" else "温县"
    found.jurisdiction = county
    w, x, b = Source.WEIBO, Source.WECHAT, Source.BILIBILI
    found.listed = [
        # Unregistered government accounts of the jurisdiction (the candidates).
        Listed(
            w, "7100000001", f"{county}退役军人事务局", f"{county}退役军人事务局官方微博", 1, 3120
        ),
        Listed(w, "7100000002", f"{stem}消防", f"{county}消防救援大队官方微博", 7, 8650),
        Listed(x, f"MzU{crc('x1', county):010d}==", f"{county}退役军人事务局"),
        Listed(b, "3546000001", f"{stem}消防", f"{county}消防救援大队官方账号", 1, 2210),
        # Near misses: another jurisdiction whose name starts the same.
        Listed(w, "7100000003", f"{near}退役军人事务局", f"{near}退役军人事务局官方微博", 1, 5400),
        Listed(x, f"MzU{crc('x3', county):010d}==", f"{near}政务服务中心"),
        # Another county's bureaus.
        Listed(w, "7100000004", f"{other}公安局", f"{other}公安局官方微博", 1, 40210),
        Listed(x, f"MzU{crc('x4', county):010d}==", f"{other}公安局"),
        Listed(b, "3546000003", f"{other}融媒", f"{other}融媒体中心官方账号", 1, 1320),
        # Personal accounts that name the county.
        Listed(w, "7100000005", f"{county}美食探店", "美食博主", 0, 12000, "吃遍" + county),
        Listed(w, "7100000006", f"爱{stem}的小王", None, -1, 85, "家乡" + stem),
        Listed(x, f"MzU{crc('x2', county):010d}==", f"{county}生活圈"),
        Listed(b, "3546000002", f"{county}旅游攻略", "bilibili 知名旅行UP主", 0, 56000),
    ]
    for entry in found.listed:  # a profile lookup, a crawl after registration: they exist
        world.add(SimAccount(entry.source, entry.identifier, entry.name, Profile.DAILY))
    return found


def _matches(query: str, jurisdiction: str, name: str, entity: str | None) -> bool:
    texts = (name, entity or "")
    if any(query in text for text in texts):
        return True
    if jurisdiction and query.startswith(jurisdiction) and len(query) > len(jurisdiction) + 1:
        core = query[len(jurisdiction) :]
        if any(core in text for text in texts):
            return True
    return bool(jurisdiction) and query == jurisdiction and stem_of(jurisdiction) in name


def _found(request: SimRequest, source: Source, query: str) -> list[Listed]:
    """Everyone on `source` the query finds: the exact name first, then names that hold the
    query, then the rest; by followers within each."""
    world = request.world
    side = search_world(world)
    pool = [entry for entry in side.listed if entry.source is source]
    listed = {entry.identifier for entry in pool}
    for account in world.accounts.values():
        if account.source is not source or account.profile is Profile.DELETED:
            continue
        if account.identifier in listed:
            continue
        pool.append(
            Listed(
                source,
                account.identifier,
                account.name,
                f"{account.name}官方账号" if source is Source.BILIBILI else None,
                1,
                1000 + account.seed % 50000,
            )
        )
    hits = [e for e in pool if _matches(query, side.jurisdiction, e.name, e.entity)]
    return sorted(
        hits, key=lambda e: (e.name != query, query not in e.name, -e.followers, e.identifier)
    )


def _uid(identifier: str) -> int | str:
    return int(identifier) if identifier.isdigit() else identifier


# ---------------------------------------------------------------------------------------------
# Weibo: getIndex?containerid=100103type=3&q=…&page_type=searchall


def weibo_search(request: SimRequest) -> SimResponse:
    if Source.WEIBO in search_world(request.world).blocked:
        return SimResponse.html("<html><body><h1>418</h1></body></html>", status=418)
    query = request.param("containerid").removeprefix(WEIBO_CONTAINER).strip()
    if not query:
        return SimResponse.json({"ok": 0, "msg": "参数错误"})
    found = _found(request, Source.WEIBO, query)[:WEIBO_PAGE]
    if not found:
        return SimResponse.json({"ok": 0, "msg": "没有更多内容了", "data": {"cards": []}})
    group = [
        {
            "card_type": 10,
            "itemid": f"seqid:{crc('w', query)}|type:3|t:|pos:1-0-{i}|q:{query}|ext:&uid={e.identifier}&",
            "user": {
                "id": _uid(e.identifier),
                "screen_name": e.name,
                "profile_url": f"https://m.weibo.cn/u/{e.identifier}",
                "verified": e.verified_type >= 0,
                "verified_type": e.verified_type,
                **({"verified_reason": e.entity} if e.entity else {}),
                "description": e.description,
                "followers_count": e.followers,
                "follow_count": 120,
            },
        }
        for i, e in enumerate(found)
    ]
    return SimResponse.json(
        {
            "ok": 1,
            "data": {
                "cardlistInfo": {
                    "containerid": request.param("containerid"),
                    "v_p": 42,
                    "show_style": 1,
                    "total": len(found),
                    "page": None,
                },
                "cards": [{"card_type": 11, "show_type": 1, "card_group": group}],
                "scheme": f"sinaweibo://cardlist?containerid=100103type%3D3%26q%3D{query}",
            },
        }
    )


def wrap_get_index(original: Handler) -> Handler:
    def handler(request: SimRequest) -> SimResponse:
        if request.param("containerid").startswith(WEIBO_CONTAINER):
            return weibo_search(request)
        return original(request)

    return handler


# ---------------------------------------------------------------------------------------------
# WeChat: cgi-bin/searchbiz?action=search_biz&begin=0&count=5&query=…&token=…


def wrap_searchbiz(original: Handler) -> Handler:
    def handler(request: SimRequest) -> SimResponse:
        query = request.param("query")
        if (Source.WECHAT, query) in request.world.names or profile_from_text(query):
            # a ledger crawl looking its account up by name (a test's `weekly-…` name too)
            return original(request)
        answer = original(request)  # the session, token and argument checks are the platform's
        if answer.status != 200 or b'"ret":0' not in answer.body:
            return answer
        if Source.WECHAT in search_world(request.world).blocked:
            return SimResponse.json({"base_resp": {"ret": RATE_LIMITED, "err_msg": "freq control"}})
        begin = int(request.param("begin", "0"))
        count = min(int(request.param("count", "5")), WECHAT_MAX)
        found = _found(request, Source.WECHAT, query)
        page = [
            {
                "fakeid": e.identifier,
                "nickname": e.name,
                "alias": f"gh_{crc('alias', e.identifier):08x}",
                "round_head_img": f"http://mmbiz.qpic.cn/mmbiz_png/{crc('img', e.identifier)}/0",
                "service_type": 1,
                "signature": e.description,
            }
            for e in found[begin : begin + count]
        ]
        return SimResponse.json(
            {"base_resp": {"ret": 0, "err_msg": "ok"}, "list": page, "total": len(found)}
        )

    return handler


# ---------------------------------------------------------------------------------------------
# Bilibili: x/web-interface/wbi/search/type?search_type=bili_user&keyword=… (Wbi-signed)


def bilibili_search(request: SimRequest) -> SimResponse:
    if not wbi.verify(request.query, *day_keys(request.world)):
        return SimResponse.json({"code": -403, "message": "访问权限不足", "ttl": 1})
    if Source.BILIBILI in search_world(request.world).blocked:
        return SimResponse.json({"code": -412, "message": "请求被拦截", "ttl": 1, "data": None})
    keyword = request.param("keyword").strip()
    if request.param("search_type") != "bili_user" or not keyword:
        return SimResponse.json({"code": -400, "message": "请求错误", "ttl": 1})
    found = _found(request, Source.BILIBILI, keyword)
    data: dict[str, Any] = {
        "seid": str(crc("seid", keyword)),
        "page": 1,
        "pagesize": BILIBILI_PAGE,
        "numResults": len(found),
        "numPages": 1 if found else 0,
        "suggest_keyword": "",
        "rqt_type": "search",
        "egg_hit": 0,
        "show_column": 0,
    }
    if found:  # the platform leaves `result` out when nothing matched
        data["result"] = [
            {
                "type": "bili_user",
                "mid": _uid(e.identifier),
                "uname": e.name,
                "usign": e.description,
                "fans": e.followers,
                "videos": 12,
                "upic": f"//i0.hdslb.com/bfs/face/{crc('face', e.identifier):08x}.jpg",
                "level": 5,
                "is_upuser": 1,
                "official_verify": {"type": e.verified_type, "desc": e.entity or ""},
                "hit_columns": ["uname"],
            }
            for e in found[:BILIBILI_PAGE]
        ]
    return SimResponse.json({"code": 0, "message": "0", "ttl": 1, "data": data})


ROUTES: dict[str, Handler] = {"/x/web-interface/wbi/search/type": bilibili_search}
# Handlers put in front of another platform module's route for the same path.
WRAPS = {"/api/container/getIndex": wrap_get_index, "/cgi-bin/searchbiz": wrap_searchbiz}
