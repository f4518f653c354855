"""End-to-end: `govmedia crawl --json` on the sample ledger against the simulated platforms.

The crawl runs in a child process (Scrapy's reactor runs once per process); the simulator is the
session's, on port 0, its clock at SIM_NOW (see tests/fixtures/simulator.py for the profiles).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from registry.constants import LOCAL_TZ
from registry.store import observations, posts
from spiders.simulator import SIMULATOR_WECHAT_TOKEN, RunningSimulator
from tests.fixtures.simulator import SIM_ENV, SIM_NOW, govmedia, sample_data, write_crawl_config

# What the sample ledger's accounts must show (spiders/simulator/world.py, SAMPLE_PROFILES).
EXPECTED = {
    "xzf-wechat": "ok",
    "xzf-weibo": "ok",
    "gaj-weibo": "ok",
    "gaj-wechat": "ok",
    "jyj-wechat": "ok",  # found by exact name
    "wjw-wechat": "ok",
    "wjw-weibo": "ok",
    "rsj-wechat": "ok",
    "scjgj-wechat": "ok",
    "whlyj-wechat": "ok",
    "yjglj-wechat": "blocked",
    "yjglj-weibo": "not_found",
    "zrzyj-wechat": "malformed",
    "nyncj-wechat": "auth_expired",
    "qhz-wechat": "ok",
    "rmt-weibo": "ok",
    "scjgj-weibo": "not_found",  # closed and deregistered
}


class Crawl:
    """One finished crawl: its config, JSON results by account, logs and store."""

    def __init__(self, path: Path, stdout: str, stderr: str, returncode: int) -> None:
        self.path = path
        self.stderr = stderr
        self.returncode = returncode
        self.results: dict[str, dict[str, Any]] = {r["account"]: r for r in json.loads(stdout)}
        self.engine = create_engine(f"sqlite:///{path.parent / 'govmedia.sqlite3'}")

    def latest(self, account: str) -> dt.datetime:
        return dt.datetime.fromisoformat(self.results[account]["latest_post_at"])

    def observation_rows(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(observations).order_by(observations.c.id)))


def weibo_and_wechat_ledger() -> dict[str, Any]:
    """The sample ledger without its feed, web and Bilibili accounts (tested with their spiders)."""
    data = sample_data()
    other = {"feed", "web", "bilibili", "website"}
    for department in data["departments"]:
        department["accounts"] = [
            a for a in department["accounts"] if a.get("source", a["platform"]) not in other
        ]
    return data


def run(path: Path, *extra: str) -> Crawl:
    done = govmedia("crawl", "--json", "-vv", "-c", str(path), *extra, env=SIM_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    return Crawl(path, done.stdout, done.stderr, done.returncode)


@pytest.fixture(scope="module")
def first(simulator: RunningSimulator, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    simulator.set_now(SIM_NOW)
    path = write_crawl_config(
        tmp_path_factory.mktemp("sample"),
        simulator.url,
        weibo_and_wechat_ledger(),
        crawl={"process_per_source": True},  # the faults crawl runs both sources in one process
    )
    return run(path, "--now", SIM_NOW.isoformat())


@pytest.fixture(scope="module")
def again(first: Crawl, simulator: RunningSimulator) -> tuple[Crawl, int, int]:
    """The same ledger crawled a second time; requests for xzf-wechat before and after."""
    before = len(simulator.requests("fakeid=MzA5NjExMjQ0MQ"))
    second = run(first.path, "--now", (SIM_NOW + dt.timedelta(minutes=5)).isoformat())
    after = len(simulator.requests("fakeid=MzA5NjExMjQ0MQ"))
    return second, before, after


def test_every_crawled_account_has_its_outcome(first: Crawl) -> None:
    assert {a: r["outcome"] for a, r in first.results.items()} == EXPECTED


def test_closed_account_is_crawled_so_a_relaunch_can_be_seen(first: Crawl) -> None:
    assert first.results["scjgj-weibo"]["outcome"] == "not_found"


def test_manual_accounts_are_not_crawled(first: Crawl) -> None:
    assert "xzf-toutiao" not in first.results


def test_latest_post_at_is_shown_in_shanghai_time(first: Crawl) -> None:
    assert first.results["xzf-wechat"]["latest_post_at"].endswith("+08:00")


def test_pinned_post_is_never_the_latest(first: Crawl) -> None:
    # xzf-weibo pins a post from 200 days ago on top of page 1; its latest is a day's post.
    assert SIM_NOW - first.latest("xzf-weibo") < dt.timedelta(days=2)


def test_zombie_latest_post_is_120_days_old(first: Crawl) -> None:
    age = SIM_NOW - first.latest("scjgj-wechat")
    assert dt.timedelta(days=120) <= age < dt.timedelta(days=122)


def test_relative_times_resolve_against_the_date_header(first: Crawl) -> None:
    # wjw-weibo's payloads say `MM-DD`; silent 20 days before SIM_NOW.
    age = SIM_NOW - first.latest("wjw-weibo")
    assert dt.timedelta(days=20) <= age < dt.timedelta(days=23)


def test_account_found_by_name_is_observed(first: Crawl) -> None:
    assert first.results["jyj-wechat"]["posts_seen"] > 0


def test_account_without_posts_is_ok_with_none(first: Crawl) -> None:
    assert first.results["qhz-wechat"]["latest_post_at"] is None


def test_failures_carry_no_latest_post(first: Crawl) -> None:
    failed = [r for r in first.results.values() if r["outcome"] != "ok"]
    assert {(r["latest_post_at"], r["posts_seen"]) for r in failed} == {(None, 0)}


def test_paging_stops_at_the_lookback_window(first: Crawl) -> None:
    # A weekly poster: 100 days are two pages of ten, not the six pages of its history.
    assert "on 2 pages" in first.results["rmt-weibo"]["detail"]


def test_one_observation_per_account(first: Crawl) -> None:
    assert len(first.observation_rows()) == len(EXPECTED)


def test_posts_are_stored_only_for_ok_observations(first: Crawl) -> None:
    with first.engine.connect() as conn:
        accounts = set(conn.execute(select(posts.c.account_id).distinct()).scalars())
    assert accounts <= {a for a, o in EXPECTED.items() if o == "ok"}


def test_evidence_is_the_gzipped_response_with_its_sha256(first: Crawl) -> None:
    row = next(r for r in first.observation_rows() if r.account_id == "zrzyj-wechat")
    raw = gzip.decompress(row.evidence)
    assert hashlib.sha256(raw).hexdigest() == row.evidence_sha256


def test_window_stop_records_how_far_back_posts_are_complete(first: Crawl) -> None:
    row = next(r for r in first.observation_rows() if r.account_id == "rmt-weibo")
    assert row.complete_since is not None


def test_wechat_token_never_reaches_the_logs(first: Crawl) -> None:
    assert "Crawled (200)" in first.stderr  # the request log was on (-vv)
    assert SIMULATOR_WECHAT_TOKEN not in first.stderr


def test_wechat_token_never_reaches_the_store(first: Crawl) -> None:
    stored = " ".join(f"{r.url} {r.detail}" for r in first.observation_rows())
    assert SIMULATOR_WECHAT_TOKEN not in stored


def test_second_crawl_stops_at_what_the_first_stored(again: tuple[Crawl, int, int]) -> None:
    _second, before, after = again
    assert after - before == 1  # one list page, not twenty


def test_second_crawl_keeps_the_latest_post(first: Crawl, again: tuple[Crawl, int, int]) -> None:
    second, _before, _after = again
    assert second.latest("xzf-wechat") == first.latest("xzf-wechat")


def test_second_crawl_inherits_the_coverage(first: Crawl, again: tuple[Crawl, int, int]) -> None:
    rows = [r for r in again[0].observation_rows() if r.account_id == "xzf-wechat"]
    assert rows[-1].complete_since == rows[0].complete_since


def test_sources_crawled_in_their_own_processes_share_one_crawl_id(first: Crawl) -> None:
    first_crawl = first.observation_rows()[: len(EXPECTED)]
    assert len({r.crawl_id for r in first_crawl}) == 1


def test_observations_are_recorded_at_the_given_instant(first: Crawl) -> None:
    at = first.observation_rows()[0].at
    assert at.replace(tzinfo=dt.UTC) == SIM_NOW.astimezone(dt.UTC)


def test_unknown_only_id_exits_2(first: Crawl) -> None:
    done = govmedia("crawl", "-c", str(first.path), "--only", "no-such-account")
    assert (done.returncode, "no account 'no-such-account'" in done.stderr) == (2, True)


def test_bad_config_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("jurisdiction: 博爱县\ndepartments: [{id: X}]\n", encoding="utf-8")
    assert govmedia("crawl", "-c", str(path)).returncode == 2


def test_latest_is_aware_local_time(first: Crawl) -> None:
    assert first.latest("gaj-wechat").utcoffset() == LOCAL_TZ.utcoffset(SIM_NOW)


def test_crawl_in_subprocess_returns_results(first: Crawl) -> None:
    from govmedia.crawling import crawl_in_subprocess

    results = crawl_in_subprocess(
        first.path, only=["gaj-weibo"], now=SIM_NOW, env=SIM_ENV, stderr=subprocess.DEVNULL
    )
    assert [(r.account, r.outcome.value) for r in results] == [("gaj-weibo", "ok")]


def test_quiet_crawl_prints_no_scrapy_chatter(first: Crawl) -> None:
    """Without -v a clerk sees warnings only: not Scrapy's start-up banners, which it logs at
    DEBUG and INFO while it sets its own loggers up, nor warnings about parts we switched off."""
    done = govmedia("crawl", "-c", str(first.path), "--only", "gaj-weibo", env=SIM_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "logger=scrapy" not in done.stderr
    assert "level=info" not in done.stderr and "level=debug" not in done.stderr
