"""Simulated Bilibili: `/x/web-interface/nav` (the day's Wbi keys) and the Wbi-signed
`/x/space/wbi/arc/search` (an uploader's videos, newest first, `ps` per page).

A request without `w_rid` and `wts`, or with a `w_rid` that does not match its parameters under
the keys nav serves now, is refused with code -403 访问权限不足, as the platform's older risk
control did. The keys are the day's, changed when the world's `wbi` schedule says (tests rotate
them mid-crawl, or make every signature refused: `World.wbi`, a `WbiRotation`).

Profiles: blocked answers -352 风控校验失败 with a `v_voucher` (or, for a mid containing
"voucher", code 0 with a `data` holding only `v_voucher`); deleted -404 啥都木有; auth_expired -101 账号未登录;
never_posted an empty `vlist`; malformed a truncated body.
"""

from __future__ import annotations

import hashlib

from registry.constants import Source
from spiders import wbi
from spiders.simulator.server import SimRequest, SimResponse, fault_response
from spiders.simulator.world import LOGIN_PROFILES, Profile, SimAccount, World, crc

MAX_PS = 50


def day_keys(world: World) -> tuple[str, str]:
    """(img_key, sub_key) nav serves now: the world's day's pair, like the platform's daily keys,
    and a new pair after each rotation of `world.wbi`."""
    day = world.anchor.date().isoformat()
    rotations = world.wbi.rotations
    era = day if rotations == 0 else f"{day}/{rotations}"
    img = hashlib.md5(f"img:{era}".encode(), usedforsecurity=False).hexdigest()
    sub = hashlib.md5(f"sub:{era}".encode(), usedforsecurity=False).hexdigest()
    return img, sub


def nav(request: SimRequest) -> SimResponse:
    img, sub = day_keys(request.world)
    return SimResponse.json(
        {
            "code": -101,
            "message": "账号未登录",
            "ttl": 1,
            "data": {
                "isLogin": False,
                "wbi_img": {
                    "img_url": f"https://i0.hdslb.com/bfs/wbi/{img}.png",
                    "sub_url": f"https://i0.hdslb.com/bfs/wbi/{sub}.png",
                },
            },
        }
    )


def arc_search(request: SimRequest) -> SimResponse:
    rotation = request.world.wbi
    if rotation.reject_all or not wbi.verify(request.query, *day_keys(request.world)):
        return SimResponse.json({"code": -403, "message": "访问权限不足", "ttl": 1})
    rotation.count_accepted()
    mid = request.param("mid")
    if not mid:
        return SimResponse.json({"code": -400, "message": "请求错误", "ttl": 1})
    account = request.world.resolve(Source.BILIBILI, mid)
    fault = fault_response(request, account)
    if fault is not None:
        return fault
    profile = account.profile
    if profile is Profile.BLOCKED:
        voucher = f"voucher_{crc('voucher', account.seed):08x}-sim"
        if "voucher" not in account.identifier:
            return SimResponse.json(
                {"code": -352, "message": "风控校验失败", "ttl": 1, "data": {"v_voucher": voucher}}
            )
        return SimResponse.json(
            {"code": 0, "message": "0", "ttl": 1, "data": {"v_voucher": voucher}}
        )
    if profile is Profile.DELETED:
        return SimResponse.json({"code": -404, "message": "啥都木有", "ttl": 1})
    if profile in LOGIN_PROFILES:
        return SimResponse.json({"code": -101, "message": "账号未登录", "ttl": 1})
    try:
        ps = max(1, min(MAX_PS, int(request.param("ps", "30"))))
        pn = max(1, int(request.param("pn", "1")))
    except ValueError:
        return SimResponse.json({"code": -400, "message": "请求错误", "ttl": 1})
    times = request.world.post_times(account, request.now)
    page = times[(pn - 1) * ps : pn * ps]
    response = SimResponse.json(
        {
            "code": 0,
            "message": "0",
            "ttl": 1,
            "data": {
                "list": {"tlist": None, "vlist": [_video(account, t) for t in page], "slist": []},
                "page": {"pn": pn, "ps": ps, "count": len(times)},
                "episodic_button": None,
                "is_risk": False,
                "gaia_res_type": 0,
                "gaia_data": None,
            },
        }
    )
    if profile is Profile.MALFORMED:
        response.body = response.body[: max(40, len(response.body) // 2)]
    if profile is Profile.SLOW:
        response.delay = request.world.slow_seconds
    return response


def _video(account: SimAccount, t: int) -> dict:
    aid = 113_000_000_000_000 + crc(account.seed, "aid", t)
    return {
        "aid": aid,
        "bvid": f"BV1{crc(account.seed, 'bv', t):09d}",
        "title": f"{account.name}｜视频{t % 100000}",
        "author": account.name,
        "mid": int(account.identifier) if account.identifier.isdigit() else 0,
        "created": t,
        "length": f"{1 + t % 9:02d}:{t % 60:02d}",
        "play": crc(account.seed, "play", t) % 5000,
        "comment": t % 17,
        "typeid": 138,
        "is_union_video": 0,
    }


ROUTES = {"/x/web-interface/nav": nav, "/x/space/wbi/arc/search": arc_search}
