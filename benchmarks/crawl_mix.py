"""Crawl benchmark with every source mixed: Weibo, WeChat, Bilibili, feeds and government sites.

    .venv/bin/python benchmarks/crawl_mix.py                   # 5,000 accounts, a fifth each
    .venv/bin/python benchmarks/crawl_mix.py --accounts 20000  # also checks peak RSS ≤ 300 MB

The same method as benchmarks/crawl.py (whose simulator processes, govmedia run and baselines it
reuses): the simulated platforms run in `--sim-processes` processes of their own on one port
(default 2) with `--latency-ms` added to every answer, politeness is off, `crawl.max_pages: 1`, and all three clients fetch the same first pages:

- Weibo: user info and the first post page; WeChat: the first publish page;
- Bilibili: the Wbi-signed first `arc/search` page (and nav once for the keys);
- feeds: the feed document; government sites: the column list page (hashed layouts: UTF-8, GBK,
  Hanweb datastore, …).

govmedia is timed end to end (`govmedia crawl --json` as a child: start-up, ledger, crawl, parsing,
evidence, store); (a) is a sequential `requests` loop on the first `--sequential-accounts`
accounts; (b) is aiohttp, and httpx on the first `--httpx-accounts`, at govmedia's total
concurrency (per-source × 5), no parsing; (c) is
stock Scrapy fetching the same URLs at that concurrency, nothing parsed or stored.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import crawl as bench  # noqa: E402  (benchmarks/crawl.py)

from registry.constants import Source  # noqa: E402
from spiders import wbi  # noqa: E402
from spiders.simulator import World, point_config_at, synthetic_config  # noqa: E402
from spiders.simulator.bilibili import day_keys  # noqa: E402

MIX = (Source.WEIBO, Source.WECHAT, Source.BILIBILI, Source.FEED, Source.WEB)


def mixed_config(n: int) -> dict[str, Any]:
    """`n` accounts, one source after another (a fifth each); profiles by hash, as for a real
    ledger. Feeds and columns get URLs on many hosts, like a county's bridges and sites."""
    data = synthetic_config(n, sources=MIX)
    for department in data["departments"]:
        for account in department["accounts"]:
            index = int(account["id"][1:])
            if account["platform"] == Source.FEED.value:
                account.update(
                    platform="douyin",
                    source="feed",
                    url=f"https://rsshub{index % 7}.example.gov.cn/rss/douyin/{index}.xml",
                )
            elif account["platform"] == Source.WEB.value:
                account.update(
                    platform="website",
                    source="web",
                    url=f"https://www{index % 40}.example.gov.cn/col/col{index}/",
                )
    return data


def first_page_urls(data: dict[str, Any], base: str) -> list[list[str]]:
    """Per account, the URLs govmedia fetches with max_pages 1 (nav counted once, first)."""
    img, sub = day_keys(World(anchor=bench.NOW))
    wts = int(bench.NOW.timestamp())
    out: list[list[str]] = [[f"{base}/x/web-interface/nav"]]
    for department in data["departments"]:
        for account in department["accounts"]:
            source = account.get("source") or account["platform"]
            if source in ("weibo", "wechat"):
                single = {"departments": [{"accounts": [account]}]}
                out.extend(bench.first_page_urls(single, base))
            elif source == "bilibili":
                params = {
                    "mid": account["mid"],
                    "ps": 30,
                    "tid": 0,
                    "pn": 1,
                    "keyword": "",
                    "order": "pubdate",
                    "platform": "web",
                    "web_location": 1550101,
                    "order_avoided": "true",
                }
                signed = wbi.sign(params, img, sub, wts=wts)
                query = "&".join(f"{k}={v}" for k, v in signed.items())
                out.append([f"{base}/x/space/wbi/arc/search?{query}"])
            else:  # feed, web: already pointed at the simulator
                out.append([account["url"]])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument(
        "--concurrency", type=int, default=32, help="Requests in flight per source."
    )
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--sequential-accounts", type=int, default=300)
    parser.add_argument("--httpx-accounts", type=int, default=2000)
    parser.add_argument(
        "--sim-processes",
        type=int,
        default=2,
        help="Simulator processes sharing one port (SO_REUSEPORT); default 2.",
    )
    args = parser.parse_args()

    sims = bench.Simulators(args.latency_ms, args.sim_processes)
    try:
        base = sims.url
        data = point_config_at(mixed_config(args.accounts), base)
        for source in MIX:
            data["sources"][source.value].update(delay=0, concurrency=args.concurrency)
        total_concurrency = args.concurrency * len(MIX)
        with tempfile.TemporaryDirectory(prefix="govmedia-bench-mix-") as tmp:
            data["store"] = str(Path(tmp) / "bench.sqlite3")
            data["crawl"] = {
                "autothrottle": False,
                "max_pages": 1,
                "retries": 0,
                "timeout": 60,
                "breaker_threshold": 1000,  # the schema's most; the simulator never fails
            }
            path = bench.write_config(Path(tmp), data)
            urls = first_page_urls(data, base)
            n = args.accounts
            requests_total = sum(len(u) for u in urls)
            print(
                f"{n} accounts, all sources mixed ({requests_total} requests), "
                f"{args.concurrency} per source in flight ({total_concurrency} in all), "
                f"{args.latency_ms:g} ms latency per answer"
            )
            sim_cpu = sims.cpu()
            govmedia, outcomes = bench.run_govmedia(path)
            g_rate, g_rss = n / govmedia.seconds, govmedia.peak_rss_mb
            print(
                f"govmedia   {g_rate:8.1f} accounts/s  ({govmedia.seconds:.1f} s end to end, "
                f"{1000 * govmedia.cpu / n:.2f} ms CPU per account, peak RSS {g_rss:.0f} MB)"
                f"\n           outcomes {outcomes}"
            )
            print(f"           {sims.load(sim_cpu, govmedia.seconds, n)}")
            sample = urls[: args.sequential_accounts + 1]  # nav + that many accounts
            a_rate = (len(sample) - 1) / bench.run_sequential(sample)
            print(
                f"(a) seq    {a_rate:8.1f} accounts/s  (requests loop, {len(sample) - 1} accounts)"
            )
            sim_cpu = sims.cpu()
            b_seconds = asyncio.run(bench._aiohttp(urls, total_concurrency))
            b_rate = n / b_seconds
            print(f"(b) aiohttp{b_rate:8.1f} accounts/s  (concurrency {total_concurrency})")
            print(f"           {sims.load(sim_cpu, b_seconds, n)}")
            sample = urls[: args.httpx_accounts + 1]  # nav + that many accounts
            h_rate = (len(sample) - 1) / asyncio.run(bench._httpx(sample, total_concurrency))
            print(
                f"(b) httpx  {h_rate:8.1f} accounts/s  (concurrency {total_concurrency}, "
                f"{len(sample) - 1} accounts)"
            )
            stock = bench.run_stock_scrapy(urls, total_concurrency, Path(tmp))
            c_rate = bench.print_stock_scrapy(stock, n)
            bench.print_targets(g_rate, g_rss, a_rate, b_rate, h_rate, c_rate)
    finally:
        sims.stop()


if __name__ == "__main__":
    main()
