"""The crawl's pure pieces: circuit breaker, pipelines, batched store writes, selection, JSON."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib

import pytest
from sqlalchemy import select

from govmedia.crawling import CrawlResult, CrawlSelectionError, select_targets, source_settings
from registry.config import validate_data
from registry.constants import Outcome, Source
from registry.store import observations, open_store, posts, prune_evidence, record_observations
from spiders.base import CircuitBreaker
from spiders.items import ObservationItem, PostItem
from spiders.pipelines import (
    EvidencePipeline,
    HonestOutcomePipeline,
    RedactPipeline,
    observation_row,
    post_rows,
)
from tests.fixtures.simulator import SIM_NOW, sample_data

UTC_NOW = SIM_NOW.astimezone(dt.UTC)


def post(key: str, hours_ago: float, pinned: bool = False) -> PostItem:
    return PostItem(key, UTC_NOW - dt.timedelta(hours=hours_ago), f"t{key}", None, pinned)


def item(outcome: Outcome = Outcome.OK, **fields) -> ObservationItem:  # type: ignore[no-untyped-def]
    return ObservationItem("gaj-weibo", Source.WEIBO, "c1", UTC_NOW, outcome, **fields)


# --- circuit breaker --------------------------------------------------------------------------


def test_breaker_trips_after_consecutive_blocks() -> None:
    breaker = CircuitBreaker(Source.WEIBO, 3)
    for _ in range(3):
        breaker.record(Outcome.BLOCKED)
    assert breaker.tripped is Outcome.BLOCKED


def test_breaker_resets_on_an_ok_answer() -> None:
    breaker = CircuitBreaker(Source.WEIBO, 3)
    for outcome in (Outcome.BLOCKED, Outcome.BLOCKED, Outcome.OK, Outcome.BLOCKED):
        breaker.record(outcome)
    assert breaker.tripped is None


def test_breaker_ignores_network_errors() -> None:
    breaker = CircuitBreaker(Source.WEIBO, 2)
    for outcome in (Outcome.BLOCKED, Outcome.NETWORK_ERROR, Outcome.BLOCKED):
        breaker.record(outcome)
    assert breaker.tripped is Outcome.BLOCKED


def test_breaker_trips_on_expired_logins_too() -> None:
    breaker = CircuitBreaker(Source.WECHAT, 2)
    breaker.record(Outcome.AUTH_EXPIRED)
    breaker.record(Outcome.AUTH_EXPIRED)
    assert breaker.tripped is Outcome.AUTH_EXPIRED


# --- redirects to a login page -----------------------------------------------------------------

# The Location m.weibo.cn answers without a visitor cookie (nothing is fetched here).
VISITOR_LOCATION = (
    "https://visitor.passport.weibo.cn/visitor/visitor?entry=sinawap&a=enter&url=https%3A%2F%2F"
    "m.weibo.cn%2Fu%2F6279793937&domain=.weibo.cn&ua=php-sso_sdk_client-0.6.36&_rand=1600000000.1"
)


def weibo_redirect(location: str) -> tuple[Outcome, str] | None:
    from scrapy.http import Response

    from registry.models import CrawlSettings
    from spiders.sources.weibo import WeiboSpider

    spider = WeiboSpider(targets=[], crawl_id="c1", crawl=CrawlSettings())
    response = Response(
        "http://127.0.0.1:1/api/container/getIndex?type=uid&value=1",
        status=302,
        headers={"Location": location},
    )
    return spider.http_outcome(response)


@pytest.mark.parametrize(
    "location",
    [
        VISITOR_LOCATION,
        "https://passport.weibo.cn/signin/welcome?entry=mweibo",
        "https://login.passport.weibo.com/sso",
        "//PASSPORT.WEIBO.COM./signin",
    ],
)
def test_redirect_to_a_login_host_or_its_subdomain_is_auth_expired(location: str) -> None:
    assert weibo_redirect(location)[0] is Outcome.AUTH_EXPIRED  # type: ignore[index]


@pytest.mark.parametrize(
    "location",
    [
        "https://evilpassport.weibo.cn/visitor",
        "https://passport.weibo.cn.example.org/visitor",
        "//weibo.cn/",  # the bare domain, scheme-relative: no login host
        "/api/container/getIndex?page=2",
    ],
)
def test_redirect_elsewhere_is_malformed(location: str) -> None:
    assert weibo_redirect(location)[0] is Outcome.MALFORMED  # type: ignore[index]


# --- pipelines --------------------------------------------------------------------------------


def test_failure_never_carries_posts() -> None:
    honest = HonestOutcomePipeline().process_item(
        item(Outcome.BLOCKED, posts=[post("a", 1)], latest_post_at=UTC_NOW)
    )
    assert (honest.posts, honest.latest_post_at) == ([], None)


def test_pinned_post_never_sets_the_latest() -> None:
    honest = HonestOutcomePipeline().process_item(
        item(posts=[post("pin", 0.5, pinned=True), post("a", 30)])
    )
    assert honest.latest_post_at == UTC_NOW - dt.timedelta(hours=30)


def test_post_within_the_clock_skew_tolerance_is_kept() -> None:
    honest = HonestOutcomePipeline(future_tolerance=600).process_item(
        item(posts=[post("soon", -0.1), post("a", 3)])
    )
    assert (honest.posts_seen, honest.latest_post_at) == (2, UTC_NOW + dt.timedelta(hours=0.1))


def test_post_later_than_the_observation_is_dropped_with_a_note(caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level("WARNING", logger="spiders.pipelines"):
        honest = HonestOutcomePipeline(future_tolerance=600).process_item(
            item(posts=[post("next-year", -24 * 365), post("a", 3)], detail="2 posts on 1 page")
        )
    assert [r.getMessage() for r in caplog.records] == [
        "gaj-weibo: 1 post dated after the observation (2026-11-28 09:00), newest "
        "2027-11-28 09:00: not credible, dropped"
    ]
    assert (honest.outcome, [p.key for p in honest.posts]) == (Outcome.OK, ["a"])
    assert honest.latest_post_at == UTC_NOW - dt.timedelta(hours=3)
    assert honest.detail == (
        "2 posts on 1 page; 1 post dated after the observation (2026-11-28 09:00), newest "
        "2027-11-28 09:00: not credible, dropped; latest 2026-11-28 06:00"
    )


@pytest.mark.parametrize(
    "kept", [[], [post("pin", 48, pinned=True)]], ids=["nothing-else", "only-a-pinned-post"]
)
def test_nothing_credibly_dated_left_is_malformed_not_an_inactive_account(kept) -> None:  # type: ignore[no-untyped-def]
    honest = HonestOutcomePipeline(future_tolerance=600).process_item(
        item(posts=[post("next-year", -24 * 365), *kept], complete_since=UTC_NOW)
    )
    assert (honest.outcome, honest.posts, honest.latest_post_at, honest.complete_since) == (
        Outcome.MALFORMED,
        [],
        None,
        None,
    )
    assert honest.detail.endswith("and no credibly dated post: the page's dates cannot be trusted")


def test_echoed_secret_values_are_scrubbed_from_the_body(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOVMEDIA_WECHAT_TOKEN", "24681357")
    monkeypatch.setenv("GOVMEDIA_WEIBO_COOKIE", "SUB=_2A25L/abc+def; SUBP=0033WrSXqPx")
    raw = (
        b'{"url":"/cgi-bin/appmsg?token=24681357","c":"SUB=_2A25L\\/abc+def; SUBP=0033WrSXqPx",'
        b'"q":"_2A25L%2Fabc%2Bdef","title":"\xe6\x94\xbf\xe5\x8a\xa1"}'
    )
    done = RedactPipeline().process_item(item(raw=raw))
    assert done.raw == (
        b'{"url":"/cgi-bin/appmsg?token=***","c":"***","q":"***",'
        b'"title":"\xe6\x94\xbf\xe5\x8a\xa1"}'
    )


def test_every_form_of_a_secret_is_scrubbed_alone(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOVMEDIA_WEIBO_COOKIE", "SUB=_2A25L/abc+def; SUBP=0033WrSXqPx")
    pipeline = RedactPipeline()
    ours = (b"_2A25L", b"0033WrSXqPx")  # the process may hold secrets of earlier tests too
    forms = [f for f in pipeline.secret_bytes if any(part in f for part in ours)]
    innermost = [f for f in pipeline.innermost if any(part in f for part in ours)]
    assert len(forms) > len(innermost) >= 2  # the shortcut is exercised
    leaks = [f for f in forms if f in pipeline.scrub(b"<p>" + f + b"</p>")]
    assert leaks == []


def test_a_secret_learnt_during_the_crawl_is_scrubbed_too() -> None:
    """Weibo visitor cookies arrive mid-crawl: the pipeline's frozen secrets catch up."""
    from registry.secrets import REDACTOR

    pipeline = RedactPipeline()
    REDACTOR.add_values(["SUB=_2AkMvisitor-learnt-mid-crawl; SUBP=0033learnt"])
    done = pipeline.process_item(item(raw=b'{"echo":"_2AkMvisitor-learnt-mid-crawl"}'))
    assert done.raw == b'{"echo":"***"}'


