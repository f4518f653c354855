"""One SIGTERM stops any command within seconds, and a crawl child never outlives its parent.

Real processes, real signals, a real server on 127.0.0.1 that accepts connections and never
answers (a hung platform). Waiting is a bounded poll on a condition.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.cycle import HungServer, ledger_data, wait_for, write_ledger

GOVMEDIA = [sys.executable, "-c", "from govmedia.cli import main; main()"]


def hung_ledger(folder: Path, server: HungServer, **extra: object) -> Path:
    """The two-account ledger, both sources pointed at the hung server, politely slow."""
    sources = {
        name: {"base_url": server.url, "delay": 60, "concurrency": 1}
        for name in ("weibo", "wechat")
    }
    crawl = {"timeout": 300, "retries": 0, "autothrottle": False}
    return write_ledger(folder, ledger_data(sources=sources, crawl=crawl, **extra))


def start(folder: Path, *args: str) -> tuple[subprocess.Popen[str], Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}
    env.update(GOVMEDIA_WECHAT_TOKEN="token", GOVMEDIA_WECHAT_COOKIE="cookie")
    stderr = folder / "stderr.txt"
    process = subprocess.Popen(
        [*GOVMEDIA, *args, "-c", str(folder / "config.yaml")],
        stdout=subprocess.PIPE,
        stderr=stderr.open("w"),
        text=True,
        cwd=folder,
        env=env,
    )
    return process, stderr


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def ok_observations(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "data" / "govmedia.sqlite3") as conn:
        return [
            r[0] for r in conn.execute("SELECT account_id FROM observations WHERE outcome='ok'")
        ]


def stop_within(process: subprocess.Popen[str], seconds: float) -> tuple[int, float]:
    process.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    try:
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    return code, time.monotonic() - sent


def test_one_sigterm_stops_a_crawl_stuck_on_a_hung_server(tmp_path, hung_server):
    hung_ledger(tmp_path, hung_server)
    process, stderr = start(tmp_path, "crawl", "--json")
    wait_for(lambda: hung_server.accepted, what="the crawl to reach the hung server")
    code, seconds = stop_within(process, 5)
    assert code == 143
    assert seconds < 5
    assert "interrupted by SIGTERM" in stderr.read_text(encoding="utf-8")
    assert ok_observations(tmp_path) == []  # nothing observed is claimed as observed
    printed = process.stdout.read() if process.stdout else ""
    assert '"outcome": "ok"' not in printed


def test_one_sigterm_stops_run_and_its_crawl_child(tmp_path, hung_server):
    hung_ledger(tmp_path, hung_server)
    process, stderr = start(tmp_path, "run")
    wait_for(lambda: hung_server.accepted, what="the crawl child to reach the hung server")
    children = children_of(process.pid)
    assert children
    code, seconds = stop_within(process, 5)
    assert code == 143
    assert seconds < 5
    assert not any(alive(child) for child in children)
    assert "interrupted by SIGTERM" in stderr.read_text(encoding="utf-8")
    # The lock was released: the next run starts (and is stopped the same way).
    before = len(hung_server.accepted)
    again, _ = start(tmp_path, "run")
    wait_for(lambda: len(hung_server.accepted) > before, what="the next run's crawl")
    assert stop_within(again, 5)[0] == 143


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_crawl_child_dies_with_a_killed_run(tmp_path, hung_server):
    hung_ledger(tmp_path, hung_server)
    process, _ = start(tmp_path, "run")
    try:
        wait_for(lambda: hung_server.accepted, what="the crawl child to reach the hung server")
        children = children_of(process.pid)
        assert children
        process.kill()  # kill -9: no handler runs in the parent
        process.wait(timeout=10)
        wait_for(lambda: not any(alive(c) for c in children), timeout=10, what="the child to die")
    finally:
        if process.poll() is None:
            process.kill()


def test_one_sigterm_stops_schedule_during_a_cycle(tmp_path, hung_server):
    hung_ledger(tmp_path, hung_server)
    process, stderr = start(tmp_path, "schedule", "--run-now")
    wait_for(lambda: hung_server.accepted, what="the cycle's crawl to reach the hung server")
    children = children_of(process.pid)
    assert children
    code, seconds = stop_within(process, 5)
    assert code == 143
    assert seconds < 5
    assert not any(alive(child) for child in children)


FORKED_WRITER = """
import multiprocessing, sys, time
from pathlib import Path
from govmedia.interrupt import Interrupted, stop_on_signals
from reports.files import atomic_path

folder = Path(sys.argv[1])

def write(target):  # a forked worker writing a big file, as a report's XLSX child does
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"half a workbook")
        (folder / "ready").write_text("")
        time.sleep(60)

with stop_on_signals():
    try:
        child = multiprocessing.get_context("fork").Process(
            target=write, args=(folder / "report.xlsx",), daemon=True
        )
        child.start()
        try:
            time.sleep(60)
        finally:
            child.join()  # as reports/publish.py joins its children, whatever happens
    except Interrupted as exc:
        sys.exit(exc.exit_code)
"""


def test_one_sigterm_stops_forked_report_workers_too(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-c", FORKED_WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: (tmp_path / "ready").exists(), what="the worker to start writing")
    code, seconds = stop_within(process, 5)
    assert code == 143
    assert seconds < 5
    assert "Traceback" not in (process.stderr.read() if process.stderr else "")
    assert not list(tmp_path.glob("*.tmp"))  # the worker removed its temporary file
    assert not (tmp_path / "report.xlsx").exists()
