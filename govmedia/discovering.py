"""The discovery runner (排查): search each platform for the ledger's keywords, keep the candidates,
and check ledger accounts on their platforms (`register --verify`, `validate --online`).

A sibling of the crawl runner (govmedia/crawling.py), with its settings and politeness: one
Scrapy crawler per source, the source's delay and concurrency from config.yaml, the same signal
handling, in this process (Scrapy's reactor runs once per process: a loop or the demo runs
`govmedia discover --json` as a child, `discover_in_subprocess`). The search spiders
(spiders/sources/search.py) answer one `SweepItem` per keyword; the runner judges the hits with
the pure rules (registry/discovery.py) and stores the sweep and its findings in one transaction
(registry/candidates.py): a search that was refused is stored with its outcome, never as "found
nothing".
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.candidates import SweepRow, SweepStored, record_sweep, record_verifications
from registry.config import LoadedConfig, store_url
from registry.constants import (
    SEARCH_PLATFORMS,
    SEARCH_SOURCES,
    Outcome,
    Source,
    SweepKind,
    VerifyStatus,
)
from registry.discovery import Finding, SearchHit, derive_keywords, findings, normalize, verify
from registry.i18n import _

log = logging.getLogger("govmedia.discover")

# Only secrets come out of a search's answers: the store takes what the runner judged.
_PIPELINES = {"spiders.pipelines.RedactPipeline": 200}


@dataclass
class SweepResult:
    sweep_id: str
    rows: list[SweepRow] = field(default_factory=list)
    found: list[tuple[Finding, str]] = field(default_factory=list)
    stored: SweepStored | None = None
    interrupted: int | None = None

    @property
    def failed(self) -> list[SweepRow]:
        """Searches the platform did not answer (blocked, login expired…)."""
        return [r for r in self.rows if r.outcome is not Outcome.OK]

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        return {
            "sweep": self.sweep_id,
            "searches": len(self.rows),
            "requests": self.requests,
            "failed": [
                {
                    "source": r.source,
                    "keyword": r.keyword,
                    "outcome": r.outcome.value,
                    "detail": r.detail,
                }
                for r in self.failed
            ],  # fmt: skip
            "candidates": [
                {
                    "source": f.hit.source.value,
                    "identifier": f.hit.identifier,
                    "name": f.hit.name,
                    "kind": f.kind.value,
                    "reason": f.reason,
                    "keyword": keyword,
                }
                for f, keyword in self.found
            ],
            "new": len(self.stored.new) if self.stored else 0,
        }


@dataclass(frozen=True)
class Verification:
    account_id: str
    source: Source
    outcome: Outcome
    status: VerifyStatus
    found_name: str | None
    detail: str

    def row(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "outcome": self.outcome.value,
            "status": self.status.value,
            "found_name": self.found_name,
            "detail": self.detail,
        }


def new_sweep_id(now: dt.datetime) -> str:
    from govmedia.crawling import new_crawl_id

    return new_crawl_id(now)


def search_targets(keywords: Sequence[str], sources: Sequence[Source]) -> dict[Source, list[Any]]:
    """Each source's jobs: one per keyword (a target whose name is the keyword)."""
    from spiders.items import AccountTarget

    return {
        source: [
            AccountTarget(f"{source.value}:{i}", source, keyword, None)
            for i, keyword in enumerate(keywords)
        ]
        for source in sources
    }


def run_searches(
    loaded: LoadedConfig,
    by_source: Mapping[Source, list[Any]],
    *,
    sweep_id: str,
    now: dt.datetime | None,
    log_level: str = "WARNING",
) -> tuple[dict[tuple[Source, str], Any], int | None]:
    """One CrawlerProcess, one search crawler per source; the `SweepItem`s by (source, job key),
    and the signal that stopped it, if one did. Runs Scrapy's reactor: once per process."""
    from govmedia.crawling import add_source_crawler, scrapy_process, stored_logins
    from govmedia.interrupt import signals_handled_by
    from spiders.sources.search import SEARCH_SPIDERS, SweepItem

    config = loaded.config
    found: dict[tuple[Source, str], Any] = {}
    if not any(by_source.values()):
        return found, None

    def collect(item: Any) -> None:
        if isinstance(item, SweepItem):
            found[(item.source, item.account_id)] = item

    url = store_url(loaded)
    logins = stored_logins(loaded, url)  # the crawl's: environment first, else stored sessions
    process = scrapy_process(config, url, log_level=log_level)
    for source, targets in by_source.items():
        if targets:
            add_source_crawler(
                process,
                SEARCH_SPIDERS[source],
                config,
                source,
                targets,
                crawl_id=sweep_id,
                now=now,
                logins=logins,
                on_item=collect,
                settings={"ITEM_PIPELINES": _PIPELINES},
            )

    from twisted.internet import reactor

    stopped_by: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        if not stopped_by:
            stopped_by.append(signum)
            reactor.callFromThread(reactor.crash)  # type: ignore[attr-defined]

    with signals_handled_by(on_signal):
        process.start(install_signal_handlers=False)
    return found, (stopped_by[0] if stopped_by else None)


def _row(source: Source, target: Any, item: Any | None) -> SweepRow:
    if item is None:
        return SweepRow(
            source.value, target.name, Outcome.NETWORK_ERROR, "not searched: the sweep stopped"
        )
    return SweepRow(
        source=source.value,
        keyword=target.name,
        outcome=item.outcome,
        detail=item.detail,
        requests=item.requests,
        hits=len(item.hits),
        url=item.url,
    )


