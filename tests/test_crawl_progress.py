"""The crawl's progress bar counts requests against an estimate of all of them, with an ETA;
on a terminal (a real pty) against the simulated platforms, and its arithmetic alone."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys

from govmedia.crawl_progress import CrawlProgress
from tests.fixtures.simulator import SIM_ENV, SIM_NOW
from tests.fixtures.terminal import run_on_terminal


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_requests_per_finished_account_estimate_the_total_and_the_eta():
    clock = Clock()
    state = CrawlProgress(4, clock=clock)
    assert state.line() == "0/? requests · accounts 0/4 · ETA --:--"
    for _ in range(10):
        state.request()
    clock.now += 20
    assert state.expected_requests() is None  # no account finished: nothing to go by
    state.account()
    state.account()
    assert state.expected_requests() == 20  # 5 requests an account × 4 accounts
    assert state.fraction() == 0.5
    assert state.eta() == dt.timedelta(seconds=20)
    assert state.line() == "10/~20 requests · accounts 2/4 · ETA 0:00:20"


def test_without_requests_accounts_stand_in():
    clock = Clock()
    state = CrawlProgress(4, clock=clock)
    state.account()
    clock.now += 30
    assert state.fraction() == 0.25
    assert state.eta() == dt.timedelta(seconds=90)
    assert CrawlProgress(0, clock=clock).fraction() == 1.0


def weibo_only(data: dict) -> dict:
    for department in data["departments"]:
        department["accounts"] = [
            a for a in department["accounts"] if a["platform"] == "weibo" and "source" not in a
        ]
    return data


def test_the_bar_on_a_terminal_counts_the_crawls_requests(simulator, crawl_config):
    from tests.fixtures.simulator import sample_data

    simulator.set_now(SIM_NOW)
    config = crawl_config(weibo_only(sample_data()))
    before = len(simulator.requests())
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}
    env.update(SIM_ENV, TERM="xterm-256color", COLUMNS="200")
    command = [sys.executable, "-c", "from govmedia.cli import main; main()", "crawl"]
    code, text = run_on_terminal([*command, "-c", str(config), "--now", SIM_NOW.isoformat()], env)
    assert code == 0
    served = len(simulator.requests()) - before
    shown = [
        (int(done), total, eta)
        for done, total, eta in re.findall(
            r"(\d+)/(~\d+|\?) requests · accounts \d+/\d+ · ETA (\S+)", text
        )
    ]
    assert shown, text[-2000:]
    assert 0 < max(done for done, _, _ in shown) <= served
    assert any(total.startswith("~") for _, total, _ in shown)
    assert any(re.fullmatch(r"\d+:\d\d:\d\d", eta) for _, _, eta in shown)
