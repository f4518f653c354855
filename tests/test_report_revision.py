"""Issue 12: a weekly report re-rendered after a back-fill says what changed (修订); the notice
re-checks only notices that were issued, and a problem fixed later is 已整改."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from registry.constants import Outcome
from registry.store import migrate, open_store
from registry.store import reports as reports_table
from reports.notice import build_notice
from reports.periods import Period
from reports.publish import render_notice, render_weekly
from tests.fixtures.reports import NOW, WEEK, T

LATER = NOW + dt.timedelta(days=5)


def _backfill_jyj_web(report_store) -> None:
    """jyj-web was unknown at T (blocked since ten days); an ok observation recorded later, made
    an hour before T, shows its posts: it is judged now (ok)."""
    report_store.observe(
        "jyj-web", T - dt.timedelta(hours=1), Outcome.OK, latest_post_at=T - dt.timedelta(days=2)
    )


def test_a_rerendered_week_says_what_a_backfill_changed(report_store):
    store = report_store
    first = render_weekly(store.engine, store.config, store.out_dir, WEEK, now=NOW)
    first_html = first.files["html"].read_text(encoding="utf-8")
    assert "修订" not in first_html
    again = render_weekly(store.engine, store.config, store.out_dir, WEEK, now=NOW)
    assert "修订" not in again.files["html"].read_text(encoding="utf-8")  # nothing changed

    _backfill_jyj_web(store)
    revised = render_weekly(store.engine, store.config, store.out_dir, WEEK, now=LATER)
    html = revised.files["html"].read_text(encoding="utf-8")
    md = revised.files["md"].read_text(encoding="utf-8")
    assert "修订" in html and "修订" in md
    assert "合格率 50.0% → " in html  # what the first rendering published, then now
    assert "无法核验 1个 → 0个" in html
    assert "首次发布" in md and NOW.strftime("%Y-%m-%d %H:%M") in md

    # A later re-rendering still compares with what was first published.
    third = render_weekly(store.engine, store.config, store.out_dir, WEEK, now=LATER)
    assert "无法核验 1个 → 0个" in third.files["html"].read_text(encoding="utf-8")
    with store.engine.connect() as conn:
        row = conn.execute(select(reports_table)).one()
    assert row.first_figures["unknown"] == 1 and row.figures["unknown"] == 0
    assert row.first_rendered_at == NOW.astimezone(dt.UTC)


def test_the_upgrade_adds_the_report_figures_to_an_existing_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = open_store(url)
    with engine.begin() as conn:  # what version 1 left: no figures, no step 2
        for column in ("figures", "first_rendered_at", "first_figures"):
            conn.exec_driver_sql(f"ALTER TABLE reports DROP COLUMN {column}")
        conn.exec_driver_sql("DROP INDEX ix_observations_crawled_ok")
        conn.exec_driver_sql("DROP INDEX ix_posts_pinned")
        conn.exec_driver_sql("DROP TABLE case_events")  # nor the later steps
        conn.exec_driver_sql("DROP TABLE cases")
        conn.exec_driver_sql("DELETE FROM schema_migrations WHERE version >= 2")
        conn.exec_driver_sql(
            "INSERT INTO reports (kind, period, path, rendered_at) "
            "VALUES ('weekly', '2026-W47', '/x', '2026-11-23 01:00:00.000000')"
        )
    assert migrate(engine)[0] == 2  # the later steps (their tables exist) follow
    with engine.connect() as conn:
        row = conn.execute(select(reports_table)).one()
        indexes = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
    assert row.period == "2026-W47" and row.figures is None
    assert {"ix_observations_crawled_ok", "ix_posts_pinned"} <= indexes


# --- the notice's re-check ---------------------------------------------------------------------

NOVEMBER = Period.month("2026-11")
DECEMBER = Period.month("2026-12")


def test_no_recheck_of_a_notice_never_issued(report_store):
    store = report_store
    ctx = build_notice(store.engine, store.config, NOVEMBER, now=LATER)
    assert ctx.recheck == [] and ctx.previous_issued is False
    result = render_notice(store.engine, store.config, store.out_dir, NOVEMBER, now=LATER)
    html = result.files["html"].read_text(encoding="utf-8")
    assert "此前未发布通报，本期不作整改复查。" in html
    assert "2026年10月通报" not in html


def test_the_recheck_reads_the_issued_notice_and_a_later_ok_is_rectified(report_store):
    store = report_store
    render_notice(
        store.engine, store.config, store.out_dir, NOVEMBER, now=LATER, issued_on=LATER.date()
    )
    # gaj-weibo, named in November (veto), posts again in December and is ok at the period's
    # last T; it was still veto in December's first week: 已整改 all the same.
    first_t = dt.datetime(2026, 12, 6, 23, 59, 59, tzinfo=T.tzinfo)  # W49, December's first
    last_post = T - dt.timedelta(days=20, hours=3)  # the fixture's
    store.observe("gaj-weibo", first_t, Outcome.OK, latest_post_at=last_post)  # still silent
    december_end = dt.datetime(2026, 12, 27, 23, 59, 59, tzinfo=T.tzinfo)
    store.add_posts("gaj-weibo", [december_end - dt.timedelta(days=d) for d in range(0, 12)])
    store.observe(
        "gaj-weibo",
        december_end - dt.timedelta(hours=1),
        Outcome.OK,
        latest_post_at=december_end - dt.timedelta(hours=2),
    )
    ctx = build_notice(store.engine, store.config, DECEMBER, now=december_end)
    assert ctx.previous_issued is True and ctx.previous_period == "2026-11"
    assert "gaj-weibo" in {p.account_id for p in ctx.veto}  # veto at December's first T
    rows = {r.account_id: r for r in ctx.recheck}
    assert "gaj-weibo" in rows
    assert rows["gaj-weibo"].current_status == "合格"
    assert rows["gaj-weibo"].result == "已整改" and rows["gaj-weibo"].rectified is True


def test_an_account_registered_after_t_stays_out_of_that_weeks_figures(report_store):
    """A week's figures are those of its own T: an old account first entered in the ledger
    after T (and seen silent) does not change the week when it is rendered again."""
    from registry.models import Config
    from registry.store import sync_ledger
    from tests.fixtures.reports import _account, ledger

    store = report_store
    first = render_weekly(store.engine, store.config, store.out_dir, WEEK, now=NOW)
    data = ledger(second=True)
    jyj = next(d for d in data["departments"] if d["id"] == "jyj")
    jyj["accounts"].append(_account("jyj-weibo", "博爱教育微博", "weibo"))
    config = Config.model_validate(data)
    sync_ledger(store.engine, config, now=LATER.astimezone(dt.UTC))
    store.observe("jyj-weibo", T - dt.timedelta(hours=2), Outcome.OK)  # no post: silent
    again = render_weekly(store.engine, config, store.out_dir, WEEK, now=LATER)
    assert again.summary["monitored"] == first.summary["monitored"]
    assert again.summary["pass_rate"] == first.summary["pass_rate"]
    assert "修订" not in again.files["html"].read_text(encoding="utf-8")
    assert "jyj-weibo" not in again.files["csv"].read_text(encoding="utf-8-sig")
    # The next week's report counts it, and its trend shows W48 as W48's report said.
    next_week = render_weekly(
        store.engine, config, store.out_dir, WEEK.next(), now=LATER + dt.timedelta(days=7)
    )
    assert "jyj-weibo" in next_week.files["csv"].read_text(encoding="utf-8-sig")
