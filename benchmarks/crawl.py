"""Crawl benchmark: govmedia against a plain sequential loop and a bare asyncio client.

    .venv/bin/python benchmarks/crawl.py                  # 5,000 accounts, Weibo and WeChat mixed
    .venv/bin/python benchmarks/crawl.py --accounts 20000 # also checks peak RSS ≤ 300 MB
    .venv/bin/python benchmarks/crawl.py --latency-ms 30  # one latency only
    .venv/bin/python benchmarks/crawl.py --accounts 20000 --latency-ms 30 --rounds 2 --profile

The simulated platforms run in `--sim-processes` processes of their own (default 2) sharing one
port (SO_REUSEPORT), with `--latency-ms` added to every answer (a network's round trip; without it
any loop against 127.0.0.1 is bound by the server alone). Every client is measured at each latency
given, by default 0 ms (the clients' own cost) and 30 ms. govmedia and (b) aiohttp run side by
side `--rounds` times (the ratio of neighbours is what a loaded machine can measure; the rounds
give its range); `--quick` stops there. `--profile` adds one crawl under cProfile and prints where
its CPU went: each package's share (Scrapy, Twisted, aiohttp, ours…) and the top functions.
Politeness is off: no delay, no AutoThrottle, `--concurrency` requests in flight per source.
All three clients fetch the same first pages (`crawl.max_pages: 1`): Weibo's user info and first
post page, WeChat's first publish page.

- govmedia: `govmedia crawl --json` as a child process, end to end (start-up, loading and syncing
  the ledger, crawling, parsing, evidence, batched store writes); accounts/s, CPU per account, and
  the peak RSS of the crawl and its per-source child processes together (sampled from /proc).
- (a) a sequential `requests` loop over the same URLs, without parsing, on the first
  `--sequential-accounts` accounts (its rate does not depend on how many it does);
- (b) the issue's two asyncio clients, no parsing: aiohttp (C parser) at the same total
  concurrency on all accounts; httpx (pure-Python h11) at its best concurrency, found by a sweep
  (4 to twice --concurrency) on 400 accounts, then on the first `--httpx-accounts`;
- (c) Scrapy with the same total concurrency fetching the same URLs, nothing parsed or stored,
  stock and tuned as a careful user would (TUNED: the middlewares and extensions that do nothing
  here turned off): not a target, but what Scrapy itself allows on this machine (govmedia is a
  Scrapy crawler, so (b)'s target can be read against it); the ratio is to the tuned one.

For each client it also prints the simulator's CPU per account and how busy each simulator process
was (its share of one core): near 100 % means that client was bound by the simulator.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from registry.constants import LOCAL_TZ  # noqa: E402
from spiders.simulator import (  # noqa: E402
    SIMULATOR_WECHAT_COOKIE,
    SIMULATOR_WECHAT_TOKEN,
    point_config_at,
    synthetic_config,
)

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)
RSS_LIMIT_MB = 300


def serve(latency: float, port: int) -> None:
    """Child mode: run the simulator (on `port`, shared with the other simulator processes
    through SO_REUSEPORT; 0: a free one), print its URL, stop when stdin closes."""
    from spiders.simulator import World, start_simulator

    sim = start_simulator(World(anchor=NOW), port=port, latency=latency, reuse_port=True)
    print(sim.url, flush=True)
    sys.stdin.read()
    sim.stop()


class Simulators:
    """`count` simulator processes on one port (SO_REUSEPORT): the kernel spreads the clients'
    connections over them, so no client is bound by one simulator process's core (its threads
    share one GIL). Every client, govmedia and the baselines, talks to the same processes."""

    def __init__(self, latency_ms: float, count: int) -> None:
        self.processes: list[subprocess.Popen[str]] = []
        port = 0
        for _ in range(count):
            command = [sys.executable, __file__, "--serve", "--latency-ms", str(latency_ms)]
            command += ["--port", str(port)]
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
            self.processes.append(process)
            assert process.stdout is not None
            self.url = process.stdout.readline().strip()
            port = int(self.url.rpartition(":")[2])

    def cpu(self) -> list[float]:
        return [process_cpu(p.pid) for p in self.processes]

    def load(self, before: list[float], seconds: float, accounts: int) -> str:
        """The simulator processes' CPU per account and how busy each was (share of a core):
        near 100 % in any one means the client was bound by the simulator."""
        used = [after - b for after, b in zip(self.cpu(), before, strict=True)]
        busy = "/".join(f"{100 * u / seconds:.0f}" for u in used)
        return (
            f"simulator ({len(used)} processes) {1000 * sum(used) / accounts:.2f} ms CPU per "
            f"account, each busy {busy}%"
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.stdin:
                process.stdin.close()
        for process in self.processes:
            process.wait(timeout=30)


def first_page_urls(data: dict[str, Any], base: str) -> list[list[str]]:
    """Per account, the URLs govmedia fetches with max_pages 1 (the same order)."""
    out = []
    for department in data["departments"]:
        for account in department["accounts"]:
            if account["platform"] == "weibo":
                uid = account["uid"]
                index = f"{base}/api/container/getIndex?type=uid&value={uid}"
                out.append([index, f"{index}&containerid=107603{uid}&page=1"])
            else:
                out.append(
                    [
                        f"{base}/cgi-bin/appmsgpublish?sub=list&begin=0&count=5"
                        f"&fakeid={account['fakeid']}&type=101_1&free_publish_type=1"
                        f"&sub_action=list_ex&token={SIMULATOR_WECHAT_TOKEN}&lang=zh_CN&f=json&ajax=1"
                    ]
                )
    return out


def write_config(directory: Path, data: dict[str, Any]) -> Path:
    path = directory / "config.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return path


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (Linux /proc), in MB."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        stack.extend(int(c) for c in children)
    return total / 1024


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Measured:
    seconds: float
    cpu: float
    peak_rss_mb: float


def run_child(command: list[str], out_path: Path, env: dict[str, str] | None = None) -> Measured:
    """Run a child process to its end with stdout to `out_path`: its seconds, CPU seconds and
    peak RSS in MB (the process and its children together, sampled from /proc)."""
    import resource
    import threading

    peak = [0.0]
    done = threading.Event()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    err_path = out_path.with_suffix(".stderr")
    with out_path.open("wb") as out, err_path.open("wb") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, env=env)

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], tree_rss_mb(child.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _pid, status, _usage = os.wait4(child.pid, 0)
        done.set()
        sampler.join()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if os.waitstatus_to_exitcode(status) != 0:
        tail = err_path.read_text("utf-8", "replace")[-2000:]
        raise SystemExit(f"{command[2:4]} failed with {os.waitstatus_to_exitcode(status)}:\n{tail}")
    return Measured(seconds, cpu, peak[0])


def run_govmedia(path: Path, profile: Path | None = None) -> tuple[Measured, dict[str, int]]:
    """One `govmedia crawl --json` end to end, and its outcomes; under cProfile, its stats
    written to `profile`."""
    env = {
        **os.environ,
        "GOVMEDIA_WECHAT_TOKEN": SIMULATOR_WECHAT_TOKEN,
        "GOVMEDIA_WECHAT_COOKIE": SIMULATOR_WECHAT_COOKIE,
    }
    main = "from govmedia.cli import main; main()"
    if profile is not None:
        # CPU time, not wall time: on a machine shared with the simulator, a wall-clock profile
        # puts the simulator's turns (the kernel switches to it as a request is sent) inside
        # socket.send.
        main = (
            "import cProfile, time\nfrom govmedia.cli import main\n"
            "profile = cProfile.Profile(time.process_time)\n"
            "try:\n    profile.runcall(main)\nexcept SystemExit:\n    pass\n"
            f"profile.dump_stats({str(profile)!r})\n"
        )
    command = [sys.executable, "-c", main, "crawl", "--json"]
    command += ["-c", str(path), "--now", NOW.isoformat()]
    out_path = path.parent / "crawl.json"
    measured = run_child(command, out_path, env)
    outcomes: dict[str, int] = {}
    for entry in json.loads(out_path.read_bytes()):
        outcomes[entry["outcome"]] = outcomes.get(entry["outcome"], 0) + 1
    return measured, outcomes


# Where a profiled crawl's own time (tottime) goes, by the file a function is in; first match wins.
PROFILE_GROUPS = (
    ("govmedia (spiders/, registry/, govmedia/)", ("/spiders/", "/registry/", "/govmedia/")),
    ("Scrapy (and pydispatch, its signals)", ("/scrapy/", "/pydispatch/")),
    ("Twisted", ("/twisted/",)),
    ("aiohttp, yarl, multidict", ("/aiohttp/", "/yarl/", "/multidict/")),
    ("SQLAlchemy and sqlite3", ("/sqlalchemy/", "sqlite3")),
    ("pydantic", ("/pydantic",)),
    ("asyncio", ("/asyncio/",)),
    ("json, gzip, zlib, hashlib", ("/json/", "gzip", "zlib", "hashlib", "_json")),
    ("sockets (send, recv: the kernel's loopback work)", ("_socket.socket",)),
    ("select (epoll)", ("select.epoll", "/selectors.py")),
)


def profile_summary(path: Path, accounts: int, top: int = 25) -> None:
    """What a profiled crawl spent its CPU on: each group's share of the functions' own time,
    then the functions of most cumulative time."""
    import pstats

    stats = pstats.Stats(str(path))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    groups: dict[str, float] = {}
    for (filename, _line, name), entry in raw.items():
        where = f"{filename}:{name}"
        group = next((g for g, marks in PROFILE_GROUPS if any(m in where for m in marks)), None)
        groups[group or "other (stdlib, C built-ins)"] = (
            groups.get(group or "other (stdlib, C built-ins)", 0.0) + entry[2]
        )
    print(
        f"profile: {total:.1f} s of CPU in functions ({1000 * total / accounts:.2f} ms per "
        "account, under cProfile); own time by package:"
    )
    for group, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {100 * seconds / total:5.1f}%  {group}")
    print(f"top {top} by own time:")
    for (filename, line, name), entry in sorted(raw.items(), key=lambda kv: -kv[1][2])[:top]:
        short = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        print(f"  {100 * entry[2] / total:5.1f}% own {entry[1]:>8} calls  {short}:{line}({name})")
    print(f"top {top} by cumulative time:")
    rows = sorted(raw.items(), key=lambda kv: -kv[1][3])
    shown = 0
    for (filename, line, name), entry in rows:
        if name.startswith("<") or filename == "~" and name.startswith("<"):
            continue
        short = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        print(
            f"  {100 * entry[3] / total:5.1f}% cum {100 * entry[2] / total:5.1f}% own "
            f"{entry[1]:>8} calls  {short}:{line}({name})"
        )
        shown += 1
        if shown >= top:
            break


def run_stock_scrapy(
    accounts: list[list[str]], concurrency: int, directory: Path, *, tuned: bool = False
) -> Measured:
    """(c): Scrapy, the same URLs at the same total concurrency, nothing parsed or stored; stock,
    or `tuned` as a careful user would (see TUNED)."""
    urls_path = directory / "urls.json"
    urls_path.write_text(json.dumps(accounts))
    command = [sys.executable, __file__, "--stock-scrapy", str(urls_path)]
    command += ["--concurrency", str(concurrency)] + (["--tuned"] if tuned else [])
    return run_child(command, directory / "stock.out")


# What a careful user turns off for a crawl like this one: the middlewares and extensions that
# do nothing for it (redirects, retries, compression, referers, depth, user agent, stats dumps,
# the log's per-minute stats, memory checks) and the downloader-aware queue of many domains.
TUNED: dict[str, Any] = {
    "RETRY_ENABLED": False,
    "REDIRECT_ENABLED": False,
    "COMPRESSION_ENABLED": False,
    "MEMUSAGE_ENABLED": False,
    "STATS_DUMP": False,
    "LOG_LEVEL": "ERROR",
    "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue",
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
        "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": None,
        "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
        "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,
        "scrapy.downloadermiddlewares.stats.DownloaderStats": None,
        "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    },
    "SPIDER_MIDDLEWARES": {
        "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
        "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
        "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    },
    "EXTENSIONS": {
        "scrapy.extensions.logstats.LogStats": None,
        "scrapy.extensions.corestats.CoreStats": None,
        "scrapy.extensions.memusage.MemoryUsage": None,
    },
}


def stock_scrapy(urls_path: Path, concurrency: int, tuned: bool = False) -> None:
    """Child mode for (c): Scrapy's defaults but for the concurrency, logging and the cookie;
    with `tuned`, also TUNED."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    accounts = json.loads(urls_path.read_text())

    class Fetch(scrapy.Spider):
        name = "stock"

        async def start(self) -> Any:
            for urls in accounts:
                yield self.fetch(urls)

        def fetch(self, urls: list[str]) -> scrapy.Request:
            return scrapy.Request(
                urls[0],
                callback=self.fetched,
                cb_kwargs={"rest": urls[1:]},
                headers={"Cookie": SIMULATOR_WECHAT_COOKIE},
                dont_filter=True,
            )

        def fetched(self, response: Any, rest: list[str]) -> Any:
            if rest:
                yield self.fetch(rest)

    process = CrawlerProcess(
        {
            "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "LOG_LEVEL": "WARNING",
            "ROBOTSTXT_OBEY": False,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            **(TUNED if tuned else {}),
        }
    )
    process.crawl(Fetch)
    process.start()


