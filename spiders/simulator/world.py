"""The simulated platforms' world: who exists, how each account behaves, and what it has posted.

Deterministic: the same config, anchor and clock always give the same answers, across processes
(hashes are CRC-32 of text, never Python's salted `hash`).

Each account has an activity profile (`Profile`). Profiles are chosen, in this order:

1. `overrides` given to `World.from_config` (tests);
2. the fixed mapping of the sample 博爱县 ledger (`SAMPLE_PROFILES`, below), so that the demo shows
   every case;
3. an identifier (or WeChat name) that starts with a profile name and `-`, e.g. uid
   `blocked-7` or fakeid `silent_120d-x`: tests and the synthetic benchmark world use this;
4. otherwise a CRC-32 of the identifier picks a profile from `HASH_MIX` (mostly active).

Silence is measured from the world's `anchor` (the instant the world was built for): a
`silent_10d` account posted last 10 days before the anchor, so moving the clock forward makes it
more silent, as a real silent account would be. Active profiles post up to the clock's `now`.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from registry.constants import DEFAULT_SOURCE, LOCAL_TZ, Platform, Source
from registry.models import Config


class Profile(StrEnum):
    """How a simulated account behaves."""

    DAILY = "daily"  # one or two posts every day, up to now
    WEEKLY = "weekly"  # one post each ISO week
    SILENT_10D = "silent_10d"  # posted every other day until 10 days before the anchor
    SILENT_20D = "silent_20d"  # … until 20 days before
    SILENT_120D = "silent_120d"  # … until 120 days before (a zombie)
    NEVER_POSTED = "never_posted"  # exists, no posts at all
    DELETED = "deleted"  # gone: Weibo 用户不存在, WeChat no exact name / invalid fakeid
    BLOCKED = "blocked"  # Weibo HTTP 418/403/412/432, WeChat base_resp 200013
    AUTH_EXPIRED = "auth_expired"  # Weibo ok: -100, WeChat base_resp 200003
    PASSPORT = "passport"  # Weibo 302 to passport.weibo.cn; WeChat as auth_expired
    VISITOR = "visitor"  # Weibo 302 to visitor.passport.weibo.cn; others as auth_expired
    MALFORMED = "malformed"  # a truncated body, or a publish_info that is not JSON
    EMPTY_BODY = "empty_body"  # 200 with an empty body where JSON was expected
    CAPTCHA = "captcha"  # a 环境异常 / captcha HTML page
    SLOW = "slow"  # answers only after `World.slow_seconds` (a timeout)
    FLAKY = "flaky"  # 503 the first time each URL is asked, then daily
    SERVER_ERROR = "server_error"  # 502 every time
    FILE_REDIRECT = "file_redirect"  # 302 to file:///etc/passwd (a hijacked or broken site)
    FUTURE_DATED = "future_dated"  # daily, plus a post dated 2030 on top (a CMS clock or typo)
    ECHO_SECRETS = "echo_secrets"  # daily; its answers echo the login it was sent (WeChat)


# Profiles whose platform wants a (new) login; the platforms without one answer as auth_expired.
LOGIN_PROFILES = frozenset({Profile.AUTH_EXPIRED, Profile.PASSPORT, Profile.VISITOR})

# Profiles that post (and how often): silence is how many days before the anchor they stopped.
SILENCE_DAYS: dict[Profile, int] = {
    Profile.SILENT_10D: 10,
    Profile.SILENT_20D: 20,
    Profile.SILENT_120D: 120,
}
HISTORY_DAYS = 400  # how far back a simulated account's posts go

# The sample ledger (config.yaml): every profile a clerk should see, on a real-looking county.
SAMPLE_PROFILES: dict[str, Profile] = {
    # Weibo
    "xzf-weibo": Profile.DAILY,  # with an old pinned post, reposts and a card_type 11 group
    "gaj-weibo": Profile.DAILY,
    "wjw-weibo": Profile.SILENT_20D,  # closing; older payloads with relative times (3天前…)
    "yjglj-weibo": Profile.DELETED,
    "rmt-weibo": Profile.WEEKLY,
    "scjgj-weibo": Profile.DELETED,  # closed and deregistered: the platform says it is gone
    # WeChat
    "xzf-wechat": Profile.DAILY,  # multi-article pushes
    "gaj-wechat": Profile.DAILY,
    "jyj-wechat": Profile.WEEKLY,  # no fakeid: found by exact name among near misses
    "wjw-wechat": Profile.SILENT_10D,
    "rsj-wechat": Profile.SILENT_20D,
    "scjgj-wechat": Profile.SILENT_120D,
    "whlyj-wechat": Profile.WEEKLY,
    "yjglj-wechat": Profile.BLOCKED,
    "zrzyj-wechat": Profile.MALFORMED,
    "nyncj-wechat": Profile.AUTH_EXPIRED,
    "qhz-wechat": Profile.NEVER_POSTED,
    # Bilibili, feeds and government sites (served by their own simulator modules)
    "whlyj-bilibili": Profile.WEEKLY,
    "rmt-bilibili": Profile.DAILY,
    "gaj-douyin": Profile.DAILY,
    "whlyj-douyin": Profile.SILENT_10D,
    "xlz-wechat": Profile.WEEKLY,
    "xzf-web-zwyw": Profile.DAILY,
    "jyj-web-tzgg": Profile.WEEKLY,
    "zrzyj-web-gsgg": Profile.SILENT_20D,
}
# Accounts whose Weibo payloads use the older relative times.
SAMPLE_RELATIVE_TIMES = frozenset({"wjw-weibo"})

# The mix for identifiers nobody configured (the synthetic benchmark world too): per 100.
HASH_MIX: tuple[tuple[Profile, int], ...] = (
    (Profile.DAILY, 40),
    (Profile.WEEKLY, 25),
    (Profile.SILENT_10D, 8),
    (Profile.SILENT_20D, 7),
    (Profile.SILENT_120D, 8),
    (Profile.NEVER_POSTED, 3),
    (Profile.DELETED, 3),
    (Profile.BLOCKED, 2),
    (Profile.AUTH_EXPIRED, 1),
    (Profile.MALFORMED, 3),
)

SIMULATOR_WECHAT_TOKEN = "1618033988"
SIMULATOR_WECHAT_COOKIE = "slave_user=gh_0b5a1d2c3e4f; slave_sid=c2ltdWxhdGVkLXNlc3Npb24="


def crc(*parts: object) -> int:
    """A stable hash of text parts (the same in every process)."""
    return zlib.crc32("\x1f".join(str(p) for p in parts).encode("utf-8"))


def mix(a: int, b: int) -> int:
    """A stable hash of two integers (cheaper than `crc` on the simulator's hot paths)."""
    return zlib.crc32(b"%d:%d" % (a, b))


def profile_from_text(text: str) -> Profile | None:
    """`blocked-7` → BLOCKED: the naming convention tests and the synthetic world use."""
    head = text.split("-", 1)[0]
    try:
        return Profile(head) if "-" in text else None
    except ValueError:
        return None


def hashed_profile(identifier: str) -> Profile:
    bucket = crc("profile", identifier) % 100
    for profile, weight in HASH_MIX:
        if bucket < weight:
            return profile
        bucket -= weight
    return Profile.DAILY


def site_path(url: str) -> str:
    """`https://www.boai.gov.cn/zwgk/zwyw/` → `/sites/www.boai.gov.cn/zwgk/zwyw/`: where the
    simulator serves a feed or a government site. A URL already pointed at it keeps its path."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if path.startswith("/sites/"):
        return path + (f"?{parts.query}" if parts.query else "")
    return f"/sites/{parts.netloc}{path}" + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True, slots=True)
class SimAccount:
    """One simulated account on one source."""

    source: Source
    identifier: str
    name: str
    profile: Profile
    account_id: str | None = None
    relative_times: bool = False
    seed: int = field(init=False, repr=False, compare=False)  # a stable hash, computed once

    def __post_init__(self) -> None:
        object.__setattr__(self, "seed", crc(self.source.value, self.identifier))


@dataclass
class WbiRotation:
    """When simulated Bilibili changes its Wbi keys (served by spiders/simulator/bilibili.py).

    The platform changes them daily; tests change them mid-crawl: `rotate()` now, or once
    `after_accepted` signed requests have been accepted. `reject_all` refuses every signature,
    whatever the keys (a platform that changed its signing rules).
    """

    after_accepted: int | None = None
    reject_all: bool = False
    rotations: int = 0
    accepted: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def rotate(self) -> None:
        with self._lock:
            self.rotations += 1

    def count_accepted(self) -> None:
        """Note one accepted signed request; rotate when the count reaches `after_accepted`."""
        with self._lock:
            self.accepted += 1
            if self.accepted == self.after_accepted:
                self.rotations += 1


@dataclass
class QrLogin:
    """One MP platform QR login in progress (spiders/simulator/mplogin.py)."""

    created: dt.datetime
    status: int = 0  # the `ask` status: 0 waiting, 4 scanned, 1 confirmed, 2 expired, 3 cancelled
    account: str = ""  # who scanned (the MP account's name)


@dataclass
class Logins:
    """The simulated platforms' login systems: Weibo's visitor passport and the WeChat MP QR
    login, with what they have issued. Tests refuse, expire and scan through it."""

    visitor_refuse: bool = False  # the visitor passport answers a failure retcode
    legacy_gone: bool = False  # genvisitor answers 404: only genvisitor2 works
    visitor_days: int = 365  # how long a visitor SUB lasts
    visitor_tids: set[str] = field(default_factory=set)
    visitor_subs: dict[str, dt.datetime] = field(default_factory=dict)  # SUB → expiry
    qr: dict[str, QrLogin] = field(default_factory=dict)  # uuid cookie → the login
    qr_seconds: int = 300  # a QR code expires after five minutes unscanned
    mp_hours: float = 84.0  # an MP session lasts about 3.5 days
    # token → (slave_sid, expiry, account) of the sessions the QR login issued
    mp_sessions: dict[str, tuple[str, dt.datetime, str]] = field(default_factory=dict)
    freq_limited: set[str] = field(default_factory=set)  # tokens that answer 200013
    served: dict[str, int] = field(default_factory=dict)  # token → list answers given
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def scan(
        self, uuid: str, *, confirm: bool | None = True, account: str = "博爱县人民政府"
    ) -> bool:
        """A phone scans the QR code of `uuid` and confirms (or cancels; None: not yet, the
        code shows as scanned). False: no such code."""
        with self.lock:
            login = self.qr.get(uuid)
            if login is None or login.status not in (0, 4):
                return False
            login.status = 4 if confirm is None else (1 if confirm else 3)
            login.account = account
            return True

    def pending(self) -> list[str]:
        """The uuids of QR codes waiting for a scan."""
        with self.lock:
            return [uuid for uuid, login in self.qr.items() if login.status == 0]


@dataclass
class World:
    """Everyone the simulated platforms know, and how they behave."""

    anchor: dt.datetime
    accounts: dict[tuple[Source, str], SimAccount] = field(default_factory=dict)
    names: dict[tuple[Source, str], SimAccount] = field(default_factory=dict)
    wechat_token: str = SIMULATOR_WECHAT_TOKEN
    wechat_cookie: str = SIMULATOR_WECHAT_COOKIE
    slow_seconds: float = 5.0
    wbi: WbiRotation = field(default_factory=WbiRotation)
    logins: Logins = field(default_factory=lambda: Logins())

    @classmethod
    def from_config(
        cls,
        config: Config,
        now: dt.datetime,
        *,
        overrides: Mapping[str, Profile] | None = None,
    ) -> World:
        """The world of a ledger: each of its accounts with its profile (see module docstring)."""
        world = cls(anchor=now)
        overrides = overrides or {}
        for _department, account in config.iter_accounts():
            source = account.effective_source
            if source is Source.MANUAL:
                continue
            identifier = account.identifier
            if source in (Source.FEED, Source.WEB) and identifier:
                identifier = site_path(identifier)
            if not identifier:  # a WeChat account searched by name gets a fakeid here
                identifier = f"Mz{crc('fakeid', account.id):010d}=="
            profile = (
                overrides.get(account.id)
                or SAMPLE_PROFILES.get(account.id)
                or profile_from_text(identifier)
                or profile_from_text(account.name)
                or hashed_profile(identifier)
            )
            world.add(
                SimAccount(
                    source=source,
                    identifier=identifier,
                    name=account.name,
                    profile=profile,
                    account_id=account.id,
                    relative_times=account.id in SAMPLE_RELATIVE_TIMES,
                )
            )
        return world

    def add(self, account: SimAccount) -> None:
        self.accounts[(account.source, account.identifier)] = account
        self.names.setdefault((account.source, account.name), account)

    def resolve(self, source: Source, identifier: str) -> SimAccount:
        """The account behind an identifier; one nobody configured gets a hashed profile."""
        known = self.accounts.get((source, identifier))
        if known is not None:
            return known
        profile = profile_from_text(identifier) or hashed_profile(identifier)
        return SimAccount(source, identifier, f"{source.value}-{identifier}", profile)

    def search(self, source: Source, name: str) -> SimAccount | None:
        """The account with exactly this name, if one exists (a deleted one does not)."""
        known = self.names.get((source, name))
        if known is None:
            profile = profile_from_text(name) or hashed_profile(name)
            known = SimAccount(source, f"{profile.value}-n{crc('name', name)}", name, profile)
        return None if known.profile is Profile.DELETED else known

    def site(self, path: str, source: Source = Source.WEB) -> SimAccount:
        """A feed or site account by its `/sites/…` path (see `site_path`)."""
        return self.resolve(source, path)

    def mapping(self) -> list[tuple[str, str, str, str]]:
        """(account id, source, identifier, profile) of the configured accounts, for printing."""
        return [
            (a.account_id or "", a.source.value, a.identifier, a.profile.value)
            for a in self.accounts.values()
        ]

    # ------------------------------------------------------------------ activity

    def post_times(self, account: SimAccount, now: dt.datetime) -> tuple[int, ...]:
        """Unix seconds of the account's posts, newest first, up to `now`."""
        return _post_times(
            account.profile, account.seed, int(self.anchor.timestamp()), int(now.timestamp())
        )


# Asia/Shanghai has been UTC+8 all year since 1991: local days are plain arithmetic here, which
# keeps the simulator fast enough to serve a 20,000-account benchmark.
_UTC_OFFSET = 8 * 3600
_DAY = 86400
# The post a FUTURE_DATED account shows on top: 2030-01-01 09:00 in Shanghai.
FUTURE_POST = int(dt.datetime(2030, 1, 1, 9, 0, tzinfo=LOCAL_TZ).timestamp())


def _spread(seed: int, n: int) -> int:
    """A cheap, stable 32-bit hash of two integers (a multiply-xorshift, no text)."""
    h = ((seed ^ (n * 0x9E3779B1)) * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    return (h * 0xC2B2AE35) & 0xFFFFFFFF ^ (h >> 16)


@lru_cache(maxsize=8192)
def _post_times(profile: Profile, seed: int, anchor: int, now: int) -> tuple[int, ...]:
    if profile in (Profile.NEVER_POSTED, Profile.DELETED):
        return ()
    silence = SILENCE_DAYS.get(profile)
    last = now if silence is None else min(now, anchor - silence * _DAY)
    first_day = (anchor + _UTC_OFFSET) // _DAY - HISTORY_DAYS
    last_day = (last + _UTC_OFFSET) // _DAY  # local days since 1970-01-01, a Thursday
    times: list[int] = []
    if profile is Profile.WEEKLY:  # one post each ISO week, Monday to Friday, at 10:xx
        for week in range((last_day + 3) // 7, (first_day + 3) // 7 - 1, -1):
            h = _spread(seed, week)
            day = week * 7 - 3 + h % 5
            if first_day <= day <= last_day:
                times.append(day * _DAY - _UTC_OFFSET + 10 * 3600 + (h >> 8) % 50 * 60)
    elif silence is not None:  # every other day at 9:xx, until it went silent
        start = last_day if last_day % 2 == seed % 2 else last_day - 1
        for day in range(start, first_day - 1, -2):
            h = _spread(seed, day)
            times.append(day * _DAY - _UTC_OFFSET + 9 * 3600 + h % 90 * 60)
    else:  # daily (and the fault profiles, when they answer): 8:30–10:30, some days 16:xx too
        for day in range(last_day, first_day - 1, -1):
            h = _spread(seed, day)
            midnight = day * _DAY - _UTC_OFFSET
            if h % 3 == 0:
                times.append(midnight + 16 * 3600 + (h >> 4) % 90 * 60)
            times.append(midnight + 8 * 3600 + (30 + (h >> 10) % 120) * 60)
    credible = tuple(t for t in times if t <= last)
    return (FUTURE_POST, *credible) if profile is Profile.FUTURE_DATED else credible


# ---------------------------------------------------------------------------------------------
# Configs pointed at the simulator, and synthetic ledgers


def _effective_source(account: Mapping[str, Any]) -> Source | None:
    if account.get("source"):
        return Source(account["source"])
    try:
        return DEFAULT_SOURCE[Platform(account.get("platform"))]
    except ValueError:
        return None


def point_config_at(config_data: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A copy of config data whose sources (and feed/web account URLs) go to `base_url`.

    `sources.*.base_url` becomes `base_url`; a feed or web account's `url` becomes
    `{base_url}/sites/{host}/{path}` (see `site_path`). Nothing else changes.
    """
    data = copy.deepcopy(config_data)
    base_url = base_url.rstrip("/")
    sources = data.get("sources") or {}
    for source in (Source.WEIBO, Source.WECHAT, Source.BILIBILI, Source.FEED, Source.WEB):
        settings = dict(sources.get(source.value) or {})
        settings["base_url"] = base_url
        sources[source.value] = settings
    data["sources"] = sources
    for department in data.get("departments") or []:
        for account in department.get("accounts") or []:
            if _effective_source(account) in (Source.FEED, Source.WEB) and account.get("url"):
                account["url"] = base_url + site_path(str(account["url"]))
    return data


def synthetic_config(
    n: int,
    *,
    sources: tuple[Source, ...] = (Source.WEIBO, Source.WECHAT),
    per_department: int = 50,
) -> dict[str, Any]:
    """Config data for `n` accounts, alternating over `sources`, profiles by `HASH_MIX`.

    Identifiers carry no profile prefix, so the hash decides, as for a real ledger.
    """
    departments: list[dict[str, Any]] = []
    for index in range(n):
        if index % per_department == 0:
            departments.append(
                {
                    "id": f"d{index // per_department:05d}",
                    "name": f"模拟单位{index // per_department:05d}",
                    "level": "county",
                    "accounts": [],
                }
            )
        source = sources[index % len(sources)]
        account: dict[str, Any] = {
            "id": f"a{index:06d}",
            "name": f"模拟账号{index:06d}",
            "platform": source.value,
            "owner": {"name": "测试员", "phone": "13800000000"},
            "filed_on": "2020-01-01",
        }
        if source is Source.WEIBO:
            account["uid"] = str(5_000_000_000 + index)
        elif source is Source.WECHAT:
            account["fakeid"] = f"MzU{index:09d}=="
        elif source is Source.BILIBILI:
            account["mid"] = str(100_000 + index)
        departments[-1]["accounts"].append(account)
    return {
        "jurisdiction": "模拟县",
        "policy": {"one_account_per_platform": "off", "require_exception_basis": False},
        "departments": departments,
    }
