"""Discovery benchmark: a sweep of 50 keywords × 3 platforms (Weibo, WeChat, Bilibili) against the
simulated platforms, end to end (`govmedia discover --json` as a child process: loading and
syncing the ledger, the three search crawlers, parsing, the rules, storing the sweep).

    .venv/bin/python benchmarks/discover.py                      # politeness off
    .venv/bin/python benchmarks/discover.py --delay 1 --concurrency 1   # the polite defaults

Prints the searches, the requests the simulator answered (Bilibili's nav included), the wall
time and requests/s, and the candidates found. `--latency-ms` is added to every answer, as a
network's round trip would be.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from registry.config import load_config, read_yaml  # noqa: E402
from registry.constants import LOCAL_TZ  # noqa: E402
from registry.discovery import derive_keywords  # noqa: E402
from registry.problems import to_plain  # noqa: E402
from spiders.simulator import (  # noqa: E402
    SIMULATOR_WECHAT_COOKIE,
    SIMULATOR_WECHAT_TOKEN,
    World,
    point_config_at,
    start_simulator,
)
from spiders.simulator.search import add_discoverable  # noqa: E402

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)
SAMPLE = ROOT / "config.yaml"
# Extra keywords, as a county would add them: its towns, its accounts' short names.
EXTRA = [
    f"博爱{word}"
    for word in [
        "发布",
        "公安",
        "教育",
        "文旅",
        "人社",
        "应急",
        "消防",
        "融媒",
        "税务",
        "交警",
        "法院",
        "检察",
        "卫健",
        "民政",
        "水利",
        "交通",
        "城管",
        "环保",
        "气象",
        "疾控",
        "医保",
        "退役军人",
        "农业农村",
        "自然资源",
        "市场监管",
        "住建",
        "统计",
        "审计",
        "信访",
        "妇联",
        "共青团",
        "科协",
        "残联",
        "工会",
        "供电",
        "邮政",
        "许良",
        "清化",
        "柏山",
        "月山",
        "金城",
        "孝敬",
        "磨头",
        "寨豁",
        "苏家作",
    ]
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keywords", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.0, help="sources.*.delay (seconds)")
    parser.add_argument("--concurrency", type=int, default=4, help="sources.*.concurrency")
    parser.add_argument("--latency-ms", type=float, default=5.0)
    args = parser.parse_args()

    loaded = load_config(SAMPLE, today=NOW.date())
    base = derive_keywords(loaded.config)
    extra = [k for k in EXTRA if k not in base][: max(0, args.keywords - len(base))]
    world = World.from_config(loaded.config, NOW)
    add_discoverable(world, loaded.config)
    with (
        tempfile.TemporaryDirectory(prefix="govmedia-discover-bench-") as folder,
        start_simulator(world, now=NOW, latency=args.latency_ms / 1000) as sim,
    ):
        data = point_config_at(to_plain(read_yaml(SAMPLE)), sim.url)
        for settings in data["sources"].values():
            settings.update(delay=args.delay, concurrency=args.concurrency)
        data["crawl"] = {**(data.get("crawl") or {}), "autothrottle": False}
        data["discover"] = {"keywords": extra, "max_keywords": args.keywords}
        data["store"] = str(Path(folder) / "govmedia.sqlite3")
        path = Path(folder) / "config.yaml"
        path.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
        keywords = len(derive_keywords(load_config(path).config))
        env = {
            **os.environ,
            "GOVMEDIA_WECHAT_TOKEN": SIMULATOR_WECHAT_TOKEN,
            "GOVMEDIA_WECHAT_COOKIE": SIMULATOR_WECHAT_COOKIE,
        }
        command = [sys.executable, "-c", "from govmedia.cli import main; main()"]
        command += ["discover", "--json", "-c", str(path), "--now", NOW.isoformat()]
        before = len(sim.requests())
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        elapsed = time.perf_counter() - started
        served = len(sim.requests()) - before
    if done.returncode != 0:
        sys.exit(f"discover exited {done.returncode}: {done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    print(f"keywords            {keywords} × 3 platforms = {result['searches']} searches")
    print(f"requests (spiders)  {result['requests']} (one a search, and Bilibili's nav)")
    print(f"requests (served)   {served} (Bilibili's nav included)")
    print(f"failed searches     {len(result['failed'])}")
    print(f"candidates          {len(result['candidates'])}")
    print(f"wall time           {elapsed:.2f} s (process start-up included)")
    print(f"requests/s          {served / elapsed:.1f}")
    print(
        f"settings            delay {args.delay:g} s, concurrency {args.concurrency} per source, "
        f"latency {args.latency_ms:g} ms"
    )


if __name__ == "__main__":
    main()
