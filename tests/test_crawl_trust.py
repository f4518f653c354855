"""What a crawl refuses to take from a platform, end to end against the simulator: a redirect
off HTTP (file:///etc/passwd), the secrets a platform echoes back (never kept in the evidence), and
posts dated after the observation (dropped, so `crawl --json` and `check` agree)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from registry.constants import LOCAL_TZ, Outcome
from registry.store import make_engine, observations, posts
from spiders.simulator import RunningSimulator
from spiders.simulator.world import SIMULATOR_WECHAT_COOKIE, SIMULATOR_WECHAT_TOKEN
from tests.fixtures.simulator import SIM_ENV, SIM_NOW, govmedia
from tests.fixtures.sources import SourcesCrawl
from tests.test_crawl_faults import crawl_json, ledger, wechat

LOCAL_FILE = Path("/etc/passwd")  # where the simulator's FILE_REDIRECT profile points
FUTURE = dt.datetime(2030, 1, 1, 9, 0, tzinfo=LOCAL_TZ)  # the simulator's FUTURE_DATED post


def evidence_bodies(engine: Any) -> dict[str, bytes]:
    with engine.connect() as conn:
        rows = conn.execute(select(observations.c.account_id, observations.c.evidence)).all()
    return {account: gzip.decompress(blob) for account, blob in rows if blob is not None}


# --- redirects off HTTP ------------------------------------------------------------------------


@pytest.mark.parametrize("account_id", ["f-to-file", "w-to-file"])
def test_redirect_to_a_local_file_is_malformed_and_not_followed(
    sources_crawl: SourcesCrawl, account_id: str
) -> None:
    result = sources_crawl.result(account_id)
    assert (result.outcome, result.detail) == (
        Outcome.MALFORMED,
        "redirect (HTTP 302) to a file: URL, not followed",
    )


def test_no_evidence_holds_the_local_files_bytes(sources_crawl: SourcesCrawl) -> None:
    if not LOCAL_FILE.is_file():
        pytest.skip(f"{LOCAL_FILE} does not exist here")
    first_line = LOCAL_FILE.read_bytes().split(b"\n", 1)[0]
    assert len(first_line) >= 8
    bodies = evidence_bodies(sources_crawl.engine)
    assert {"f-to-file", "w-to-file"} <= set(bodies)  # the 302 itself is the evidence
    assert [account for account, body in bodies.items() if first_line in body] == []


def test_scrapy_cannot_fetch_other_schemes() -> None:
    from spiders import settings

    assert {k for k, v in settings.DOWNLOAD_HANDLERS.items() if v} == {"http", "https"}
    assert {"file", "ftp", "s3", "data"} <= set(settings.DOWNLOAD_HANDLERS)


# --- secrets a platform echoes back ----------------------------------------------------------


@pytest.fixture(scope="module")
def echo_crawl(
    simulator: RunningSimulator, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, dict[str, Any]], dict[str, bytes]]:
    from tests.fixtures.simulator import write_crawl_config

    simulator.set_now(SIM_NOW)
    directory = tmp_path_factory.mktemp("echo")
    data = ledger([wechat("wx-echo", "echo_secrets-e1"), wechat("wx-daily", "daily-e2")])
    results = crawl_json(write_crawl_config(directory, simulator.url, data))
    return results, evidence_bodies(make_engine(f"sqlite:///{directory / 'govmedia.sqlite3'}"))


def secret_values() -> list[bytes]:
    pairs = [p.partition("=")[2] for p in SIMULATOR_WECHAT_COOKIE.split("; ")]
    return [v.encode() for v in (SIMULATOR_WECHAT_TOKEN, SIMULATOR_WECHAT_COOKIE, *pairs)]


def test_echoing_platform_is_still_read(echo_crawl) -> None:  # type: ignore[no-untyped-def]
    result = echo_crawl[0]["wx-echo"]
    assert (result["outcome"], result["posts_seen"] > 0) == ("ok", True)


@pytest.mark.parametrize("secret", secret_values())
def test_echoed_secret_is_not_in_the_evidence(echo_crawl, secret: bytes) -> None:  # type: ignore[no-untyped-def]
    body = echo_crawl[1]["wx-echo"]
    assert b'"echo"' in body and b"***" in body
    assert secret not in body


def test_evidence_without_secrets_is_kept_whole(echo_crawl) -> None:  # type: ignore[no-untyped-def]
    body = echo_crawl[1]["wx-daily"]
    assert json.loads(body)["base_resp"]["ret"] == 0 and b"***" not in body


# --- posts dated after the observation -------------------------------------------------------


@pytest.mark.parametrize("account_id", ["f-future", "w-future"])
def test_post_dated_after_the_observation_is_dropped_with_a_warning(
    sources_crawl: SourcesCrawl, account_id: str
) -> None:
    result = sources_crawl.result(account_id)
    assert result.outcome is Outcome.OK
    assert result.latest_post_at is not None and result.latest_post_at <= SIM_NOW
    # a column shows the date only (00:00), the feed the time too
    assert "; 1 post dated after the observation (2026-11-28 09:00), newest 2030-01-01 " in (
        result.detail
    )
    assert ": not credible, dropped; latest 2026-11-2" in result.detail


@pytest.mark.parametrize("account_id", ["f-future", "w-future"])
def test_post_dated_after_the_observation_is_not_stored(
    sources_crawl: SourcesCrawl, account_id: str
) -> None:
    with sources_crawl.engine.connect() as conn:
        dates = conn.execute(
            select(posts.c.published_at).where(posts.c.account_id == account_id)
        ).scalars()
        stored = [d if d.tzinfo else d.replace(tzinfo=dt.UTC) for d in dates]
    assert stored and max(stored) <= SIM_NOW < FUTURE


def test_check_agrees_with_the_crawl_on_every_latest_post(sources_crawl: SourcesCrawl) -> None:
    done = govmedia(
        "check", "-c", str(sources_crawl.config), "--at", SIM_NOW.isoformat(), "--json", env=SIM_ENV
    )
    assert done.returncode == 0, done.stderr[-2000:]
    checked = {v["account"]: v["last_post_at"] for v in json.loads(done.stdout)}
    crawled = {
        account: r.latest_post_at.astimezone(LOCAL_TZ).isoformat()
        for account, r in sources_crawl.results.items()
        if r.outcome is Outcome.OK and r.latest_post_at is not None
    }
    assert {"f-future", "w-future"} <= set(crawled)
    assert {a: checked[a] for a in crawled} == crawled