def test_evidence_is_gzip_with_the_raw_sha256() -> None:
    done = EvidencePipeline().process_item(item(raw=b'{"ok":1}'))
    assert (gzip.decompress(done.evidence), done.evidence_sha256) == (
        b'{"ok":1}',
        hashlib.sha256(b'{"ok":1}').hexdigest(),
    )


def test_evidence_drops_the_raw_body() -> None:
    assert EvidencePipeline().process_item(item(raw=b"x")).raw is None


def test_token_is_redacted_from_the_url() -> None:
    done = RedactPipeline().process_item(item(url="http://x/cgi-bin/appmsg?fakeid=F&token=98765"))
    assert "98765" not in done.url


# --- batched store writes ------------------------------------------------------------------------


@pytest.fixture
def engine(tmp_path):  # type: ignore[no-untyped-def]
    return open_store(f"sqlite:///{tmp_path / 's.sqlite3'}")


def test_record_observations_links_posts(engine) -> None:  # type: ignore[no-untyped-def]
    ok = item(posts=[post("a", 1), post("b", 2)])
    [obs_id] = record_observations(engine, [observation_row(ok)], [post_rows(ok)])
    with engine.connect() as conn:
        linked = set(conn.execute(select(posts.c.observation_id)).scalars())
    assert linked == {obs_id}


