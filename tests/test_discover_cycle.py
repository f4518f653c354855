"""Sweeps on a schedule (定期排查) and the cases they open, end to end: `govmedia run` at travelled
clocks against the simulated platforms sweeps when the last stored sweep is `discover.every_days`
old (never twice, whatever restarts between), every candidate found opens an `unregistered`
case, and dismissing the candidate closes its case at the next cycle. A sweep the platforms
refuse makes the cycle partial (exit 1), and the next cycle sweeps again."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.config import load_config
from registry.constants import SEARCH_SOURCES
from spiders.simulator import RunningSimulator, World, start_simulator
from spiders.simulator.search import add_discoverable, search_world
from tests.fixtures.simulator import (
    SAMPLE,
    SIM_ENV,
    SIM_NOW,
    govmedia,
    sample_data,
    write_crawl_config,
)

HOUR = dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def platform() -> Iterator[RunningSimulator]:
    config = load_config(SAMPLE, today=SIM_NOW.date()).config
    world = World.from_config(config, SIM_NOW)
    add_discoverable(world, config)
    with start_simulator(world, port=0) as running:
        yield running


@pytest.fixture
def ledger(tmp_path: Path, platform: RunningSimulator) -> Path:
    data = sample_data()
    data["discover"] = {"every_days": 7}
    return write_crawl_config(tmp_path, platform.url, data)


def cycle(ledger: Path, at: dt.datetime) -> tuple[int, dict[str, Any]]:
    done = govmedia(
        "run", "--json", "--now", at.isoformat(), "-c", str(ledger), env=SIM_ENV, timeout=300
    )
    return done.returncode, json.loads(done.stdout)


def cli(ledger: Path, *args: str) -> Any:
    done = govmedia(*args, "-c", str(ledger), env=SIM_ENV)
    assert done.returncode == 0, done.stderr
    return done.stdout


def candidate_cases(ledger: Path) -> dict[int, dict[str, Any]]:
    found = json.loads(cli(ledger, "cases", "--json"))
    return {c["evidence"]["candidate"]: c for c in found if c["kind"] == "unregistered"}


def test_a_scheduled_sweep_opens_cases_and_a_dismissal_closes_one(ledger):
    code, first = cycle(ledger, SIM_NOW)
    assert first["sweep"] is not None and first["sweep"]["error"] is None
    assert first["sweep"]["failed"] == [] and first["sweep"]["new"] > 0
    assert code == 0, first
    listed = json.loads(cli(ledger, "discover", "--list", "--json"))
    cases = candidate_cases(ledger)
    assert set(cases) == {c["id"] for c in listed}
    assert all(c["state"] == "open" for c in cases.values())
    text = cli(ledger, "cases", "--open")  # the name found, not the case's `candidate-<id>`
    assert all(f" {c['name']}  未登记账号" in text for c in listed)

    # An hour later (a restart, another cycle): the stored sweep is fresh, none runs.
    code, second = cycle(ledger, SIM_NOW + HOUR)
    assert second["sweep"] is None and code == 0

    dismissed = listed[0]["id"]
    cli(
        ledger,
        "discover",
        "dismiss",
        str(dismissed),
        "--reason",
        "温县账号，非本县",
        "--by",
        "李娜",
    )
    _, third = cycle(ledger, SIM_NOW + 2 * HOUR)
    assert third["sweep"] is None
    cases = candidate_cases(ledger)
    closed = cases[dismissed]
    assert closed["state"] == "closed" and closed["closed_by"] == "govmedia"
    assert "已排除" in closed["close_reason"] and "李娜" in closed["close_reason"]
    assert closed["events"][-1]["verdict_status"] == "candidate:dismissed"
    assert all(c["state"] == "open" for i, c in cases.items() if i != dismissed)

    # A week after the first sweep, the next one runs; the dismissed candidate stays closed.
    _, weekly = cycle(ledger, SIM_NOW + dt.timedelta(days=7))
    assert weekly["sweep"] is not None and weekly["sweep"]["new"] == 0
    assert candidate_cases(ledger)[dismissed]["state"] == "closed"


def test_a_refused_sweep_makes_the_cycle_partial_and_is_tried_again(ledger, platform):
    blocked = search_world(platform.world).blocked
    blocked.update(SEARCH_SOURCES)
    try:
        code, result = cycle(ledger, SIM_NOW)
    finally:
        blocked.difference_update(SEARCH_SOURCES)
    assert code == 1
    assert result["sweep"]["failed"] and result["sweep"]["new"] == 0
    assert {f["outcome"] for f in result["sweep"]["failed"]} == {"blocked"}
    assert candidate_cases(ledger) == {}
    # Nothing was answered: the next cycle sweeps again, and finds.
    code, again = cycle(ledger, SIM_NOW + HOUR)
    assert again["sweep"]["failed"] == [] and again["sweep"]["new"] > 0
    assert code == 0, again
    assert candidate_cases(ledger)


def test_every_days_zero_never_sweeps(tmp_path, platform):
    ledger = write_crawl_config(tmp_path, platform.url)
    code, result = cycle(ledger, SIM_NOW)
    assert result["sweep"] is None and code == 0, result


def test_a_sweep_and_validate_online_use_the_stored_wechat_login(ledger, platform):
    """No GOVMEDIA_ variable: the QR login `govmedia login wechat` stored is the login, as for
    the crawl (issue 13)."""
    from tests.test_logins import qr_login

    no_env: dict[str, str] = {}
    now = ["--now", SIM_NOW.isoformat()]
    before = govmedia("discover", "--json", "--source", "wechat", *now, "-c", str(ledger))
    refused = json.loads(before.stdout)["failed"]
    assert before.returncode == 1 and refused
    assert all("govmedia login wechat" in f["detail"] for f in refused)

    logins = platform.world.logins
    hours, logins.mp_hours = logins.mp_hours, 24 * 365.0  # `validate` has no --now: real clock
    try:
        qr_login(platform, ledger)
    finally:
        logins.mp_hours = hours
    done = govmedia("discover", "--json", "--source", "wechat", *now, "-c", str(ledger), env=no_env)
    swept = json.loads(done.stdout)
    assert done.returncode == 0, swept
    assert swept["failed"] == [] and swept["searches"] > 0
    assert any(c["source"] == "wechat" for c in swept["candidates"])

    checked = govmedia("validate", "--online", "-c", str(ledger), env=no_env, timeout=180)
    lines = {line.split(":")[0]: line for line in checked.stdout.splitlines()}
    assert "ok (" in lines["verify jyj-wechat"], checked.stdout
