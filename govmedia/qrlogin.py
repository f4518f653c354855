"""The WeChat MP platform's QR login over plain HTTP, as its login page does it:

1. `POST /cgi-bin/bizlogin?action=startlogin` → a `uuid` cookie for this login;
2. `GET /cgi-bin/scanloginqrcode?action=getqrcode&random=MS` → the QR image (written to a file,
   and drawn in the terminal when it is a PNG);
3. `GET /cgi-bin/scanloginqrcode?action=ask&token=&lang=zh_CN&f=json&ajax=1`, polled: `status`
   0 waiting, 4 or 6 scanned (waiting for the phone's confirmation), 1 confirmed, 2 expired,
   3 cancelled (other values: refused);
4. `POST /cgi-bin/bizlogin?action=login` → `redirect_url` holding `token=`, and the session
   cookies; the session ends when the `slave_user` cookie expires (about 3–4 days).

Cookies are kept by hand (the platform marks them Secure; the simulator speaks plain HTTP).
Nothing here prints or logs the token or a cookie.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import struct
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from registry.credentials import WechatSession, set_cookies
from registry.i18n import _

STATUS_WAITING = 0
STATUS_CONFIRMED = 1
STATUS_EXPIRED = 2
STATUS_CANCELLED = 3
STATUS_SCANNED = frozenset({4, 6})
FORM = {"userlang": "zh_CN", "redirect_url": "", "login_type": "3", "token": ""}
JSON_ARGS = {"lang": "zh_CN", "f": "json", "ajax": "1"}
_NICK = re.compile(r"nick_name\s*[:=]\s*\"([^\"]+)\"")


class LoginFailed(RuntimeError):
    """The QR login ended without a session (expired, cancelled, refused, unreachable)."""


@dataclass
class QrLogin:
    """One QR login against `base_url` (the MP platform, or the simulator)."""

    base_url: str
    user_agent: str
    timeout: float = 15.0
    cookies: dict[str, tuple[str, dt.datetime | None]] = field(default_factory=dict)

    def _request(
        self, path: str, params: dict[str, str], form: dict[str, str] | None = None
    ) -> tuple[bytes, str]:
        url = f"{self.base_url.rstrip('/')}{path}?{urlencode(params)}"
        headers = {
            "User-Agent": self.user_agent,
            "Referer": f"{self.base_url.rstrip('/')}/",
            "Accept": "application/json, text/javascript, */*; q=0.01",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, (v, _) in self.cookies.items())
        data = None
        if form is not None:
            data = urlencode(form).encode("utf-8")
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
        request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (http/s only)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                body = answer.read()
                content_type = answer.headers.get("Content-Type", "")
                received = answer.headers.get_all("Set-Cookie") or []
                date = answer.headers.get("Date")
        except urllib.error.HTTPError as exc:
            raise LoginFailed(f"{path}: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise LoginFailed(
                _("cannot reach {host}: {reason}").format(host=urlsplit(url).netloc, reason=reason)
            ) from None
        # Expiry is read against the platform's clock (its Date header), as a browser would.
        now = _http_date(date) or dt.datetime.now(dt.UTC)
        for header in received:  # a cookie being deleted leaves the jar
            name = header.split("=", 1)[0].strip()
            fresh = set_cookies([header], now)
            if name in fresh:
                self.cookies[name] = fresh[name]
            else:
                self.cookies.pop(name, None)
        return body, content_type

    def _json(self, path: str, params: dict[str, str], form: dict[str, str] | None = None) -> Any:
        body, _content_type = self._request(path, params, form)
        try:
            payload = json.loads(body)
        except ValueError:
            raise LoginFailed(_("{path}: the answer is not JSON").format(path=path)) from None
        ret = (payload.get("base_resp") or {}).get("ret") if isinstance(payload, dict) else None
        if ret != 0:
            raise LoginFailed(
                _("{path}: the platform refused (base_resp.ret {ret})").format(path=path, ret=ret)
            )
        return payload

    def start(self) -> None:
        session_id = f"{int(time.time() * 1000)}{random.randint(10, 99)}"  # noqa: S311
        self._json(
            "/cgi-bin/bizlogin",
            {"action": "startlogin"},
            {**FORM, "sessionid": session_id, **JSON_ARGS},
        )

    def qr_image(self) -> tuple[bytes, str]:
        body, content_type = self._request(
            "/cgi-bin/scanloginqrcode",
            {"action": "getqrcode", "random": str(int(time.time() * 1000))},
        )
        if not body:
            raise LoginFailed(_("the platform sent no QR code"))
        return body, content_type

    def ask(self) -> int:
        payload = self._json(
            "/cgi-bin/scanloginqrcode", {"action": "ask", "token": "", **JSON_ARGS}
        )
        status = payload.get("status")
        if not isinstance(status, int):
            raise LoginFailed(_("the platform's scan status is not a number"))
        return status

    def wait(
        self,
        *,
        timeout: float,
        poll: float,
        on_scanned: Callable[[], None] = lambda: None,
    ) -> None:
        """Poll until the phone confirms; LoginFailed when the code expires or is cancelled."""
        deadline = time.monotonic() + timeout
        told = False
        while True:
            status = self.ask()
            if status == STATUS_CONFIRMED:
                return
            if status == STATUS_EXPIRED:
                raise LoginFailed(_("the QR code expired before it was confirmed; run it again"))
            if status == STATUS_CANCELLED:
                raise LoginFailed(_("the login was cancelled on the phone"))
            if status in STATUS_SCANNED and not told:
                told = True
                on_scanned()
            elif status != STATUS_WAITING and status not in STATUS_SCANNED:
                raise LoginFailed(
                    _("the platform refused the login (status {status})").format(status=status)
                )
            if time.monotonic() >= deadline:
                raise LoginFailed(
                    _("no confirmation within {seconds} s").format(seconds=f"{timeout:.0f}")
                )
            time.sleep(poll)

    def finish(self, now: dt.datetime) -> WechatSession:
        """Log in with the confirmed code: the token from redirect_url, the session cookies."""
        payload = self._json(
            "/cgi-bin/bizlogin",
            {"action": "login"},
            {
                **FORM,
                "cookie_forbidden": "0",
                "cookie_cleaned": "0",
                "plugin_used": "0",
                **JSON_ARGS,
            },
        )
        redirect = str(payload.get("redirect_url") or "")
        token = (parse_qs(urlsplit(redirect).query).get("token") or [""])[0]
        if not token:
            raise LoginFailed(_("the platform's redirect_url holds no token"))
        self.cookies.pop("uuid", None)
        user = self.cookies.get("slave_user")
        if user is None or "slave_sid" not in self.cookies:
            raise LoginFailed(_("the platform set no session cookies (slave_user, slave_sid)"))
        cookie = "; ".join(f"{k}={v}" for k, (v, _) in self.cookies.items())
        account = self.nickname(token) or user[0]
        return WechatSession(
            account=account, token=token, cookie=cookie, logged_in_at=now, expires_at=user[1]
        )

    def nickname(self, token: str) -> str:
        """Who logged in, from the home page's script (best effort: "" when not found)."""
        try:
            body, _content_type = self._request(
                "/cgi-bin/home", {"t": "home/index", "lang": "zh_CN", "token": token}
            )
        except LoginFailed:
            return ""
        found = _NICK.search(body.decode("utf-8", "replace"))
        return found.group(1) if found else ""


