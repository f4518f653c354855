"""Simulated Weibo visitor passport (passport.weibo.com): the two-step visitor flow.

1. `POST /visitor/genvisitor` (form `cb=gen_callback&fp=…`) answers JSONP
   `window.gen_callback && gen_callback({"retcode":20000000,"msg":"succ","data":{"tid":…}});`
2. `GET /visitor/visitor?a=incarnate&t=TID&w=2&c=095&gc=&cb=cross_domain&from=weibo&_rand=…`
   answers `window.cross_domain && cross_domain({"retcode":20000000,"msg":"succ",
   "data":{"sub":…,"subp":…}});` and sets the SUB and SUBP cookies (domain .weibo.com).

Newer pages use one step, `POST /visitor/genvisitor2` (`cb=visitor_gray_callback&tid=&from=weibo`),
answering the SUB and SUBP at once; `world.logins.legacy_gone` retires the two-step flow (404).

m.weibo.cn (spiders/simulator/weibo.py) then serves a `visitor` account to a client that sends
the SUB. `world.logins.visitor_refuse` makes the passport refuse (a failure retcode).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from typing import Any

from spiders.simulator.server import SimRequest, SimResponse
from spiders.simulator.world import crc

SUCCESS = 20000000
REFUSED = 50111299  # the passport's answer to a client it will not serve


def _jsonp(callback: str, payload: dict[str, Any]) -> SimResponse:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = SimResponse.html(f"window.{callback} && {callback}({text});")
    response.content_type = "application/javascript; charset=utf-8"
    return response


def genvisitor(request: SimRequest) -> SimResponse:
    callback = request.value("cb") or "gen_callback"
    logins = request.world.logins
    if logins.legacy_gone:  # the platform retired the two-step flow
        return SimResponse.html("<h1>404 Not Found</h1>", status=404)
    if request.method != "POST":
        return SimResponse.html("<h1>405</h1>", status=405)
    if logins.visitor_refuse:
        return _jsonp(callback, {"retcode": REFUSED, "msg": "fail", "data": {}})
    with logins.lock:
        tid = f"{crc('tid', len(logins.visitor_tids), request.now.isoformat()):08x}" + "X" * 24
        logins.visitor_tids.add(tid)
    data = {"tid": tid, "new_tid": True, "confidence": 95}
    return _jsonp(callback, {"retcode": SUCCESS, "msg": "succ", "data": data})


def genvisitor2(request: SimRequest) -> SimResponse:
    """The one-step flow newer pages use: `POST /visitor/genvisitor2` (form
    `cb=visitor_gray_callback&tid=&from=weibo`) answers the SUB and SUBP at once."""
    callback = request.value("cb") or "visitor_gray_callback"
    logins = request.world.logins
    if request.method != "POST":
        return SimResponse.html("<h1>405</h1>", status=405)
    if logins.visitor_refuse:
        return _jsonp(callback, {"retcode": REFUSED, "msg": "fail", "data": {}})
    with logins.lock:
        tid = f"{crc('tid2', len(logins.visitor_tids), request.now.isoformat()):08x}" + "Y" * 24
        logins.visitor_tids.add(tid)
    return _issue(request, callback, tid, {"tid": tid, "new_tid": True})


def visitor(request: SimRequest) -> SimResponse:
    callback = request.param("cb") or "cross_domain"
    logins = request.world.logins
    if request.param("a") != "incarnate":
        return SimResponse.html("<html><body>Sina Visitor System</body></html>")
    tid = request.param("t")
    with logins.lock:
        known = tid in logins.visitor_tids
    if logins.visitor_refuse or not known:
        return _jsonp(
            callback, {"retcode": REFUSED, "msg": "fail", "data": {"sub": None, "subp": None}}
        )
    return _issue(request, callback, tid, {})


def _issue(request: SimRequest, callback: str, tid: str, extra: dict[str, Any]) -> SimResponse:
    """Visitor cookies for `tid`: in the JSONP's data and as Set-Cookie headers."""
    logins = request.world.logins
    sub = f"_2AkM{crc('sub', tid):010d}visitor{crc('s2', tid):08x}"
    subp = f"0033WrSXqPxfM72-Ws9jqgMF55529P9D9W{crc('subp', tid):08x}"
    expires = request.now + dt.timedelta(days=logins.visitor_days)
    with logins.lock:
        logins.visitor_subs[sub] = expires
    when = email.utils.format_datetime(expires.astimezone(dt.UTC), usegmt=True)
    response = _jsonp(
        callback,
        {"retcode": SUCCESS, "msg": "succ", "data": {"sub": sub, "subp": subp, **extra}},
    )
    response.cookies = [
        f"SUB={sub}; expires={when}; path=/; domain=.weibo.com; secure; httponly",
        f"SUBP={subp}; expires={when}; path=/; domain=.weibo.com",
    ]
    return response


def visitor_accepted(request: SimRequest) -> bool:
    """True when the client sends a SUB the passport issued and that has not expired."""
    sub = request.cookie("SUB")
    with request.world.logins.lock:
        expires = request.world.logins.visitor_subs.get(sub)
    return expires is not None and expires > request.now


ROUTES = {
    "/visitor/genvisitor": genvisitor,
    "/visitor/genvisitor2": genvisitor2,
    "/visitor/visitor": visitor,
}