def run_sequential(accounts: list[list[str]]) -> float:
    import requests

    session = requests.Session()
    session.headers["Cookie"] = SIMULATOR_WECHAT_COOKIE
    started = time.perf_counter()
    for urls in accounts:
        for url in urls:
            session.get(url, timeout=30).content  # noqa: B018
    return time.perf_counter() - started


async def _aiohttp(accounts: list[list[str]], concurrency: int) -> float:
    import aiohttp

    limit = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        connector=connector, headers={"Cookie": SIMULATOR_WECHAT_COOKIE}
    ) as session:

        async def one(urls: list[str]) -> None:
            async with limit:
                for url in urls:
                    async with session.get(url) as response:
                        await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(one(urls) for urls in accounts))
        return time.perf_counter() - started


def print_stock_scrapy(stock: Measured, n: int, label: str = "stock") -> float:
    """Print (c) and return its accounts/s."""
    rate = n / stock.seconds
    print(
        f"(c) Scrapy {rate:8.1f} accounts/s  ({label} Scrapy, same URLs and concurrency, "
        f"nothing parsed or stored; {1000 * stock.cpu / n:.2f} ms CPU per account)"
    )
    return rate


def print_targets(
    rate: float, rss_mb: float, sequential: float, aiohttp: float, httpx: float, stock: float
) -> None:
    """govmedia against each baseline, beside the issue's targets."""
    print(f"govmedia / (a) = {rate / sequential:5.1f}×   target ≥ 10×")
    print(f"govmedia / (b) = {rate / aiohttp:5.2f}×   target ≥ 0.5× (aiohttp)")
    print(f"govmedia / (b) = {rate / httpx:5.2f}×   target ≥ 0.5× (httpx)")
    print(f"govmedia / (c) = {rate / stock:5.2f}×   (what Scrapy itself allows)")
    verdict = "ok" if rss_mb <= RSS_LIMIT_MB else "OVER"
    print(f"peak RSS       = {rss_mb:5.0f} MB  target ≤ {RSS_LIMIT_MB} MB at 20,000: {verdict}")


