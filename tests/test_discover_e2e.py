"""End-to-end discovery (排查) against the simulated platforms: `govmedia discover` finds the
unregistered government accounts and nothing else, a refused search is reported as refused,
a candidate is registered or dismissed in one command, and verification flags a name mismatch
and a closed account that is still reachable.

Every command runs in a child process (Scrapy's reactor runs once per process). The simulator is
this module's: the sample ledger's world with the discoverable accounts around 博爱县
(spiders/simulator/search.py), gaj-weibo renamed on the platform, and the closed scjgj-weibo
still online.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from registry.config import load_config
from registry.constants import Source
from registry.store import sweeps
from spiders.simulator import (
    SIMULATOR_WECHAT_TOKEN,
    Profile,
    RunningSimulator,
    SimAccount,
    World,
    start_simulator,
)
from spiders.simulator.search import add_discoverable, search_world
from tests.fixtures.simulator import SAMPLE, SIM_ENV, SIM_NOW, govmedia, write_crawl_config

GAJ_WEIBO_UID = "2951237460"
NOW = ["--now", SIM_NOW.isoformat()]
# What a sweep of the sample ledger must find (and nothing else: near misses, another county's
# bureaus and personal accounts are searched too).
EXPECTED = {
    ("weibo", "7100000001", "unregistered"),  # 博爱县退役军人事务局
    ("weibo", "7100000002", "unregistered"),  # 博爱消防, verified as 博爱县消防救援大队
    ("bilibili", "3546000001", "unregistered"),  # 博爱消防
    ("weibo", "5990347712", "relaunch"),  # the closed scjgj-weibo, still online
}


@pytest.fixture(scope="module")
def platform() -> Iterator[RunningSimulator]:
    config = load_config(SAMPLE, today=SIM_NOW.date()).config
    world = World.from_config(config, SIM_NOW, overrides={"scjgj-weibo": Profile.DAILY})
    add_discoverable(world, config)
    world.add(SimAccount(Source.WEIBO, GAJ_WEIBO_UID, "博爱公安在线", Profile.DAILY, "gaj-weibo"))
    with start_simulator(world, port=0) as running:
        yield running


@pytest.fixture
def ledger(tmp_path: Path, platform: RunningSimulator) -> Path:
    return write_crawl_config(tmp_path, platform.url)


def run(*args: str, ledger: Path) -> Any:
    return govmedia(*args, "-c", str(ledger), env=SIM_ENV, timeout=180)


def sweep(ledger: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    done = run("discover", "--json", *extra, *NOW, ledger=ledger)
    return done.returncode, json.loads(done.stdout)


def candidates(ledger: Path, *extra: str) -> list[dict[str, Any]]:
    return json.loads(run("discover", "--list", "--json", *extra, ledger=ledger).stdout)


def wechat_fakeid(platform: RunningSimulator) -> str:
    listed = search_world(platform.world).listed
    return next(e.identifier for e in listed if e.source is Source.WECHAT and "退役" in e.name)


def test_a_sweep_finds_the_unregistered_accounts_and_nothing_else(ledger, platform):
    code, result = sweep(ledger)
    assert code == 0, result
    found = {(c["source"], c["identifier"], c["kind"]) for c in result["candidates"]}
    assert found == EXPECTED | {("wechat", wechat_fakeid(platform), "unregistered")}
    assert result["failed"] == []
    assert result["new"] == len(found)


def test_the_wechat_token_never_reaches_the_store(ledger):
    sweep(ledger, "--source", "wechat")
    engine = create_engine(f"sqlite:///{ledger.parent / 'govmedia.sqlite3'}")
    with engine.connect() as conn:
        urls = [row.url for row in conn.execute(select(sweeps)) if row.source == "wechat"]
    assert urls and all("searchbiz" in u for u in urls)
    assert not any(SIMULATOR_WECHAT_TOKEN in u for u in urls)


def test_a_sweep_searches_every_keyword_on_every_source(ledger):
    _, result = sweep(ledger)
    departments = len(load_config(ledger).config.departments)
    assert result["searches"] == 3 * (1 + departments)
    assert result["requests"] >= result["searches"]


def test_a_blocked_search_is_reported_as_blocked_never_as_nothing_found(ledger, platform):
    blocked = search_world(platform.world).blocked
    blocked.add(Source.WEIBO)
    try:
        code, result = sweep(ledger, "--source", "weibo")
    finally:
        blocked.discard(Source.WEIBO)
    assert code == 1
    assert result["candidates"] == []
    assert {f["outcome"] for f in result["failed"]} == {"blocked"}
    assert len(result["failed"]) == result["searches"]
    out = ledger.parent / "out"
    done = govmedia(
        "report", "weekly", "-c", str(ledger), "--out", str(out), "--format", "md", env=SIM_ENV
    )
    assert done.returncode == 0, done.stderr
    text = next(out.rglob("report.md")).read_text(encoding="utf-8")
    assert "排查不完整" in text and "被平台拦截" in text
    assert "未发现未报备账号" not in text


def test_the_weekly_report_lists_the_candidates(ledger):
    sweep(ledger)
    out = ledger.parent / "out"
    done = govmedia(
        "report", "weekly", "-c", str(ledger), "--out", str(out), "--format", "md,html",
        env=SIM_ENV,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    md = next(out.rglob("report.md")).read_text(encoding="utf-8")
    section = md.split("## 疑似未报备账号", 1)[1].split("## ", 1)[0]
    assert "「博爱县退役军人事务局」（微博，7100000001）疑似未报备" in section
    assert "疑似关停后复开" in section
    assert "温县" not in section and "博爱市退役" not in section and "美食" not in section
    html = next(out.rglob("report.html")).read_text(encoding="utf-8")
    assert "博爱消防" in html.split('id="discovery"', 1)[1]


def test_register_from_candidate_writes_the_ledger_and_marks_it(ledger):
    sweep(ledger)
    chosen = next(c for c in candidates(ledger) if c["identifier"] == "7100000002")
    done = run(
        "register", "--from-candidate", str(chosen["id"]), "--department", "yjglj",
        "--id", "yjglj-xf-weibo", "--owner-name", "孙磊", "--owner-phone", "13903910071",
        "--exception-basis", "县政府常务会议同意", ledger=ledger,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    account = load_config(ledger).config.account("yjglj-xf-weibo")[1]
    assert (account.name, account.platform.value, account.uid) == (
        "博爱消防",
        "weibo",
        "7100000002",
    )
    assert f"候选 {chosen['id']}" in (account.note or "")
    states = {c["id"]: c["state"] for c in candidates(ledger, "--all")}
    assert states[chosen["id"]] == "registered"
    _, again = sweep(ledger)  # now in the ledger: not a candidate any more
    assert "7100000002" not in {c["identifier"] for c in again["candidates"]}
    assert chosen["id"] not in {c["id"] for c in candidates(ledger)}


def test_register_from_a_relaunch_candidate_is_refused(ledger):
    sweep(ledger)
    relaunch = next(c for c in candidates(ledger) if c["kind"] == "relaunch")
    before = ledger.read_bytes()
    done = run("register", "--from-candidate", str(relaunch["id"]), ledger=ledger)
    assert done.returncode == 1
    assert "closed account scjgj-weibo" in done.stderr
    assert ledger.read_bytes() == before


def test_a_dismissed_candidate_does_not_come_back(ledger):
    sweep(ledger)
    chosen = next(c for c in candidates(ledger) if c["source"] == "bilibili")
    done = run(
        "discover", "dismiss", str(chosen["id"]), "--reason", "消防救援队伍，另行登记",
        "--by", "李娜", ledger=ledger,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    _, again = sweep(ledger)
    assert again["new"] == 0
    assert chosen["id"] not in {c["id"] for c in candidates(ledger)}
    dismissed = next(c for c in candidates(ledger, "--all") if c["id"] == chosen["id"])
    assert (dismissed["state"], dismissed["state_by"]) == ("dismissed", "李娜")
    again_done = run("discover", "dismiss", str(chosen["id"]), "--reason", "x", ledger=ledger)
    assert again_done.returncode == 1 and "already dismissed" in again_done.stderr


def test_validate_online_flags_a_name_mismatch_and_a_closed_reachable_account(ledger):
    done = run("validate", "--online", ledger=ledger)
    assert done.returncode == 1
    lines = {line.split(":")[0]: line for line in done.stdout.splitlines()}
    assert "name_mismatch" in lines["verify gaj-weibo"]
    assert "博爱公安在线" in lines["verify gaj-weibo"]
    assert "closed_reachable" in lines["verify scjgj-weibo"]
    assert "ok (" in lines["verify xzf-weibo"] and "ok (" in lines["verify rmt-bilibili"]
    assert "ok (" in lines["verify jyj-wechat"]  # no fakeid: found by its exact name
    out = ledger.parent / "out"
    govmedia("report", "weekly", "-c", str(ledger), "--out", str(out), "--format", "md")
    md = next(out.rglob("report.md")).read_text(encoding="utf-8")
    assert "### 关停未注销（1个）" in md and "「博爱市场监管」" in md.split("关停未注销", 1)[1]
    status = govmedia("filings", "--status", "--json", "-c", str(ledger), env=SIM_ENV)
    rows = {r["account"]: r for r in json.loads(status.stdout)}
    assert rows["scjgj-weibo"]["stage"] == "closed_reachable"
    assert "博爱市场监管" in rows["scjgj-weibo"]["detail"]


def test_register_verify_checks_the_new_account(ledger):
    done = run(
        "register", "--department", "yjglj", "--id", "yjglj-vet-weibo",
        "--name", "博爱县退役军人事务局", "--platform", "weibo", "--uid", "7100000001",
        "--owner-name", "孙磊", "--owner-phone", "13903910071",
        "--exception-basis", "县政府常务会议同意", "--verify", ledger=ledger,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "verify yjglj-vet-weibo: ok" in done.stdout


def test_a_manual_sweep_is_recorded_and_reported(ledger):
    done = run(
        "discover", "--manual", "--source", "douyin", "--by", "李娜",
        "--note", "搜索博爱县，无新增", *NOW, ledger=ledger,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = ledger.parent / "out"
    govmedia("report", "weekly", "-c", str(ledger), "--out", str(out), "--format", "md")
    md = next(out.rglob("report.md")).read_text(encoding="utf-8")
    assert "人工排查：抖音，李娜" in md


def test_a_manual_sweep_needs_who_and_what(ledger):
    done = run("discover", "--manual", "--source", "douyin", "--note", "x", ledger=ledger)
    assert done.returncode == 2 and "--by" in done.stderr
