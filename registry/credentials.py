"""Stored platform logins: WeChat MP sessions from `govmedia login wechat` and Weibo visitor
cookies, in one JSON file next to the store (`credentials.json`, mode 0600).

Never in config.yaml and never logged: every value read from or written to the file is handed to
the redactor (registry/secrets.py). The environment variables (GOVMEDIA_WECHAT_TOKEN and
_COOKIE, GOVMEDIA_WEIBO_COOKIE) still override what is stored. The file is read afresh by every
crawl, so a new login takes effect at the next crawl without a restart.

Writes are atomic (a temporary file in the same folder, then a rename) under a lock file, so the
login command and a crawl storing visitor cookies never lose each other's update.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from registry.i18n import _
from registry.secrets import REDACTOR

FILE_NAME = "credentials.json"
FILE_MODE = 0o600
VERSION = 1


class CredentialsError(ValueError):
    """The credentials file cannot be read (its path and why)."""


@dataclass
class WechatSession:
    """One office's MP platform login: the token from redirect_url and the session cookies."""

    account: str  # who logged in (the MP account's name or id; the slave_user value if unknown)
    token: str
    cookie: str
    logged_in_at: dt.datetime
    expires_at: dt.datetime | None  # the slave_user cookie's expiry

    def expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass
class VisitorCookie:
    """Weibo visitor cookies (SUB, SUBP) from the visitor passport."""

    cookie: str
    obtained_at: dt.datetime
    expires_at: dt.datetime

    def valid(self, now: dt.datetime) -> bool:
        return self.expires_at > now


@dataclass
class Credentials:
    wechat: list[WechatSession] = field(default_factory=list)
    weibo_visitor: VisitorCookie | None = None

    def secrets(self) -> list[str]:
        values = [v for s in self.wechat for v in (s.token, s.cookie)]
        if self.weibo_visitor is not None:
            values.append(self.weibo_visitor.cookie)
        return values


def credentials_path(store_url: str, config_dir: Path) -> Path:
    """The data folder's credentials file: next to a SQLite store, else next to config.yaml."""
    prefix = "sqlite:///"
    if store_url.startswith(prefix) and store_url != prefix + ":memory:":
        return Path(store_url[len(prefix) :]).parent / FILE_NAME
    return config_dir / FILE_NAME


def _instant(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def load(path: Path) -> Credentials:
    """The stored logins (none when the file does not exist); their values become secrets."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Credentials()
    except OSError as exc:
        raise CredentialsError(
            _("{path}: cannot read ({reason})").format(path=path, reason=exc.strerror)
        ) from None
    try:
        data = json.loads(raw)
        creds = Credentials(
            wechat=[
                WechatSession(
                    account=str(s["account"]),
                    token=str(s["token"]),
                    cookie=str(s["cookie"]),
                    logged_in_at=_instant(s["logged_in_at"]) or dt.datetime.now(dt.UTC),
                    expires_at=_instant(s.get("expires_at")),
                )
                for s in data.get("wechat") or []
            ]
        )
        visitor = data.get("weibo_visitor")
        if visitor:
            creds.weibo_visitor = VisitorCookie(
                cookie=str(visitor["cookie"]),
                obtained_at=_instant(visitor["obtained_at"]) or dt.datetime.now(dt.UTC),
                expires_at=_instant(visitor["expires_at"]) or dt.datetime.now(dt.UTC),
            )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # never quote the file: it holds secrets
        raise CredentialsError(
            _("{path}: not a credentials file ({error})").format(
                path=path, error=type(exc).__name__
            )
        ) from None
    REDACTOR.add_values(creds.secrets())
    return creds


def _jsonable(creds: Credentials) -> dict[str, Any]:
    def plain(obj: Any) -> Any:
        out = asdict(obj)
        return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in out.items()}

    return {
        "version": VERSION,
        "wechat": [plain(s) for s in creds.wechat],
        "weibo_visitor": plain(creds.weibo_visitor) if creds.weibo_visitor else None,
    }


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=30):
        yield


def save(path: Path, creds: Credentials) -> None:
    """Write the file atomically, readable by its owner only."""
    REDACTOR.add_values(creds.secrets())
    text = json.dumps(_jsonable(creds), ensure_ascii=False, indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{FILE_NAME}.", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    os.chmod(path, FILE_MODE)


def update(path: Path, change: Callable[[Credentials], None]) -> Credentials:
    """Read, change and write the file under its lock; returns what was written."""
    with _locked(path):
        creds = load(path)
        change(creds)
        save(path, creds)
        return creds


def store_wechat(path: Path, session: WechatSession) -> Credentials:
    """Add a WeChat login, replacing an earlier one of the same account."""

    def change(creds: Credentials) -> None:
        creds.wechat = [s for s in creds.wechat if s.account != session.account] + [session]

    return update(path, change)


def store_visitor(path: Path, visitor: VisitorCookie) -> Credentials:
    def change(creds: Credentials) -> None:
        creds.weibo_visitor = visitor

    return update(path, change)


# ---------------------------------------------------------------------------------------------
# Set-Cookie headers, as the platforms send them


def set_cookies(headers: list[str], now: dt.datetime) -> dict[str, tuple[str, dt.datetime | None]]:
    """name → (value, expiry) from Set-Cookie header values (Max-Age before Expires, as RFC
    6265 says); a cookie being deleted (expired already) is left out."""
    import email.utils

    out: dict[str, tuple[str, dt.datetime | None]] = {}
    for header in headers:
        first, *attributes = [part.strip() for part in header.split(";")]
        name, sep, value = first.partition("=")
        if not sep or not name:
            continue
        expires: dt.datetime | None = None
        max_age: int | None = None
        for attribute in attributes:
            key, _, arg = attribute.partition("=")
            key = key.strip().lower()
            if key == "max-age":
                with contextlib.suppress(ValueError):
                    max_age = int(arg)
            elif key == "expires":
                with contextlib.suppress(TypeError, ValueError):
                    expires = email.utils.parsedate_to_datetime(arg.strip())
                    if expires.tzinfo is None:
                        expires = expires.replace(tzinfo=dt.UTC)
        if max_age is not None:
            expires = now + dt.timedelta(seconds=max_age)
        if expires is not None and expires <= now:
            out.pop(name.strip(), None)
            continue
        out[name.strip()] = (value.strip(), expires)
    return out