def _http_date(value: str | None) -> dt.datetime | None:
    import email.utils

    try:
        return email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# Drawing a PNG QR code in the terminal (pure Python: no image library)


def png_pixels(data: bytes) -> list[list[bool]] | None:
    """The dark pixels of a non-interlaced PNG (greyscale, palette, RGB, RGBA; 8-bit or less),
    or None for anything else (e.g. the JPEG the real platform may send)."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    pos, idat, palette = 8, b"", b""
    header: tuple[int, ...] = ()
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, chunk = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"PLTE":
            palette = chunk
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    if not header:
        return None
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(color)
    if channels is None or interlace or depth > 8:
        return None
    raw = zlib.decompress(idat)
    bpp = max(1, channels * depth // 8)
    stride = (width * channels * depth + 7) // 8
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(line)
        prev = line
    out = []
    for line in rows:
        row = []
        for x in range(width):
            if depth < 8:
                bit = x * depth
                value = (line[bit // 8] >> (8 - depth - bit % 8)) & ((1 << depth) - 1)
                level = value * 255 // ((1 << depth) - 1)
            else:
                level = line[x * channels]
            if color == 3:
                index = value if depth < 8 else line[x]
                level = palette[index * 3] if index * 3 < len(palette) else 255
            row.append(level < 128)
        out.append(row)
    return out


def terminal_qr(data: bytes) -> str | None:
    """A PNG QR code as text (two pixel rows per line, ▀▄█), one character per module."""
    pixels = png_pixels(data)
    if not pixels:
        return None
    runs = []  # the module size: the shortest run of one colour along the rows
    for row in pixels:
        run = 1
        for a, b in zip(row, row[1:], strict=False):
            if a == b:
                run += 1
            else:
                runs.append(run)
                run = 1
    step = max(1, min(runs)) if runs else 1
    grid = [row[step // 2 :: step] for row in pixels[step // 2 :: step]]
    grid.append([False] * len(grid[0]))
    lines = []
    for top, bottom in zip(grid[0::2], grid[1::2], strict=False):
        # light modules print as blocks, so the code reads on a dark terminal too
        lines.append(
            "".join(" ▄▀█"[(not t) * 2 + (not b)] for t, b in zip(top, bottom, strict=True))
        )
    return "\n".join(lines)
