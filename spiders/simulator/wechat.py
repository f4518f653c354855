"""Simulated WeChat official-account platform backend: `searchbiz`, `appmsg` (list_ex) and
`appmsgpublish` (sub=list), behind the platform login (token parameter and session cookie).

A missing or wrong token or cookie answers `base_resp.ret` 200003 as the real platform does.
200013 is a rate limit (blocked), 200002 invalid arguments (an unknown fakeid, or parameters that
are not the platform's). Daily accounts push one to three articles at a time; `update_time` is a
later edit time (never the publish time); some publish records have an empty `publish_info`.
An `echo_secrets` account's answers repeat the token and cookie they were sent.
Sessions the simulated QR login issued (spiders/simulator/mplogin.py) are accepted until their
expiry; a token in `world.logins.freq_limited` answers 200013 to everything.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from registry.constants import LOCAL_TZ, Source
from spiders.simulator.server import SimRequest, SimResponse, fault_response
from spiders.simulator.world import LOGIN_PROFILES, Profile, SimAccount, crc, mix

OK = {"ret": 0, "err_msg": "ok"}
MAX_COUNT = 20


def _error(ret: int, message: str) -> SimResponse:
    return SimResponse.json({"base_resp": {"ret": ret, "err_msg": message}})


def _session_problem(request: SimRequest) -> SimResponse | None:
    world = request.world
    cookie = request.headers.get("cookie", "")
    pairs = {p.strip() for p in cookie.split(";") if p.strip()}
    wanted = {p.strip() for p in world.wechat_cookie.split(";") if p.strip()}
    token = request.param("token")
    logins = world.logins
    with logins.lock:
        issued = logins.mp_sessions.get(token)  # a session from the QR login (mplogin.py)
        logins.served[token] = logins.served.get(token, 0) + 1
    if issued is not None:
        sid, expires, _account = issued
        if request.cookie("slave_sid") != sid or expires <= request.now:
            return _error(200003, "invalid session")
    elif token != world.wechat_token or not wanted <= pairs:
        return _error(200003, "invalid session")
    if token in logins.freq_limited:
        return _error(200013, "freq control")
    if request.param("f") != "json" or request.param("ajax") != "1":
        return SimResponse.html("<html><body>公众号平台</body></html>")
    return None


def _window(request: SimRequest) -> tuple[int, int] | None:
    try:
        begin, count = int(request.param("begin", "0")), int(request.param("count", "5"))
    except ValueError:
        return None
    if begin < 0 or not 1 <= count <= MAX_COUNT:
        return None
    return begin, count


def searchbiz(request: SimRequest) -> SimResponse:
    problem = _session_problem(request)
    if problem is not None:
        return problem
    window = _window(request)
    name = request.param("query")
    if request.param("action") != "search_biz" or window is None or not name:
        return _error(200002, "invalid args")
    found = request.world.search(Source.WECHAT, name)
    near = [
        {"fakeid": f"MzN{crc('near', name):09d}==", "nickname": f"{name}发布"},
        {"fakeid": f"MzM{crc('near2', name):09d}==", "nickname": f"河南{name}"},
    ]
    results = near[:1] + ([{"fakeid": found.identifier, "nickname": found.name}] if found else [])
    results += near[1:]
    for entry in results:
        entry.update(alias="", round_head_img="", service_type=1, signature="")
    return SimResponse.json({"base_resp": OK, "list": results, "total": len(results)})


def _account_answer(request: SimRequest) -> tuple[SimAccount | None, SimResponse | None]:
    problem = _session_problem(request)
    if problem is not None:
        return None, problem
    fakeid = request.param("fakeid")
    if not fakeid:
        return None, _error(200002, "invalid args")
    account = request.world.resolve(Source.WECHAT, fakeid)
    fault = fault_response(request, account)
    if fault is not None:
        return account, fault
    profile = account.profile
    if profile is Profile.DELETED:
        return account, _error(200002, "invalid args")
    if profile is Profile.BLOCKED:
        return account, _error(200013, "freq control")
    if profile in LOGIN_PROFILES:
        return account, _error(200003, "invalid session")
    return account, None


def _articles(account: SimAccount, t: int, index: int) -> list[dict[str, Any]]:
    pieces = 1 + mix(account.seed, t) % 3 if account.profile is Profile.DAILY else 1
    appmsgid = 2_247_480_000 + index
    day = dt.datetime.fromtimestamp(t, LOCAL_TZ)
    out = []
    for itemidx in range(1, pieces + 1):
        sn = f"{crc(account.seed, t, itemidx):08x}"
        out.append(
            {
                "aid": f"{appmsgid}_{itemidx}",
                "appmsgid": appmsgid,
                "itemidx": itemidx,
                "title": f"{account.name}｜{day:%m月%d日}工作动态（{itemidx}）",
                "link": (
                    f"https://mp.weixin.qq.com/s?__biz={account.identifier}&mid={appmsgid}"
                    f"&idx={itemidx}&sn={sn}#rd"
                ),
                "create_time": t,
                "update_time": t + 3600 * (1 + crc(sn) % 48),  # an edit, later
                "cover": "",
                "digest": "",
                "item_show_type": 0,
            }
        )
    return out


def appmsg(request: SimRequest) -> SimResponse:
    account, answer = _account_answer(request)
    window = _window(request)
    if answer is None and (
        request.param("action") != "list_ex" or request.param("type") != "9" or window is None
    ):
        answer = _error(200002, "invalid args")
    if answer is not None:
        return answer
    assert account is not None and window is not None
    begin, count = window
    pushes = request.world.post_times(account, request.now)
    total = len(pushes) - 1
    articles = []
    for index, t in enumerate(pushes):
        articles.extend(_articles(account, t, total - index))
        if len(articles) >= begin + count:
            break
    all_count = sum(
        1 + mix(account.seed, t) % 3 if account.profile is Profile.DAILY else 1 for t in pushes
    )
    response = SimResponse.json(
        {
            "base_resp": OK,
            "app_msg_list": articles[begin : begin + count],
            "app_msg_cnt": all_count,
        }
    )
    return _finish(request, account, response)


def appmsgpublish(request: SimRequest) -> SimResponse:
    account, answer = _account_answer(request)
    window = _window(request)
    if answer is None and (
        request.param("sub") != "list"
        or request.param("sub_action") != "list_ex"
        or request.param("type") != "101_1"
        or request.param("free_publish_type") != "1"
        or window is None
    ):
        answer = _error(200002, "invalid args")
    if answer is not None:
        return answer
    assert account is not None and window is not None
    begin, count = window
    pushes = request.world.post_times(account, request.now)
    records: list[int | None] = []
    for t in pushes:
        records.append(t)
        if mix(account.seed ^ 0x5EED, t) % 7 == 0:
            records.append(None)  # a push deleted later: its publish_info is empty
    total = len(pushes) - 1
    index_of = {t: total - i for i, t in enumerate(pushes)}
    publish_list = []
    for t in records[begin : begin + count]:
        if t is None:
            publish_list.append({"publish_type": 101, "publish_info": ""})
            continue
        info = {
            "type": 9,
            "msgid": 1_000_000_000 + index_of[t],
            "sent_info": {"time": t, "func_flag": 0, "is_send_all": True, "is_published": 1},
            "sent_status": {"total": 1, "succ": 1, "fail": 0},
            "appmsgex": _articles(account, t, index_of[t]),
        }
        text = json.dumps(info, ensure_ascii=False, separators=(",", ":"))
        if account.profile is Profile.MALFORMED:
            text = text[: len(text) // 2]  # a publish_info that is not JSON
        publish_list.append({"publish_type": 101, "publish_info": text})
    page = {
        "total_count": len(records),
        "publish_count": len(pushes),
        "masssend_count": 0,
        "publish_list": publish_list,
    }
    response = SimResponse.json(
        {"base_resp": OK, "publish_page": json.dumps(page, ensure_ascii=False)}
    )
    return _finish(request, account, response)


def _finish(request: SimRequest, account: SimAccount, response: SimResponse) -> SimResponse:
    if account.profile is Profile.ECHO_SECRETS:  # as a debugging gateway answers: what it got
        payload = json.loads(response.body)
        query = "&".join(f"{k}={v}" for k, v in request.query.items())
        payload["echo"] = {"url": f"{request.path}?{query}", "from": request.headers.get("cookie")}
        response.body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    if account.profile is Profile.MALFORMED and request.path.endswith("/appmsg"):
        response.body = response.body[: len(response.body) * 3 // 5]
    if account.profile is Profile.SLOW:
        response.delay = request.world.slow_seconds
    return response


ROUTES = {
    "/cgi-bin/searchbiz": searchbiz,
    "/cgi-bin/appmsg": appmsg,
    "/cgi-bin/appmsgpublish": appmsgpublish,
}
