"""Simulated WeChat MP platform QR login (mp.weixin.qq.com), as the platform's web page does it:

1. `POST /cgi-bin/bizlogin?action=startlogin` (form userlang, redirect_url, login_type=3,
   sessionid, token, lang, f=json, ajax=1) → `base_resp.ret` 0 and a `uuid` cookie;
2. `GET /cgi-bin/scanloginqrcode?action=getqrcode&random=MS` (with that cookie) → the QR image;
3. `GET /cgi-bin/scanloginqrcode?action=ask&token=&lang=zh_CN&f=json&ajax=1` → `status`:
   0 waiting, 4 scanned (waiting for the phone's confirmation), 1 confirmed, 2 expired,
   3 cancelled;
4. `POST /cgi-bin/bizlogin?action=login` (form as 1.) → `redirect_url`
   `/cgi-bin/home?t=home/index&lang=zh_CN&token=N` and the session cookies (`slave_user`,
   `slave_sid`, `bizuin`, `data_ticket`), whose `expires` is the session's end.

The QR code encodes `/simulator/scan?uuid=…` on this server: opening it (`&action=cancel` to
refuse; without `uuid`, the newest waiting code) is the phone's scan; tests call `world.logins.scan(uuid)`. `/cgi-bin/home` shows the
account's `nick_name`, as the real home page does in its script.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import io
import json

from spiders.simulator.server import SimRequest, SimResponse
from spiders.simulator.world import QrLogin, crc

OK = {"ret": 0, "err_msg": "ok"}


def _error(ret: int, message: str) -> SimResponse:
    return SimResponse.json({"base_resp": {"ret": ret, "err_msg": message}})


def _status(login: QrLogin, now: dt.datetime, ttl: int) -> int:
    if login.status == 0 and (now - login.created).total_seconds() >= ttl:
        login.status = 2
    return login.status


def bizlogin(request: SimRequest) -> SimResponse:
    logins = request.world.logins
    action = request.param("action")
    if request.method != "POST" or request.value("f") != "json":
        return _error(200002, "invalid args")
    if action == "startlogin":
        if request.value("login_type") != "3" or not request.value("sessionid"):
            return _error(200002, "invalid args")
        with logins.lock:
            uuid = f"{crc('uuid', len(logins.qr), request.value('sessionid')):08x}qr"
            logins.qr[uuid] = QrLogin(created=request.now)
        response = SimResponse.json({"base_resp": OK})
        response.cookies = [f"uuid={uuid}; Path=/; Secure; HttpOnly"]
        return response
    if action != "login":
        return _error(200002, "invalid args")
    uuid = request.cookie("uuid")
    with logins.lock:
        login = logins.qr.get(uuid)
        if login is None or _status(login, request.now, logins.qr_seconds) != 1:
            return _error(200003, "invalid session")
        del logins.qr[uuid]  # a confirmed code logs in once
        n = len(logins.mp_sessions)
        token = str(1_000_000_000 + crc("token", uuid, n) % 900_000_000)
        sid = f"c2lt{crc('sid', token):08x}{crc('sid2', token):08x}"
        expires = request.now + dt.timedelta(hours=logins.mp_hours)
        logins.mp_sessions[token] = (sid, expires, login.account)
    when = email.utils.format_datetime(expires.astimezone(dt.UTC), usegmt=True)
    user = f"gh_{crc('gh', login.account):08x}"
    response = SimResponse.json(
        {"base_resp": OK, "redirect_url": f"/cgi-bin/home?t=home/index&lang=zh_CN&token={token}"}
    )
    response.cookies = [
        f"slave_user={user}; Path=/; Expires={when}; Secure; HttpOnly",
        f"slave_sid={sid}; Path=/; Expires={when}; Secure; HttpOnly",
        f"bizuin={crc('bizuin', user)}; Path=/; Expires={when}; Secure; HttpOnly",
        f"data_ticket=dt{crc('ticket', sid):08x}; Path=/; Expires={when}; Secure; HttpOnly",
        "uuid=EXPIRED; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ]
    return response


def scanloginqrcode(request: SimRequest) -> SimResponse:
    logins = request.world.logins
    uuid = request.cookie("uuid")
    with logins.lock:
        login = logins.qr.get(uuid)
        status = None if login is None else _status(login, request.now, logins.qr_seconds)
    action = request.param("action")
    if action == "getqrcode":
        if login is None:
            return SimResponse(body=b"", content_type="image/png")
        host = request.headers.get("host", "127.0.0.1")
        return SimResponse(
            body=qr_png(f"http://{host}/simulator/scan?uuid={uuid}"), content_type="image/png"
        )
    if action == "ask":
        if status is None:
            return _error(200003, "invalid session")
        return SimResponse.json(
            {"base_resp": OK, "status": status, "user_category": 1, "acct_size": 1}
        )
    return _error(200002, "invalid args")


def scan(request: SimRequest) -> SimResponse:
    """The phone: scanning the QR code (and confirming, unless `action=cancel`)."""
    confirm = request.param("action", "confirm") != "cancel"
    account = request.param("account") or "博爱县人民政府"
    pending = request.world.logins.pending()
    uuid = request.param("uuid") or (pending[-1] if pending else "")  # none: the newest code
    done = request.world.logins.scan(uuid, confirm=confirm, account=account)
    word = ("已确认登录" if confirm else "已取消登录") if done else "二维码已失效"
    return SimResponse.html(f"<html><body><p>{word}</p></body></html>", status=200 if done else 410)


def home(request: SimRequest) -> SimResponse:
    token = request.param("token")
    with request.world.logins.lock:
        session = request.world.logins.mp_sessions.get(token)
    if session is None or request.cookie("slave_sid") != session[0]:
        return SimResponse(status=302, headers={"Location": "/"}, content_type="text/html")
    name = json.dumps(session[2], ensure_ascii=False)
    return SimResponse.html(
        "<html><head><title>公众号</title></head><body><script>"
        f'wx.cgiData = {{ nick_name: {name}, token: "{html.escape(token)}" }};'
        "</script></body></html>"
    )


def qr_png(text: str) -> bytes:
    """`text` as a QR code PNG (segno: pure Python)."""
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=4, border=2)
    return out.getvalue()


ROUTES = {
    "/cgi-bin/bizlogin": bizlogin,
    "/cgi-bin/scanloginqrcode": scanloginqrcode,
    "/cgi-bin/home": home,
    "/simulator/scan": scan,
}
