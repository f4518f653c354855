"""The crawl runner: which accounts to observe, one Scrapy crawl over them, and what it found.

`run_crawl` runs Scrapy in this process (CrawlerProcess): one crawler per source, each with that
source's politeness from config.yaml, all in one reactor. Scrapy's reactor cannot be restarted, so
a process runs at most one crawl; a long-running loop calls `crawl_in_subprocess`, which runs
`govmedia crawl --json` as a child process and reads its JSON.

The crawl first syncs the ledger into the store (idempotent), so every observation belongs to an
account the store knows, with its current ledger status. Closed accounts are crawled too (a
relaunch shows only in a crawl). Manual-source accounts are not (a person observes those with
`govmedia observe`), nor accounts of a source switched off in config.yaml.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.bulk import long_lived_heap
from registry.config import LoadedConfig, store_url
from registry.constants import LOCAL_TZ, Outcome, Source
from registry.credentials import credentials_path
from registry.i18n import _
from registry.models import Config

log = logging.getLogger("govmedia.crawl")


@dataclass(frozen=True)
class CrawlResult:
    """One account's observation, as `crawl --json` prints it."""

    account: str
    source: Source | None  # None when read back from `crawl --json`, which does not print it
    outcome: Outcome
    latest_post_at: dt.datetime | None
    posts_seen: int
    detail: str

    def to_json(self) -> dict[str, Any]:
        """DESIGN.md's shape; `latest_post_at` in Asia/Shanghai (+08:00)."""
        latest = self.latest_post_at
        return {
            "account": self.account,
            "outcome": self.outcome.value,
            "latest_post_at": latest.astimezone(LOCAL_TZ).isoformat() if latest else None,
            "posts_seen": self.posts_seen,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Skipped:
    account: str
    reason: str


@dataclass
class CrawlRun:
    crawl_id: str
    results: list[CrawlResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    evidence_pruned: int = 0
    interrupted: int | None = None  # the signal that stopped the crawl early
    unstored: list[str] = field(default_factory=list)  # observed, but the store did not take it
    store_error: str | None = None  # why (`cannot write PATH: reason`), when known

    @property
    def exit_code(self) -> int:
        """0 when every observation claimed is stored; 1 when some were not (the error names
        the store); 128 + signal when a signal stopped the crawl."""
        from govmedia.interrupt import EXIT_WRITE_FAILED, exit_code

        if self.interrupted is not None:
            return exit_code(self.interrupted)
        return EXIT_WRITE_FAILED if self.unstored else 0

    def store_line(self) -> str | None:
        """One line for the person when observations were not stored, else None."""
        if not self.unstored:
            return None
        observed = len(self.unstored) + sum(
            1 for r in self.results if not r.detail.startswith(("not observed", "not stored"))
        )
        reason = self.store_error or _("the store did not take them")
        accounts = ", ".join(self.unstored[:5]) + (", …" if len(self.unstored) > 5 else "")
        return _(
            "{reason}; {n} of {observed} observations were not stored "
            "(nothing was recorded for {accounts})"
        ).format(reason=reason, n=len(self.unstored), observed=observed, accounts=accounts)


class CrawlSelectionError(ValueError):
    """--only or --source names something the ledger does not have."""


class CrawlFailed(RuntimeError):
    """A child `govmedia crawl --json` did not run (bad config, crash)."""

    def __init__(self, returncode: int, message: str) -> None:
        super().__init__(message)
        self.returncode = returncode


# ---------------------------------------------------------------------------------------------
# Selection


def select_targets(
    config: Config, *, only: Sequence[str] = (), source: Source | None = None
) -> tuple[list[Any], list[Skipped]]:
    """The accounts to crawl (as `AccountTarget`s, ledger order) and those skipped, with why."""
    from spiders.items import AccountTarget
    from spiders.registry import SPIDERS

    known = {account.id for _, account in config.iter_accounts()}
    unknown = [account_id for account_id in only if account_id not in known]
    if unknown:
        raise CrawlSelectionError(
            _("no account {ids} in the ledger; see `govmedia accounts` for the ids").format(
                ids=", ".join(repr(u) for u in unknown)
            )
        )
    wanted = set(only)
    targets: list[AccountTarget] = []
    skipped: list[Skipped] = []
    for _department, account in config.iter_accounts():
        if wanted and account.id not in wanted:
            continue
        account_source = account.effective_source
        if source is not None and account_source is not source:
            continue
        # Closed accounts are crawled too: a deregistered account answers not_found, and one
        # that posts again has been relaunched (违规复开), which only a crawl can see.
        reason = None
        if account_source is Source.MANUAL:
            reason = _("manual source: record what a person saw with `govmedia observe`")
        elif not config.sources.for_source(account_source).enabled:
            reason = _("source {source} is switched off (sources.{source}.enabled)").format(
                source=account_source.value
            )
        elif account_source not in SPIDERS:
            reason = _("no spider observes source {source} yet").format(source=account_source.value)
        if reason:
            skipped.append(Skipped(account.id, reason))
            continue
        targets.append(
            AccountTarget(
                account_id=account.id,
                source=account_source,
                name=account.name,
                identifier=account.identifier,
                selectors=account.selectors,
            )
        )
    return targets, skipped


def add_previous_coverage(engine: Any, targets: Sequence[Any]) -> None:
    """Tell each target what its latest ok crawl observation already stored, so paging can
    stop there (`seen_until`, `seen_since`). Only crawl observations of the same source count."""
    from sqlalchemy import func, select

    from registry.store import observations as obs

    if not targets:
        return
    latest = (
        select(obs.c.account_id, obs.c.source, func.max(obs.c.at).label("at"))
        .where(obs.c.outcome == Outcome.OK.value, obs.c.crawl_id.is_not(None))
        .group_by(obs.c.account_id, obs.c.source)
        .subquery()
    )
    query = select(obs.c.account_id, obs.c.source, obs.c.at, obs.c.complete_since).join(
        latest,
        (obs.c.account_id == latest.c.account_id)
        & (obs.c.source == latest.c.source)
        & (obs.c.at == latest.c.at),
    )
    with engine.connect() as conn:
        coverage = {
            (row.account_id, row.source): (row.at, row.complete_since)
            for row in conn.execute(query.where(obs.c.outcome == Outcome.OK.value))
        }
    for target in targets:
        found = coverage.get((target.account_id, target.source.value))
        if found is not None:
            target.seen_until, target.seen_since = found


# ---------------------------------------------------------------------------------------------
# Settings


def base_settings(config: Config, url: str, *, log_level: str = "WARNING") -> Any:
    """spiders/settings.py with the crawl section of config.yaml laid over it."""
    from scrapy.settings import Settings

    crawl = config.crawl
    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    settings.setdict(
        {
            "USER_AGENT": crawl.user_agent,
            "DOWNLOAD_TIMEOUT": crawl.timeout,
            "RETRY_TIMES": crawl.retries,
            "GOVMEDIA_RETRY_BACKOFF": crawl.backoff,
            "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
            "GOVMEDIA_STORE_URL": url,
            "GOVMEDIA_BATCH_SIZE": crawl.batch_size,
            "LOG_LEVEL": log_level,
            "RETRY_GIVE_UP_LOG_LEVEL": "INFO",  # giving up is an outcome, not an error
        },
        priority="cmdline",
    )
    return settings


def source_settings(config: Config, source: Source) -> dict[str, Any]:
    """One source's politeness: its delay and concurrency (per crawler, so per source)."""
    from spiders import settings as project
    from spiders.registry import spider_class

    settings = config.sources.for_source(source)
    out: dict[str, Any] = {
        "DOWNLOAD_DELAY": settings.delay,
        "CONCURRENT_REQUESTS": settings.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": settings.concurrency,
        "AUTOTHROTTLE_START_DELAY": settings.delay,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(settings.concurrency),
    }
    if spider_class(source).follow_redirects:
        out["REDIRECT_ENABLED"] = out["METAREFRESH_ENABLED"] = True
        out["SPIDER_MIDDLEWARES"] = {**project.SPIDER_MIDDLEWARES, _REFERER_MIDDLEWARE: 700}
    return out


_REFERER_MIDDLEWARE = "scrapy.spidermiddlewares.referer.RefererMiddleware"


# ---------------------------------------------------------------------------------------------
# Running


def new_crawl_id(now: dt.datetime) -> str:
    return f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def run_crawl(
    loaded: LoadedConfig,
    *,
    only: Sequence[str] = (),
    source: Source | None = None,
    now: dt.datetime | None = None,
    on_result: Callable[[CrawlResult], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    log_level: str = "WARNING",
    child_of: str | None = None,
    on_request: Callable[[], None] | None = None,
) -> CrawlRun:
    """Sync the ledger, crawl the selected accounts once, store what was found, prune old
    evidence. Runs Scrapy's reactor: call it at most once per process.

    With `crawl.process_per_source` (off by default) and more than one source to crawl, each
    source's spider runs in its own child process (`govmedia crawl --source S`), so a crawl uses
    several cores and one source's failure cannot stop the others. `child_of` is the crawl id
    of the parent, for such a child: it neither syncs nor prunes.

    `now` fixes the observations' clock (replays, tests); default: the system clock.
    `on_request` is called as each request leaves the downloader (answered or failed), for the
    progress bar; sources crawled in child processes do not report theirs.
    """
    from registry.store import open_store, prune_evidence, sync_ledger

    config = loaded.config
    targets, skipped = select_targets(config, only=only, source=source)
    started = now or dt.datetime.now(dt.UTC)
    url = store_url(loaded)
    engine = open_store(url)
    if child_of is None:
        sync_ledger(engine, config, now=started)
    run = CrawlRun(crawl_id=child_of or new_crawl_id(started), skipped=skipped)
    if on_start is not None:
        on_start(len(targets))
    if not targets:
        return run

    by_source: dict[Source, list[Any]] = {}
    for target in targets:
        by_source.setdefault(target.source, []).append(target)
    errors = _StoreErrors(url)
    if config.crawl.process_per_source and len(by_source) > 1 and child_of is None:
        found, run.interrupted = _crawl_in_children(
            loaded,
            by_source,
            run.crawl_id,
            only=only,
            now=now,
            on_result=on_result,
            log_level=log_level,
        )
    else:
        add_previous_coverage(engine, targets)
        found, run.interrupted = _crawl_here(
            loaded, by_source, run.crawl_id, url, now, on_result, log_level, errors, on_request
        )

    claimed = [t.account_id for t in targets if t.account_id in found]
    stored = stored_accounts(engine, run.crawl_id, claimed, since=started - dt.timedelta(hours=1))
    for target in targets:  # ledger order
        result = found.get(target.account_id)
        if result is not None and target.account_id not in stored:
            run.unstored.append(target.account_id)
            result = CrawlResult(
                target.account_id,
                target.source,
                Outcome.NETWORK_ERROR,
                None,
                0,
                f"not stored: {errors.first or 'the store did not take the observation'}",
            )
        if result is None:  # the crawl was interrupted before this account was observed
            result = CrawlResult(
                target.account_id,
                target.source,
                Outcome.NETWORK_ERROR,
                None,
                0,
                "not observed: the crawl stopped before this account was done",
            )
        run.results.append(result)
    run.store_error = errors.first
    if child_of is None and run.interrupted is None:
        finished = now or dt.datetime.now(dt.UTC)
        run.evidence_pruned = prune_evidence(
            engine, before=finished - dt.timedelta(days=config.crawl.evidence_days)
        )
    return run


class _StoreErrors:
    """The first refused write to the store during a crawl, as `cannot write PATH: reason`.

    Scrapy logs a pipeline's exception (a batch that could not be written) and goes on; this
    handler, on Scrapy's loggers while the crawl runs, keeps the first one that is a refused
    write, so the crawl can say why its observations were not stored."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.first: str | None = None

    def note(self, exc: BaseException) -> None:
        from govmedia.interrupt import write_failure

        if self.first is None:
            self.first = write_failure(exc, self.url) or f"{type(exc).__name__}: {exc}"

    @contextmanager
    def watching(self) -> Iterator[None]:
        """Within the block, a refused write that Scrapy logs is noted here and logged as one
        line (`cannot write PATH: reason`) instead of a traceback."""
        from govmedia.interrupt import write_failure

        catcher = self

        class Filter(logging.Filter):
            def filter(self, record: logging.LogRecord) -> bool:
                exc = record.exc_info[1] if record.exc_info else None
                line = write_failure(exc, catcher.url, for_log=True) if exc is not None else None
                if line is not None and exc is not None:
                    catcher.note(exc)
                    record.msg = f"{record.getMessage()}: {line}"
                    record.args = ()
                    record.exc_info = None
                    record.exc_text = None
                return True

        loggers = [logging.getLogger(name) for name in _SCRAPY_ERROR_LOGGERS]
        installed = Filter()
        for logger in loggers:
            logger.addFilter(installed)
        try:
            yield
        finally:
            for logger in loggers:
                logger.removeFilter(installed)


# Where Scrapy logs an item pipeline's exceptions (processing an item, closing the spider).
_SCRAPY_ERROR_LOGGERS = ("scrapy.core.engine", "scrapy.core.scraper")


def stored_accounts(
    engine: Any, crawl_id: str, account_ids: Sequence[str], *, since: dt.datetime
) -> set[str]:
    """Those of `account_ids` the store holds an observation of for this crawl, made at or after
    `since` (the crawl's start, less a margin for the clock): an index seek per account on
    (account_id, at), never a scan of every observation ever stored."""
    from sqlalchemy import select

    from registry.store import observations as obs

    found: set[str] = set()
    with engine.connect() as conn:
        for start in range(0, len(account_ids), 5000):
            chunk = list(account_ids[start : start + 5000])
            found.update(
                conn.execute(
                    select(obs.c.account_id).where(
                        obs.c.account_id.in_(chunk),
                        obs.c.at >= since,
                        obs.c.crawl_id == crawl_id,
                    )
                ).scalars()
            )
    return found


def stored_logins(loaded: LoadedConfig, url: str) -> str:
    """The stored logins' file (registry/credentials.py), as the spiders take it; its values are
    made secrets before anything is logged or stored (the spiders read the file again
    themselves, and log a file they cannot read). The crawl and the sweeps both use it."""
    from registry.credentials import CredentialsError
    from registry.credentials import load as load_credentials

    path = credentials_path(url, loaded.base_dir)
    with contextlib.suppress(CredentialsError):
        load_credentials(path)
    return str(path)


def _flush_stores(crawlers: Iterable[Any], errors: _StoreErrors) -> None:
    """Write what the crawlers' store pipelines hold, before a hard stop drops it."""
    from spiders.pipelines import StorePipeline

    for crawler in crawlers:
        manager = getattr(
            getattr(getattr(crawler, "engine", None), "scraper", None), "itemproc", None
        )
        for pipeline in getattr(manager, "middlewares", ()):
            if isinstance(pipeline, StorePipeline):
                try:
                    pipeline.flush()
                except Exception as exc:  # the store check after the crawl tells what is missing
                    errors.note(exc)


def scrapy_process(config: Config, url: str, *, log_level: str) -> Any:
    """A CrawlerProcess with our settings, Scrapy's own loggers at our level."""
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(base_settings(config, url, log_level=log_level))
    # Scrapy sets its loggers to DEBUG (its start-up banners are dropped by the level of our
    # handlers, govmedia/logging_setup.py, which also redact secrets); quieten them at the source.
    for name in ("scrapy", "twisted", "py.warnings"):
        logging.getLogger(name).setLevel(log_level)
    return process


def add_source_crawler(
    process: Any,
    spider: type,
    config: Config,
    source: Source,
    targets: list[Any],
    *,
    crawl_id: str,
    now: dt.datetime | None,
    logins: Any,
    on_item: Callable[[Any], None],
    settings: Mapping[str, Any] | None = None,
) -> Any:
    """Schedule one source's spider (crawl or search) on `process`, with the source's politeness
    settings (plus `settings`) and the crawl's logins; every scraped item goes to `on_item`."""
    from scrapy import signals

    custom = {**source_settings(config, source), **(settings or {})}
    crawler = process.create_crawler(type(spider.__name__, (spider,), {"custom_settings": custom}))
    crawler.signals.connect(on_item, signal=signals.item_scraped)
    process.crawl(
        crawler,
        targets=targets,
        crawl_id=crawl_id,
        crawl=config.crawl,
        base_url=config.sources.for_source(source).base_url,
        now=now,
        credentials_path=logins,
    )
    return crawler


def _crawl_here(
    loaded: LoadedConfig,
    by_source: dict[Source, list[Any]],
    crawl_id: str,
    url: str,
    now: dt.datetime | None,
    on_result: Callable[[CrawlResult], None] | None,
    log_level: str,
    errors: _StoreErrors,
    on_request: Callable[[], None] | None = None,
) -> tuple[dict[str, CrawlResult], int | None]:
    """One CrawlerProcess, one crawler per source, in this process. Returns what was found and
    the signal that stopped it, if one did.

    SIGTERM or SIGINT stops at once, not gracefully: Scrapy's graceful stop waits for every
    request in flight, which a hung server or a long download delay can make endless. What the
    store pipelines hold is written first; requests in flight are abandoned (their accounts stay
    not observed)."""
    from scrapy import signals

    from govmedia.interrupt import signals_handled_by
    from spiders.items import ObservationItem
    from spiders.registry import spider_class

    config = loaded.config
    found: dict[str, CrawlResult] = {}

    def collect(item: Any) -> None:
        if isinstance(item, ObservationItem):
            result = CrawlResult(
                account=item.account_id,
                source=item.source,
                outcome=item.outcome,
                latest_post_at=item.latest_post_at,
                posts_seen=item.posts_seen,
                detail=item.detail,
            )
            found[item.account_id] = result
            if on_result is not None:
                on_result(result)

    logins = stored_logins(loaded, url)
    process = scrapy_process(config, url, log_level=log_level)
    crawlers = []
    for source, source_targets in by_source.items():
        crawler = add_source_crawler(
            process,
            spider_class(source),
            config,
            source,
            source_targets,
            crawl_id=crawl_id,
            now=now,
            logins=logins,
            on_item=collect,
        )
        if on_request is not None:
            crawler.signals.connect(
                lambda **_: on_request(), signal=signals.request_left_downloader, weak=False
            )
        crawlers.append(crawler)

    from twisted.internet import reactor

    stopped_by: list[int] = []

    def hard_stop() -> None:
        log.warning("stop signal: crawl stopped", extra={"signal": stopped_by[0]})
        _flush_stores(crawlers, errors)
        reactor.crash()  # type: ignore[attr-defined]  # no shutdown triggers: they would wait

    def on_signal(signum: int, _frame: Any) -> None:
        if not stopped_by:
            stopped_by.append(signum)
            reactor.callFromThread(hard_stop)  # type: ignore[attr-defined]

    # After CrawlerProcess(): Scrapy's logging set-up resets its loggers.
    with long_lived_heap(), signals_handled_by(on_signal), errors.watching():
        process.start(install_signal_handlers=False)
    return found, (stopped_by[0] if stopped_by else None)


def _crawl_in_children(
    loaded: LoadedConfig,
    by_source: dict[Source, list[Any]],
    crawl_id: str,
    *,
    only: Sequence[str],
    now: dt.datetime | None,
    on_result: Callable[[CrawlResult], None] | None,
    log_level: str,
) -> tuple[dict[str, CrawlResult], int | None]:
    """One `govmedia crawl --source S` child per source, read line by line as accounts finish.

    SIGTERM or Ctrl-C here is passed on to the children, which stop within seconds; the
    children die with this process (`die_with_parent`) should it be killed outright.
    """
    from govmedia.interrupt import child_env, signals_handled_by

    found: dict[str, CrawlResult] = {}
    lock = threading.Lock()
    children: list[subprocess.Popen[bytes]] = []
    verbosity = {"INFO": ["-v"], "DEBUG": ["-vv"]}.get(log_level, [])
    for source, source_targets in by_source.items():
        command = [*_GOVMEDIA, "crawl", "-c", str(loaded.path), "--source", source.value]
        command += ["--child-of", crawl_id, *verbosity]
        ids = {t.account_id for t in source_targets}
        for account_id in only:
            if account_id in ids:
                command += ["--only", account_id]
        if now is not None:
            command += ["--now", now.isoformat()]
        children.append(
            subprocess.Popen(command, stdout=subprocess.PIPE, env={**os.environ, **child_env()})
        )

    def read(child: subprocess.Popen[bytes]) -> None:
        assert child.stdout is not None
        for line in child.stdout:
            if not line.strip():
                continue
            result = _result_from_json(json.loads(line))
            with lock:
                found[result.account] = result
                if on_result is not None:
                    on_result(result)

    readers = [threading.Thread(target=read, args=(c,), daemon=True) for c in children]
    for reader in readers:
        reader.start()

    stopped_by: list[int] = []

    def forward(signum: int, _frame: Any) -> None:
        stopped_by.append(signum)
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    with signals_handled_by(forward):
        for child, reader in zip(children, readers, strict=True):
            child.wait()
            reader.join()
    return found, (stopped_by[0] if stopped_by else None)


_GOVMEDIA = [sys.executable, "-c", "from govmedia.cli import main; main()"]


def crawl_in_subprocess(
    config_path: str | Path,
    *,
    only: Iterable[str] = (),
    source: Source | None = None,
    now: dt.datetime | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    relay_logs: bool = False,
    stderr: Any = None,
) -> list[CrawlResult]:
    """Run `govmedia crawl --json` as a child process and return its results.

    For long-running loops: Scrapy's reactor cannot restart inside one process. With
    `relay_logs`, the child logs JSON lines that are relayed into our own logging (redacted on
    the way, secrets given only to the child included); otherwise its stderr goes to `stderr`
    (default: ours).
    Raises CrawlFailed when the child exits non-zero (2: a bad config), prints no valid JSON, or
    outlives `timeout` seconds (it is killed).
    """
    from govmedia.interrupt import child_env as dies_with_us
    from govmedia.logging_setup import ENV_LOG_FILE, ENV_LOG_FORMAT, relay_line
    from registry.secrets import REDACTOR

    command = [*_GOVMEDIA, "crawl", "--json", "-c", str(config_path)]
    for account_id in only:
        command += ["--only", account_id]
    if source is not None:
        command += ["--source", source.value]
    if now is not None:
        command += ["--now", now.isoformat()]
    extra = dict(env or {})
    child_env = {**os.environ, **extra, **dies_with_us()}
    if relay_logs:
        REDACTOR.add_values(extra.values())  # secrets given only to the child are secrets here
        child_env.update({ENV_LOG_FILE: "-", ENV_LOG_FORMAT: "json"})
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if relay_logs else stderr,
        env=child_env,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    relayer = None
    if relay_logs:

        def relay() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                relay_line(line, default_logger="govmedia.crawl")

        relayer = threading.Thread(target=relay, name="crawl-log-relay", daemon=True)
        relayer.start()
    try:
        stdout, _stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise CrawlFailed(
            -9,
            _("the crawl took longer than {minutes} min; stopped").format(
                minutes=f"{(timeout or 0) / 60:.0f}"
            ),
        ) from None
    except BaseException:  # we were interrupted (SIGTERM): the child stops with us
        stop_child(process)
        raise
    finally:
        if relayer is not None:
            relayer.join(timeout=10)
    if process.returncode != 0:
        raise CrawlFailed(
            process.returncode,
            _("govmedia crawl exited {code}; see its log").format(code=process.returncode),
        )
    try:
        return parse_results(stdout)
    except (ValueError, KeyError, TypeError) as exc:
        raise CrawlFailed(
            0, _("govmedia crawl printed no valid JSON ({error})").format(error=exc)
        ) from None


def stop_child(process: subprocess.Popen[Any], *, grace: float = 10.0) -> None:
    """SIGTERM to a child (it writes what it holds and exits), SIGKILL after `grace` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def parse_results(stdout: bytes | str) -> list[CrawlResult]:
    """`crawl --json` output back into results."""
    return [_result_from_json(entry) for entry in json.loads(stdout)]


def _result_from_json(entry: dict[str, Any]) -> CrawlResult:
    latest = entry["latest_post_at"]
    return CrawlResult(
        account=entry["account"],
        source=Source(entry["source"]) if entry.get("source") else None,
        outcome=Outcome(entry["outcome"]),
        latest_post_at=dt.datetime.fromisoformat(latest) if latest else None,
        posts_seen=int(entry["posts_seen"]),
        detail=entry["detail"],
    )