async def _httpx(accounts: list[list[str]], concurrency: int) -> float:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        limits=limits, headers={"Cookie": SIMULATOR_WECHAT_COOKIE}, timeout=60
    ) as client:
        limit = asyncio.Semaphore(concurrency)

        async def one(urls: list[str]) -> None:
            async with limit:
                for url in urls:
                    (await client.get(url)).read()

        started = time.perf_counter()
        await asyncio.gather(*(one(urls) for urls in accounts))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument(
        "--concurrency", type=int, default=32, help="Requests in flight per source."
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        nargs="+",
        default=[0.0, 30.0],
        help="Latency per answer; each value is a whole run (default: 0 and 30 ms).",
    )
    parser.add_argument("--sequential-accounts", type=int, default=300)
    parser.add_argument("--httpx-accounts", type=int, default=2000)
    parser.add_argument(
        "--process-per-source", action="store_true", help="crawl.process_per_source: true"
    )
    parser.add_argument(
        "--sim-processes",
        type=int,
        default=2,
        help="Simulator processes sharing one port (SO_REUSEPORT); default 2.",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="govmedia and aiohttp side by side, this many times."
    )
    parser.add_argument(
        "--profile", action="store_true", help="Also one crawl under cProfile: where its CPU goes."
    )
    parser.add_argument("--profile-file", type=Path, help="Keep the profile's stats there.")
    parser.add_argument(
        "--quick", action="store_true", help="Only govmedia and aiohttp (no other baselines)."
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--stock-scrapy", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tuned", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.latency_ms[0] / 1000, args.port)
        return
    if args.stock_scrapy:
        stock_scrapy(args.stock_scrapy, args.concurrency, args.tuned)
        return

    for latency_ms in args.latency_ms:
        run_at(args, latency_ms)
        print()