def run_discover(
    loaded: LoadedConfig,
    *,
    sources: Sequence[Source] | None = None,
    now: dt.datetime | None = None,
    log_level: str = "WARNING",
) -> SweepResult:
    """Search every keyword on every source once; store the searches and the candidates."""
    from registry.store import open_store, sync_ledger

    config = loaded.config
    started = now or dt.datetime.now(dt.UTC)
    engine = open_store(store_url(loaded))
    sync_ledger(engine, config, now=started)
    chosen = [Source(s) for s in (sources or config.discover.sources) if s in SEARCH_SOURCES]
    result = SweepResult(sweep_id=new_sweep_id(started))
    by_source = search_targets(derive_keywords(config), chosen)
    items, result.interrupted = run_searches(
        loaded, by_source, sweep_id=result.sweep_id, now=now, log_level=log_level
    )
    hits: list[tuple[SearchHit, str]] = []
    for source, targets in by_source.items():
        for target in targets:
            item = items.get((source, target.account_id))
            result.rows.append(_row(source, target, item))
            if item is not None:
                hits.extend((hit, target.name) for hit in item.hits)
    keyword_of = {(h.source, h.identifier): kw for h, kw in reversed(hits)}  # first keyword
    result.found = [
        (f, keyword_of[(f.hit.source, f.hit.identifier)])
        for f in findings([h for h, _ in hits], config)
    ]
    result.stored = record_sweep(
        engine, sweep_id=result.sweep_id, rows=result.rows, found=result.found, now=started
    )
    return result


def record_manual_check(
    loaded: LoadedConfig, *, platform: str, by: str, note: str, now: dt.datetime | None = None
) -> str:
    """A person's sweep of a platform no spider searches (Douyin, Toutiao…): who, when, what."""
    from registry.store import open_store

    at = now or dt.datetime.now(dt.UTC)
    sweep_id = new_sweep_id(at)
    row = SweepRow(platform, "(manual)", Outcome.OK, note, kind=SweepKind.MANUAL, recorded_by=by)
    record_sweep(open_store(store_url(loaded)), sweep_id=sweep_id, rows=[row], found=[], now=at)
    return sweep_id


# ---------------------------------------------------------------------------------------------
# Verification


def verify_targets(loaded: LoadedConfig, only: Sequence[str] = ()) -> dict[Source, list[Any]]:
    """The ledger accounts that can be checked on a searchable platform (all, or `only`)."""
    from spiders.items import AccountTarget

    platform_source = {platform: source for source, platform in SEARCH_PLATFORMS.items()}
    out: dict[Source, list[Any]] = {}
    for _department, account in loaded.config.iter_accounts():
        if only and account.id not in only:
            continue
        source = platform_source.get(account.platform)
        # An account observed another way (a WeChat account through a feed) holds no platform
        # identifier in the ledger to check.
        if source is None or account.effective_source is not source:
            continue
        out.setdefault(source, []).append(
            AccountTarget(account.id, source, account.name, account.identifier)
        )
    return out


def run_verify(
    loaded: LoadedConfig,
    *,
    only: Sequence[str] = (),
    now: dt.datetime | None = None,
    log_level: str = "WARNING",
) -> list[Verification]:
    """Check each selected account on its platform: does the identifier exist, under the
    ledger's name; is a closed account still reachable. Stored (verifications), ledger order."""
    from registry.store import open_store, sync_ledger

    config = loaded.config
    started = now or dt.datetime.now(dt.UTC)
    engine = open_store(store_url(loaded))
    sync_ledger(engine, config, now=started)
    sweep_id = new_sweep_id(started)
    by_source = verify_targets(loaded, only)
    items, _interrupted = run_searches(
        loaded, by_source, sweep_id=sweep_id, now=now, log_level=log_level
    )
    accounts = {a.id: a for _, a in config.iter_accounts()}
    out = []
    for source, targets in by_source.items():
        for target in targets:
            item = items.get((source, target.account_id))
            outcome = item.outcome if item is not None else Outcome.NETWORK_ERROR
            hit = _the_account(target, item.hits if item is not None else [])
            account = accounts[target.account_id]
            if outcome is Outcome.OK and hit is None:
                outcome = Outcome.NOT_FOUND  # the search answered, without this account
            status, detail = verify(
                status=account.status, ledger_name=account.name, outcome=outcome, found=hit
            )
            out.append(
                Verification(
                    target.account_id, source, outcome, status, hit.name if hit else None, detail
                )
            )
    order = {a: i for i, a in enumerate(accounts)}
    out.sort(key=lambda v: order[v.account_id])
    record_verifications(engine, sweep_id, [v.row() for v in out], started)
    return out


def _the_account(target: Any, hits: Sequence[SearchHit]) -> SearchHit | None:
    """The hit that is this account: by identifier, or (a WeChat account with no fakeid in the
    ledger) by exact name."""
    if target.identifier:
        return next((h for h in hits if h.identifier == target.identifier), None)
    return next((h for h in hits if normalize(h.name) == normalize(target.name)), None)


# ---------------------------------------------------------------------------------------------
# In a child process


_GOVMEDIA = [sys.executable, "-c", "from govmedia.cli import main; main()"]


def discover_in_subprocess(
    config_path: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Run `govmedia discover --json` as a child (Scrapy's reactor runs once per process) and
    return what it printed. Raises RuntimeError when it does not run to the end."""
    from govmedia.interrupt import child_env

    command = [*_GOVMEDIA, "discover", "--json", "-c", str(config_path)]
    if now is not None:
        command += ["--now", now.isoformat()]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **(env or {}), **child_env()},
        timeout=timeout,
        check=False,
    )
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise RuntimeError(
            _("govmedia discover exited {code} without its JSON: {stderr}").format(
                code=done.returncode, stderr=done.stderr.strip()[-300:]
            )
        ) from None
