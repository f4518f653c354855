"""Benchmark: the crawl's own hot spots beside Scrapy's plumbing, each against a floor measured in
the same run.

- evidence: `gzip.compress` of the platform bodies the parsers are tested on (tests/pages/,
  cycled to --accounts bodies) at levels 1, 6 (EvidencePipeline's) and 9: seconds and bytes
  stored, beside the SHA-256 the pipeline computes of the same bodies anyway;
- JSON: `json.loads` (spiders/parsers/common.py's `load_json`) beside `orjson.loads` when it is
  installed, on the same bodies, with the UTF-8 decode as the floor;
- store: `registry.store.record_observations` of --accounts observations with 3 posts each, in
  the crawl's batches of 500, into a fresh SQLite store, beside a raw `sqlite3` executemany of the
  same rows (no RETURNING, no SQLAlchemy) as the floor.

    .venv/bin/python benchmarks/hotspots.py [--accounts 20000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import importlib.util
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.store import open_store, record_observations  # noqa: E402

BATCH = 500  # GOVMEDIA_BATCH_SIZE's default
AT = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)


def _valid_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False  # the truncated pages the parsers must call malformed
    return True


def bodies(n: int) -> list[bytes]:
    """--accounts well-formed bodies (each a valid JSON page of tests/pages, cycled)."""
    pages = [
        p.read_bytes()
        for source in ("weibo", "wechat", "bilibili")
        for p in sorted((ROOT / "tests" / "pages" / source).glob("*.json"))
        if p.stat().st_size > 500 and _valid_json(p.read_bytes())
    ]
    return [pages[i % len(pages)] for i in range(n)]


def timed(repeat: int, func: Callable[[], Any]) -> tuple[float, float, Any]:
    """(best, worst) wall seconds of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return min(times), max(times), result


def line(label: str, best: float, worst: float, floor: float, note: str = "") -> None:
    print(
        f"  {label:36s} {best:6.3f}–{worst:6.3f} s  ({best / floor:5.1f}–{worst / floor:5.1f}× "
        f"floor)  {note}"
    )


def rows(n: int) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    observations, posts = [], []
    for i in range(n):
        account = f"a{i:05d}"
        observations.append(
            {
                "account_id": account,
                "source": "weibo",
                "crawl_id": "bench",
                "at": AT,
                "outcome": "ok",
                "latest_post_at": AT - dt.timedelta(hours=i % 100),
                "posts_seen": 3,
                "posts_this_week": None,
                "detail": None,
                "http_status": 200,
                "url": f"http://127.0.0.1/{account}",
                "evidence": b"x" * 300,
                "evidence_sha256": "0" * 64,
                "recorded_by": None,
                "complete_since": None,
            }
        )
        posts.append(
            [
                {
                    "account_id": account,
                    "post_key": f"{account}-{k}",
                    "published_at": AT - dt.timedelta(days=k),
                    "title": "工作动态",
                    "url": f"http://127.0.0.1/{account}/{k}",
                    "pinned": False,
                    "first_seen_at": AT,
                }
                for k in range(3)
            ]
        )
    return observations, posts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    data = bodies(args.accounts)
    size = sum(len(b) for b in data)
    print(
        f"{len(data):,} bodies from tests/pages, {size / 1e6:.1f} MB; best–worst of {args.repeat}"
    )

    print("evidence (EvidencePipeline)")
    floor, worst, _ = timed(args.repeat, lambda: [hashlib.sha256(b).hexdigest() for b in data])
    line("floor: sha256 of each body", floor, worst, floor)
    for level in (1, 6, 9):
        best, worst, out = timed(
            args.repeat, lambda level=level: [gzip.compress(b, level, mtime=0) for b in data]
        )
        stored = sum(len(o) for o in out)
        line(f"gzip level {level}", best, worst, floor, f"{stored / 1e6:.2f} MB stored")

    print("JSON (parsers/common.load_json)")
    texts = [b.decode("utf-8") for b in data]
    floor, worst, _ = timed(args.repeat, lambda: [b.decode("utf-8") for b in data])
    line("floor: UTF-8 decode", floor, worst, floor)
    best, worst, _ = timed(args.repeat, lambda: [json.loads(t) for t in texts])
    line("json.loads (stdlib)", best, worst, floor)
    if importlib.util.find_spec("orjson") is not None:
        import orjson

        best, worst, _ = timed(args.repeat, lambda: [orjson.loads(b) for b in data])
        line("orjson.loads", best, worst, floor)
    else:
        print("  orjson is not installed: not measured")

    print(f"store (record_observations, batches of {BATCH})")
    observations, posts = rows(args.accounts)
    with tempfile.TemporaryDirectory() as tmp:

        def raw_floor() -> None:
            db = Path(tmp) / f"raw-{time.perf_counter_ns()}.sqlite3"
            open_store(f"sqlite:///{db}").dispose()
            conn = sqlite3.connect(db)
            columns = list(observations[0])
            obs_sql = (
                f"INSERT INTO observations ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})"
            )
            post_columns = list(posts[0][0])
            post_sql = (
                f"INSERT OR IGNORE INTO posts ({', '.join(post_columns)}) "
                f"VALUES ({', '.join('?' * len(post_columns))})"
            )
            for start in range(0, len(observations), BATCH):
                conn.executemany(
                    obs_sql,
                    [
                        tuple(
                            v.isoformat(" ") if isinstance(v, dt.datetime) else v
                            for v in row.values()
                        )
                        for row in observations[start : start + BATCH]
                    ],
                )
                conn.executemany(
                    post_sql,
                    [
                        tuple(
                            v.isoformat(" ") if isinstance(v, dt.datetime) else v
                            for v in post.values()
                        )
                        for batch in posts[start : start + BATCH]
                        for post in batch
                    ],
                )
                conn.commit()
            conn.close()

        def ours() -> None:
            db = Path(tmp) / f"ours-{time.perf_counter_ns()}.sqlite3"
            engine = open_store(f"sqlite:///{db}")
            for start in range(0, len(observations), BATCH):
                batch_posts = [[dict(p) for p in b] for b in posts[start : start + BATCH]]
                record_observations(engine, observations[start : start + BATCH], batch_posts)
            engine.dispose()

        floor, worst, _ = timed(args.repeat, raw_floor)
        line("floor: sqlite3 executemany", floor, worst, floor)
        best, worst, _ = timed(args.repeat, ours)
        line("record_observations", best, worst, floor)


if __name__ == "__main__":
    main()
