"""Fault cases end to end: blocked, expired login, truncated bodies, timeouts, retries, the circuit
breaker and missing credentials, against the simulated platforms.

Identifiers name their simulated profile (`blocked-f1` is a blocked account, see
spiders/simulator/world.py), so each case is plain data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spiders.simulator import RunningSimulator
from tests.fixtures.simulator import SIM_ENV, SIM_NOW, govmedia

OWNER = {"name": "测试员", "phone": "13800000000"}


def ledger(accounts: list[dict[str, Any]]) -> dict[str, Any]:
    for account in accounts:
        account.setdefault("owner", OWNER)
        account.setdefault("filed_on", "2020-01-01")
    return {
        "jurisdiction": "测试县",
        "policy": {"one_account_per_platform": "off"},
        "departments": [{"id": "t", "name": "测试单位", "level": "county", "accounts": accounts}],
    }


def weibo(account_id: str, uid: str) -> dict[str, Any]:
    return {"id": account_id, "name": f"微博{uid}", "platform": "weibo", "uid": uid}


def wechat(account_id: str, fakeid: str | None = None, name: str | None = None) -> dict[str, Any]:
    account: dict[str, Any] = {
        "id": account_id,
        "name": name or f"公众号{fakeid}",
        "platform": "wechat",
    }
    if fakeid:
        account["fakeid"] = fakeid
    return account


def crawl_json(path: Path, env: dict[str, str] | None = SIM_ENV) -> dict[str, dict[str, Any]]:
    done = govmedia("crawl", "--json", "-c", str(path), "--now", SIM_NOW.isoformat(), env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return {r["account"]: r for r in json.loads(done.stdout)}


FAULTS = ledger(
    [
        weibo("wb-blocked", "blocked-f1"),
        weibo("wb-login", "auth_expired-f1"),
        weibo("wb-passport", "passport-f1"),
        weibo("wb-visitor", "visitor-f1"),
        weibo("wb-truncated", "malformed-f1"),
        weibo("wb-empty", "empty_body-f1"),
        weibo("wb-captcha", "captcha-f1"),
        weibo("wb-slow", "slow-f1"),
        weibo("wb-flaky", "flaky-f1"),
        weibo("wb-5xx", "server_error-f1"),
        weibo("wb-gone", "deleted-f1"),
        weibo("wb-daily", "daily-f1"),
        wechat("wx-blocked", "blocked-f2"),
        wechat("wx-login", "auth_expired-f2"),
        wechat("wx-truncated", "malformed-f2"),
        wechat("wx-gone", "deleted-f2"),
        wechat("wx-daily", "daily-f2"),
        wechat("wx-by-name", name="weekly-测试发布"),
        wechat("wx-no-such-name", name="deleted-测试发布"),
    ]
)


@pytest.fixture(scope="module")
def faults(
    simulator: RunningSimulator, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    from tests.fixtures.simulator import write_crawl_config

    simulator.set_now(SIM_NOW)
    # The older appmsg list endpoint here, and both sources in one process (the default); the
    # sample crawl uses appmsgpublish and a process per source.
    path = write_crawl_config(
        tmp_path_factory.mktemp("faults"),
        simulator.url,
        FAULTS,
        crawl={
            "breaker_threshold": 50,
            "wechat_list": "appmsg",
            "max_pages": 2,
        },
    )
    return crawl_json(path)


@pytest.mark.parametrize(
    ("account", "outcome"),
    [
        ("wb-blocked", "blocked"),
        ("wb-login", "auth_expired"),
        ("wb-passport", "auth_expired"),
        ("wb-visitor", "ok"),  # with visitor cookies from the visitor passport
        ("wb-truncated", "malformed"),
        ("wb-empty", "blocked"),
        ("wb-captcha", "blocked"),
        ("wb-slow", "network_error"),
        ("wb-flaky", "ok"),
        ("wb-5xx", "network_error"),
        ("wb-gone", "not_found"),
        ("wb-daily", "ok"),
        ("wx-blocked", "blocked"),
        ("wx-login", "auth_expired"),
        ("wx-truncated", "malformed"),
        ("wx-gone", "not_found"),
        ("wx-daily", "ok"),
        ("wx-by-name", "ok"),
        ("wx-no-such-name", "not_found"),
    ],
)
def test_fault_outcome(faults: dict[str, dict[str, Any]], account: str, outcome: str) -> None:
    assert faults[account]["outcome"] == outcome


def test_timeout_detail_names_the_wait(faults: dict[str, dict[str, Any]]) -> None:
    assert faults["wb-slow"]["detail"].startswith("no answer within 1 s")


def test_passport_redirect_detail(faults: dict[str, dict[str, Any]]) -> None:
    assert "passport.weibo.cn" in faults["wb-passport"]["detail"]


def test_visitor_redirect_is_cured_by_visitor_cookies(
    faults: dict[str, dict[str, Any]], simulator: RunningSimulator
) -> None:
    """m.weibo.cn sends a client without a visitor cookie to visitor.passport.weibo.cn: the
    spider gets visitor cookies from the passport and asks again (tests/test_logins.py has the
    refusals)."""
    assert faults["wb-visitor"]["posts_seen"] > 0
    assert simulator.requests("/visitor/genvisitor")


def test_5xx_is_retried(faults: dict[str, dict[str, Any]], simulator: RunningSimulator) -> None:
    assert len(simulator.requests("value=server_error-f1")) == 2  # retries: 1


def test_blocked_is_not_retried(
    faults: dict[str, dict[str, Any]], simulator: RunningSimulator
) -> None:
    # blocked-f1 answers 432: asked once more with visitor cookies (Weibo's answer to a client
    # without them), then never again
    assert len(simulator.requests("value=blocked-f1")) == 2


def test_expired_login_is_not_retried(
    faults: dict[str, dict[str, Any]], simulator: RunningSimulator
) -> None:
    assert len(simulator.requests("fakeid=auth_expired-f2")) == 1


def test_flaky_answer_is_retried_to_ok(
    faults: dict[str, dict[str, Any]], simulator: RunningSimulator
) -> None:
    # user info and the first list page each fail once, then answer
    assert len(simulator.requests("value=flaky-f1&containerid")) >= 2


def test_wechat_list_endpoint_is_configurable(
    faults: dict[str, dict[str, Any]], simulator: RunningSimulator
) -> None:
    assert simulator.requests("/cgi-bin/appmsg?action=list_ex&begin=0&count=5&fakeid=daily-f2")


def test_page_cap_is_noted(faults: dict[str, dict[str, Any]]) -> None:
    assert "page cap of 2 reached" in faults["wx-daily"]["detail"]


# --- the circuit breaker, and missing credentials ------------------------------------------------

BREAKER = ledger(
    [weibo(f"wb-b{i}", f"blocked-b{i}") for i in range(1, 7)] + [wechat("wx-nocreds", "daily-b7")]
)


@pytest.fixture(scope="module")
def breaker(
    simulator: RunningSimulator, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, dict[str, Any]], str]:
    from tests.fixtures.simulator import write_crawl_config

    simulator.set_now(SIM_NOW)
    path = write_crawl_config(
        tmp_path_factory.mktemp("breaker"),
        simulator.url,
        BREAKER,
        crawl={"breaker_threshold": 2},
        sources={"weibo": {"concurrency": 1}},
    )
    # No WeChat login in the environment; a Weibo cookie, so a 432 is not retried with visitor
    # cookies and the breaker counts every answer.
    results = crawl_json(path, env={"GOVMEDIA_WEIBO_COOKIE": "SUB=breaker-test-cookie"})
    table = govmedia("crawl", "-c", str(path), "--only", "wx-nocreds", env={})
    assert table.returncode == 0, table.stderr
    return results, table.stdout


def test_breaker_stops_requesting_after_the_threshold(
    breaker: tuple[dict[str, dict[str, Any]], str], simulator: RunningSimulator
) -> None:
    # Two blocked answers trip it; one request may already be on its way (concurrency 1).
    requested = [i for i in range(1, 7) if simulator.requests(f"value=blocked-b{i}")]
    assert requested in ([1, 2], [1, 2, 3])


def test_breaker_records_the_rest_as_blocked(
    breaker: tuple[dict[str, dict[str, Any]], str],
) -> None:
    results, _ = breaker
    assert {results[f"wb-b{i}"]["outcome"] for i in range(3, 7)} == {"blocked"}


def test_breaker_says_why(breaker: tuple[dict[str, dict[str, Any]], str]) -> None:
    results, _ = breaker
    assert "circuit breaker" in results["wb-b6"]["detail"]


def test_missing_credentials_are_auth_expired(
    breaker: tuple[dict[str, dict[str, Any]], str],
) -> None:
    results, _ = breaker
    assert results["wx-nocreds"]["outcome"] == "auth_expired"


def test_missing_credentials_send_no_request(
    breaker: tuple[dict[str, dict[str, Any]], str], simulator: RunningSimulator
) -> None:
    assert simulator.requests("daily-b7") == []


def test_summary_table_counts_outcomes_per_source(
    breaker: tuple[dict[str, dict[str, Any]], str],
) -> None:
    _, table = breaker
    assert "wechat" in table and "GOVMEDIA_WECHAT_TOKEN" in table
