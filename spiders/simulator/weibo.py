"""Simulated Weibo mobile API: `GET /api/container/getIndex` (user info, and the post list).

Answers as m.weibo.cn does: `ok: 1` with `data.userInfo` or `data.cards`; `ok: 0` 这里还没有内容
at the end of the list; `ok: 0` 用户不存在 for a deleted account; `ok: -100` or a 302 to
passport.weibo.cn for a login that is needed (or to visitor.passport.weibo.cn for a missing
visitor cookie: a `visitor` account answers as a daily one to the SUB its passport issued,
spiders/simulator/passport.py); HTTP 418/403/412/432 for a blocked client.
Every posting account has an old pinned post at the top of page 1; every fifth post is a repost of
an older post; page 1 of some accounts wraps a post in a `card_type` 11 group.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlencode

from registry.constants import LOCAL_TZ, Source
from spiders.simulator.passport import visitor_accepted
from spiders.simulator.server import SimRequest, SimResponse, fault_response
from spiders.simulator.world import Profile, SimAccount, crc, mix

PAGE_SIZE = 10
PINNED_AGE_DAYS = 200
BLOCK_STATUSES = (418, 403, 412, 432)
PASSPORT_URL = "https://passport.weibo.cn/signin/welcome?entry=mweibo&r=https%3A%2F%2Fm.weibo.cn%2F"
# Where m.weibo.cn sends a client without a visitor cookie (SUB/SUBP), as the platform spells it.
# The spider never follows it (the answer is auth_expired), so no test fetches the real host.
VISITOR_URL = (
    "https://visitor.passport.weibo.cn/visitor/visitor?entry=sinawap&a=enter&url={url}"
    "&domain=.weibo.cn&ua=php-sso_sdk_client-0.6.36&_rand={rand:.4f}"
)
NO_CONTENT = {"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}
POSTING = (
    Profile.DAILY,
    Profile.WEEKLY,
    Profile.SILENT_10D,
    Profile.SILENT_20D,
    Profile.SILENT_120D,
    Profile.MALFORMED,
    Profile.SLOW,
    Profile.FLAKY,
)


def get_index(request: SimRequest) -> SimResponse:
    uid = request.param("value")
    if request.param("type") != "uid" or not uid:
        return SimResponse.json({"ok": 0, "msg": "参数错误"})
    account = request.world.resolve(Source.WEIBO, uid)
    fault = fault_response(request, account)
    if fault is not None:
        return fault
    profile = account.profile
    if profile is Profile.BLOCKED:
        status = BLOCK_STATUSES[account.seed % len(BLOCK_STATUSES)]
        return SimResponse.html(f"<html><body><h1>{status}</h1></body></html>", status=status)
    if profile is Profile.AUTH_EXPIRED:
        return SimResponse.json({"ok": -100, "url": PASSPORT_URL})
    if profile is Profile.PASSPORT:
        return SimResponse(status=302, headers={"Location": PASSPORT_URL}, content_type="text/html")
    if profile is Profile.VISITOR and not visitor_accepted(request):
        back = f"https://m.weibo.cn{request.path}?{urlencode(request.query)}"
        location = VISITOR_URL.format(url=quote(back, safe=""), rand=request.now.timestamp())
        return SimResponse(status=302, headers={"Location": location}, content_type="text/html")
    containerid = request.param("containerid")
    if not containerid:
        response = _user_info(request, account)
    elif containerid != f"107603{uid}":
        response = SimResponse.json({"ok": 0, "msg": "参数错误"})
    else:
        response = _posts(request, account)
    if profile is Profile.SLOW:
        response.delay = request.world.slow_seconds
    return response


def _user_info(request: SimRequest, account: SimAccount) -> SimResponse:
    if account.profile is Profile.DELETED:
        if account.seed % 2:
            return SimResponse.json({"ok": 0, "msg": "用户不存在"})
        return SimResponse.json(NO_CONTENT)
    count = len(request.world.post_times(account, request.now))
    return SimResponse.json(
        {
            "ok": 1,
            "data": {
                "avatar_guide": [],
                "isStarStyle": 0,
                "userInfo": {
                    "id": _int_uid(account.identifier),
                    "screen_name": account.name,
                    "statuses_count": count,
                    "verified": True,
                    "verified_type": 1,
                    "verified_reason": f"{account.name}官方微博",
                    "description": "政务微博",
                    "gender": "m",
                    "followers_count": 1000 + account.seed % 50000,
                    "follow_count": 20,
                },
                "tabsInfo": {"selectedTab": 1, "tabs": []},
            },
        }
    )


def _posts(request: SimRequest, account: SimAccount) -> SimResponse:
    try:
        page = max(1, int(request.param("page", "1") or "1"))
    except ValueError:
        return SimResponse.json({"ok": 0, "msg": "参数错误"})
    times = request.world.post_times(account, request.now)
    chunk = times[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    cards: list[dict] = []
    if page == 1 and account.profile in POSTING:
        pinned_at = int(request.world.anchor.timestamp()) - PINNED_AGE_DAYS * 86400
        cards.append(_pinned_card(account, pinned_at, request.now))
    for index, t in enumerate(chunk):
        card = {
            "card_type": 9,
            "itemid": f"107603{account.identifier}_-_{_post_id(account, t)}",
            "mblog": _mblog(account, t, request.now),
        }
        if page == 1 and index == 2 and account.seed % 2 == 0:
            card = {"card_type": 11, "card_group": [card]}
        cards.append(card)
    if not chunk:
        return SimResponse.json(NO_CONTENT)
    body = SimResponse.json(
        {
            "ok": 1,
            "data": {
                "cardlistInfo": {
                    "containerid": f"107603{account.identifier}",
                    "v_p": 42,
                    "show_style": 1,
                    "total": len(times),
                    "page": page + 1,
                },
                "cards": cards,
                "scheme": f"sinaweibo://cardlist?containerid=107603{account.identifier}",
                "showAppTips": 0,
            },
        }
    )
    if account.profile is Profile.MALFORMED:
        body.body = body.body[: len(body.body) * 3 // 5]
    return body


def _pinned_card(account: SimAccount, t: int, now: dt.datetime) -> dict:
    mblog = _mblog(account, t, now)
    style = account.seed % 4
    card: dict = {"card_type": 9, "mblog": mblog}
    if style == 0:
        mblog["isTop"] = 1
    elif style == 1:
        mblog["mblogtype"] = 2
    elif style == 2:
        mblog["title"] = {"text": "置顶", "base_color": 1}
    else:
        card["profile_type_id"] = "proweibotop_"
    mblog["text"] = f"【置顶】{account.name}政务服务指南"
    return card


def _post_id(account: SimAccount, t: int) -> int:
    return 4_000_000_000_000_000 + (t - 1_500_000_000) * 1000 + account.seed % 1000


def _mblog(account: SimAccount, t: int, now: dt.datetime) -> dict:
    post_id = _post_id(account, t)
    mblog: dict = {
        "created_at": _created_at(account, t, now),
        "id": str(post_id),
        "mid": str(post_id),
        "bid": f"S{post_id % 10**9:09d}",
        "text": f"【{account.name}】{dt.datetime.fromtimestamp(t, LOCAL_TZ):%m月%d日}政务信息",
        "source": "微博 weibo.com",
        "mblogtype": 0,
        "user": {"id": _int_uid(account.identifier), "screen_name": account.name},
        "reposts_count": crc(post_id) % 50,
        "comments_count": crc(post_id, "c") % 30,
    }
    if mix(account.seed, t) % 5 == 0:
        original = t - 365 * 86400
        mblog["text"] = "转发微博"
        mblog["retweeted_status"] = {
            "created_at": _created_at(account, original, now, absolute=True),
            "id": str(post_id - 7),
            "text": "原微博内容",
            "user": {"id": 1000000001, "screen_name": "河南发布"},
        }
    return mblog


def _created_at(account: SimAccount, t: int, now: dt.datetime, *, absolute: bool = False) -> str:
    when = dt.datetime.fromtimestamp(t, LOCAL_TZ)
    if absolute or not account.relative_times:
        return when.strftime("%a %b %d %H:%M:%S +0800 %Y")
    local_now = now.astimezone(LOCAL_TZ)
    age = local_now - when
    if age < dt.timedelta(minutes=1):
        return "刚刚"
    if age < dt.timedelta(hours=1):
        return f"{int(age.total_seconds() // 60)}分钟前"
    if age < dt.timedelta(hours=24) and when.date() == local_now.date():
        return f"{int(age.total_seconds() // 3600)}小时前"
    if when.date() == local_now.date() - dt.timedelta(days=1):
        return f"昨天 {when:%H:%M}"
    if when.year == local_now.year:
        return f"{when:%m-%d}"
    return f"{when:%Y-%m-%d}"


def _int_uid(uid: str) -> int | str:
    return int(uid) if uid.isdigit() else uid


ROUTES = {"/api/container/getIndex": get_index}
