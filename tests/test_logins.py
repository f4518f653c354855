"""Platform logins end to end against the simulated platforms: Weibo visitor cookies from the
visitor passport, the WeChat MP QR login and its stored sessions, `login status`, and the login
health reminders of the cycle."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry import credentials
from spiders.simulator import RunningSimulator, World, start_simulator
from tests.fixtures.simulator import SIM_NOW, govmedia, write_crawl_config
from tests.test_crawl_faults import ledger, weibo

VISITOR_LEDGER = ledger(
    [
        weibo("wb-v1", "visitor-v1"),
        weibo("wb-v2", "visitor-v2"),
        weibo("wb-v3", "visitor-v3"),
        weibo("wb-daily", "daily-v1"),
        weibo("wb-login", "auth_expired-v1"),
    ]
)


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    """A simulator of its own: these tests change what its login systems answer."""
    with start_simulator(World(anchor=SIM_NOW), port=0) as running:
        yield running


def crawl(path: Path, env: dict[str, str] | None = None) -> tuple[dict[str, Any], str]:
    done = govmedia("crawl", "--json", "-c", str(path), "--now", SIM_NOW.isoformat(), env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return {r["account"]: r for r in json.loads(done.stdout)}, done.stdout + done.stderr


def store_text(path: Path) -> str:
    with sqlite3.connect(path.parent / "govmedia.sqlite3") as conn:
        rows = conn.execute("select detail, url from observations").fetchall()
    return json.dumps(rows, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Weibo visitor cookies


def test_visitor_redirect_gets_visitor_cookies_and_the_accounts_are_crawled(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    path = write_crawl_config(
        tmp_path, sim.url, VISITOR_LEDGER, sources={"weibo": {"concurrency": 3}}
    )
    found, output = crawl(path)
    assert {a: found[a]["outcome"] for a in found} == {
        "wb-v1": "ok",
        "wb-v2": "ok",
        "wb-v3": "ok",
        "wb-daily": "ok",
        "wb-login": "auth_expired",  # ok: -100 with visitor cookies too: it needs a real login
    }
    assert found["wb-v1"]["posts_seen"] > 0
    assert sim.server.hits["/visitor/genvisitor"] == 1  # once per crawl, the others waited
    assert sim.server.hits["/visitor/visitor"] == 1
    stored = tmp_path / credentials.FILE_NAME
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    visitor = credentials.load(stored).weibo_visitor
    assert visitor is not None and visitor.cookie.startswith("SUB=_2AkM")
    assert visitor.expires_at > SIM_NOW  # the SUB cookie's own expiry, a year on
    sub = visitor.cookie.split(";")[0].split("=", 1)[1]
    assert sub not in output and sub not in store_text(path)

    again, _ = crawl(path)  # the stored cookies are sent from the start: no passport request
    assert again["wb-v1"]["outcome"] == "ok"
    assert sim.server.hits["/visitor/genvisitor"] == 1


def test_visitor_passport_refusing_is_an_expired_login(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    sim.world.logins.visitor_refuse = True
    path = write_crawl_config(tmp_path, sim.url, VISITOR_LEDGER)
    found, _ = crawl(path)
    assert found["wb-v1"]["outcome"] == "auth_expired"
    assert "no visitor cookies: the visitor passport refused" in found["wb-v1"]["detail"]
    assert found["wb-v2"]["outcome"] == "auth_expired"
    assert found["wb-daily"]["outcome"] == "ok"
    assert sim.server.hits["/visitor/genvisitor"] == 1  # not asked again in the same crawl
    assert not (tmp_path / credentials.FILE_NAME).exists()


def test_configured_weibo_cookie_wins_over_visitor_cookies(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    path = write_crawl_config(tmp_path, sim.url, VISITOR_LEDGER)
    found, output = crawl(path, env={"GOVMEDIA_WEIBO_COOKIE": "SUB=configured-login-cookie"})
    assert found["wb-v1"]["outcome"] == "auth_expired"
    assert found["wb-daily"]["outcome"] == "ok"
    assert sim.server.hits["/visitor/genvisitor"] == 0
    assert sim.server.hits["/visitor/visitor"] == 0
    assert "configured-login-cookie" not in output