def run_at(args: argparse.Namespace, latency_ms: float) -> None:
    """Every client against one simulator that adds `latency_ms` to each answer."""
    sims = Simulators(latency_ms, args.sim_processes)
    try:
        base = sims.url
        data = synthetic_config(args.accounts)
        data = point_config_at(data, base)
        for name in ("weibo", "wechat"):
            data["sources"][name].update(delay=0, concurrency=args.concurrency)
        with tempfile.TemporaryDirectory(prefix="govmedia-bench-") as tmp:
            data["store"] = str(Path(tmp) / "bench.sqlite3")
            data["crawl"] = {
                "autothrottle": False,
                "max_pages": 1,
                "retries": 0,
                "timeout": 60,
                "breaker_threshold": 1000,  # the schema's most; the simulator never fails
                "process_per_source": args.process_per_source,
            }
            urls = first_page_urls(data, base)
            n = len(urls)
            requests_total = sum(len(u) for u in urls)
            print(
                f"{n} accounts ({requests_total} requests), {args.concurrency} per source in "
                f"flight, {latency_ms:g} ms latency per answer, {args.sim_processes} simulator "
                f"process(es)"
            )
            # govmedia and (b) aiohttp side by side, `--rounds` times: on a loaded machine the
            # ratio of neighbours is the honest figure, and the rounds give its range.
            ratios, rates, rss, b_rates = [], [], [], []
            for round_ in range(1, args.rounds + 1):
                data["store"] = str(Path(tmp) / f"bench-{round_}.sqlite3")  # fresh each round
                path = write_config(Path(tmp), data)
                sim_cpu = sims.cpu()
                govmedia, outcomes = run_govmedia(path)
                g_rate, g_rss = n / govmedia.seconds, govmedia.peak_rss_mb
                print(
                    f"govmedia   {g_rate:8.1f} accounts/s  ({govmedia.seconds:.1f} s end to end, "
                    f"{1000 * govmedia.cpu / n:.2f} ms CPU per account, peak RSS {g_rss:.0f} MB)"
                )
                print(f"           outcomes {outcomes}")
                print(f"           {sims.load(sim_cpu, govmedia.seconds, n)}")
                sim_cpu = sims.cpu()
                b_seconds = asyncio.run(_aiohttp(urls, 2 * args.concurrency))
                b_rate = n / b_seconds
                print(f"(b) aiohttp{b_rate:8.1f} accounts/s  (concurrency {2 * args.concurrency})")
                print(f"           {sims.load(sim_cpu, b_seconds, n)}")
                ratios.append(g_rate / b_rate)
                rates.append(g_rate)
                rss.append(g_rss)
                b_rates.append(b_rate)
                print(f"round {round_}: govmedia / (b) aiohttp = {g_rate / b_rate:.2f}×")
            if args.rounds > 1:
                print(
                    f"{args.rounds} rounds: govmedia / aiohttp {min(ratios):.2f}–{max(ratios):.2f}×, "
                    f"govmedia {min(rates):.0f}–{max(rates):.0f} accounts/s, aiohttp "
                    f"{min(b_rates):.0f}–{max(b_rates):.0f}, peak RSS {min(rss):.0f}–{max(rss):.0f} MB"
                )
            g_rate, g_rss, b_rate = rates[-1], max(rss), b_rates[-1]
            if args.profile:
                profile = args.profile_file or Path(tmp) / "crawl.prof"
                data["store"] = str(Path(tmp) / "bench-profiled.sqlite3")
                path = write_config(Path(tmp), data)
                run_govmedia(path, profile)
                profile_summary(profile, n)
            if args.quick:
                verdict = "ok" if g_rss <= RSS_LIMIT_MB else "OVER"
                print(f"govmedia / (b) = {g_rate / b_rate:5.2f}×   target ≥ 0.5× (aiohttp)")
                print(f"peak RSS       = {g_rss:5.0f} MB  target ≤ {RSS_LIMIT_MB} MB: {verdict}")
                return
            sample = urls[: args.sequential_accounts]
            a_rate = len(sample) / run_sequential(sample)
            print(f"(a) seq    {a_rate:8.1f} accounts/s  (requests loop, {len(sample)} accounts)")
            # httpx at its best: a small sweep of concurrency on a sample, then the best one.
            sweep = {}
            for concurrency in (4, 8, 16, 32, 2 * args.concurrency):
                part = urls[: min(args.httpx_accounts, 400)]
                sweep[concurrency] = len(part) / asyncio.run(_httpx(part, concurrency))
            best = max(sweep, key=lambda c: sweep[c])
            shown = ", ".join(f"{c}: {r:.0f}" for c, r in sweep.items())
            print(f"(b) httpx sweep, accounts/s by concurrency ({len(part)} accounts): {shown}")
            sample = urls[: args.httpx_accounts]
            h_rate = len(sample) / asyncio.run(_httpx(sample, best))
            print(
                f"(b) httpx  {h_rate:8.1f} accounts/s  (its best concurrency, {best}, "
                f"{len(sample)} accounts)"
            )
            sim_cpu = sims.cpu()
            stock = run_stock_scrapy(urls, 2 * args.concurrency, Path(tmp))
            print_stock_scrapy(stock, n)
            print(f"           {sims.load(sim_cpu, stock.seconds, n)}")
            sim_cpu = sims.cpu()
            tuned = run_stock_scrapy(urls, 2 * args.concurrency, Path(tmp), tuned=True)
            c_rate = print_stock_scrapy(tuned, n, "tuned")
            print(f"           {sims.load(sim_cpu, tuned.seconds, n)}")
            print_targets(g_rate, g_rss, a_rate, b_rate, h_rate, c_rate)
    finally:
        sims.stop()


if __name__ == "__main__":
    main()