def test_record_observations_keeps_a_post_once(engine) -> None:  # type: ignore[no-untyped-def]
    ok = item(posts=[post("a", 1)])
    for _ in range(2):
        record_observations(engine, [observation_row(ok)], [post_rows(ok)])
    with engine.connect() as conn:
        assert len(conn.execute(select(posts)).all()) == 1


def test_record_observations_returns_ids_in_order(engine) -> None:  # type: ignore[no-untyped-def]
    rows = [observation_row(item()) for _ in range(3)]
    ids = record_observations(engine, rows, [[], [], []])
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_record_observations_on_sqlite_stores_what_sqlalchemy_stores(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The driver path SQLite takes writes the very rows (and instant texts) SQLAlchemy's
    statements write, defaults included; rows of another shape take SQLAlchemy's path."""
    ok = EvidencePipeline().process_item(item(posts=[post("a", 1), post("b", 30, pinned=True)]))
    row, post_batch = observation_row(ok), post_rows(ok)
    fast = record_observations(engine, [row], [[dict(p) for p in post_batch]])
    other = open_store(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    with other.begin() as conn:  # the same rows through SQLAlchemy's own statements
        [slow] = conn.execute(observations.insert().returning(observations.c.id), [row]).scalars()
        conn.execute(posts.insert(), [{**p, "observation_id": slow} for p in post_batch])
    for table in ("observations", "posts"):
        sql = f"SELECT * FROM {table} ORDER BY id"
        with engine.connect() as a, other.connect() as b:
            assert a.exec_driver_sql(sql).all() == b.exec_driver_sql(sql).all(), table
    assert fast == [slow]

    # A manual-style row without posts_seen, and a post without pinned: their defaults.
    lean = {k: v for k, v in row.items() if k != "posts_seen"}
    lean_post = {k: v for k, v in post_rows(item(posts=[post("c", 2)]))[0].items() if k != "pinned"}
    [obs_id] = record_observations(engine, [lean], [[lean_post]])
    with engine.connect() as conn:
        seen = conn.execute(
            select(observations.c.posts_seen).where(observations.c.id == obs_id)
        ).scalar_one()
        pinned = conn.execute(select(posts.c.pinned).where(posts.c.post_key == "c")).scalar_one()
    assert (seen, pinned) == (0, False)


def test_prune_evidence_keeps_the_hash(engine) -> None:  # type: ignore[no-untyped-def]
    old = EvidencePipeline().process_item(item(raw=b"old"))
    record_observations(engine, [observation_row(old)], [[]])
    prune_evidence(engine, before=UTC_NOW + dt.timedelta(seconds=1))
    with engine.connect() as conn:
        row = conn.execute(select(observations)).one()
    assert (row.evidence, row.evidence_sha256) == (None, hashlib.sha256(b"old").hexdigest())


# --- selection and output -------------------------------------------------------------------


@pytest.fixture(scope="module")
def config():  # type: ignore[no-untyped-def]
    return validate_data(sample_data(), source_name="config.yaml", today=SIM_NOW.date()).config


def test_closed_accounts_are_crawled(config) -> None:  # type: ignore[no-untyped-def]
    targets, skipped = select_targets(config)
    assert "scjgj-weibo" in {t.account_id for t in targets}
    assert "scjgj-weibo" not in {s.account for s in skipped}


def test_manual_accounts_are_skipped(config) -> None:  # type: ignore[no-untyped-def]
    targets, _skipped = select_targets(config)
    assert "xzf-toutiao" not in {t.account_id for t in targets}


def test_source_filter(config) -> None:  # type: ignore[no-untyped-def]
    targets, _skipped = select_targets(config, source=Source.WEIBO)
    assert {t.source for t in targets} == {Source.WEIBO}


def test_unknown_only_id_names_itself(config) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CrawlSelectionError, match="no account 'nope' in the ledger"):
        select_targets(config, only=["nope"])


def test_source_politeness_comes_from_config(config) -> None:  # type: ignore[no-untyped-def]
    assert source_settings(config, Source.WECHAT)["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1


def test_json_shape_is_designs() -> None:
    result = CrawlResult("a", Source.WEIBO, Outcome.OK, UTC_NOW, 3, "d")
    assert result.to_json() == {
        "account": "a",
        "outcome": "ok",
        "latest_post_at": "2026-11-28T09:00:00+08:00",
        "posts_seen": 3,
        "detail": "d",
    }


# --- the crawl's heap ---------------------------------------------------------------------------


def test_long_lived_heap_hides_what_exists_and_collects_what_is_new() -> None:
    import gc
    import weakref

    from registry.bulk import long_lived_heap

    class Node:
        pass

    assert gc.get_freeze_count() == 0
    with long_lived_heap():
        assert gc.get_freeze_count() > 0  # the objects alive at the start are out of sight
        cycle = Node()
        cycle.me = cycle  # type: ignore[attr-defined]
        gone = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert gone() is None  # a cycle made inside is still collected
    assert gc.get_freeze_count() == 0


def test_long_lived_heap_collects_the_young_less_often_then_as_before() -> None:
    """A crawl's millions of short-lived objects cost a sixth of its CPU in collections at
    Python's thresholds; inside the block the collector runs several times less often."""
    import gc

    from registry.bulk import long_lived_heap

    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    def churn() -> int:
        collections.clear()
        kept = [[] for _ in range(70_000)]  # tracked containers, alive until counted
        del kept
        return len(collections)

    before = gc.get_threshold()
    gc.callbacks.append(count)
    try:
        outside = churn()
        with long_lived_heap():
            inside = churn()
        after = churn()
    finally:
        gc.callbacks.remove(count)
    assert outside >= 70_000 // before[0] - 1
    assert inside * 4 <= outside
    assert gc.get_threshold() == before
    assert after >= outside - 1


def test_retry_waits_double_but_never_past_the_cap() -> None:
    from scrapy.settings import Settings

    from spiders import settings as project
    from spiders.middlewares import BackoffRetryMiddleware

    settings = Settings()
    settings.setmodule(project)
    settings.set("GOVMEDIA_RETRY_BACKOFF", 60.0)
    middleware = BackoffRetryMiddleware(settings)
    assert [middleware.delay(n) for n in (1, 2, 3, 4, 10)] == [60.0, 120.0, 240.0, 300.0, 300.0]
