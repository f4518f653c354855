"""The store on SQLite and PostgreSQL: ledger sync and its history, versioned migrations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Column, Integer, Table, Text, func, insert, inspect, select, text

from govmedia.cli import main
from registry import store as store_module
from registry.config import validate_text
from registry.models import Config
from registry.store import (
    StoreError,
    account_events,
    accounts,
    metadata,
    migrate,
    observations,
    open_store,
    schema_migrations,
    schema_version,
    sync_ledger,
)
from tests.conftest import SAMPLE_CONFIG, TODAY

T0 = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)


def ledger(edit=lambda text: text) -> Config:
    text = edit(SAMPLE_CONFIG.read_text("utf-8"))
    return validate_text(text.encode(), source_name="config.yaml", today=TODAY).config


def events_of(engine, account_id: str) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                account_events.c.kind,
                account_events.c.old_status,
                account_events.c.new_status,
                account_events.c.reason,
                account_events.c.detail,
            )
            .where(account_events.c.account_id == account_id)
            .order_by(account_events.c.id)
        )
        return [tuple(row) for row in rows]


def test_open_store_creates_the_current_schema(store_url: str):
    engine = open_store(store_url)
    with engine.connect() as conn:
        assert schema_version(conn) == max(v for v, _, _ in store_module.MIGRATIONS)
        tables = set(inspect(conn).get_table_names())
    assert {t.name for t in store_module._V1_TABLES} <= tables
    assert migrate(engine) == []  # nothing pending the second time


def test_sync_records_the_ledger_history(store_url: str):
    engine = open_store(store_url)
    first = sync_ledger(engine, ledger(), now=T0)
    n = sum(1 for _ in ledger().iter_accounts())
    assert (first.registered, first.changed, first.unchanged) == (n, 0, 0)
    assert events_of(engine, "wjw-weibo") == [
        ("registered", None, "closing", "无力持续运维，内容并入“健康博爱”微信公众号", None)
    ]

    # an edit: the owner's phone
    phone = ledger(lambda t: t.replace('phone: "13903910011"}', 'phone: "13800000000"}', 1))
    summary = sync_ledger(engine, phone, now=T0 + dt.timedelta(hours=1))
    assert (summary.changed, summary.unchanged) == (1, n - 1)
    assert events_of(engine, "gaj-weibo")[-1] == (
        "changed",
        "active",
        "active",
        None,
        {"fields": ["owner", "owner_phone"]},
    )

    # a closure completed: closing → closed, with why
    closed = ledger(
        lambda t: t.replace("        status: closing\n", "        status: closed\n").replace(
            "          notice_on: 2026-11-05\n",
            "          notice_on: 2026-11-05\n          deregistered_on: 2026-11-20\n"
            "          filed_on: 2026-11-25\n          certificate: 博政媒关〔2026〕5号\n",
        )
    )
    summary = sync_ledger(engine, closed, now=T0 + dt.timedelta(hours=2))
    assert summary.status_changed == 1
    kind, old, new, reason, detail = events_of(engine, "wjw-weibo")[-1]
    assert (kind, old, new) == ("status_changed", "closing", "closed")
    assert reason == "无力持续运维，内容并入“健康博爱”微信公众号"
    assert detail["fields"] == ["closure", "status"]
    assert detail["closure"]["filed_on"] == "2026-11-25"

    # removed from the ledger, then back
    without = ledger(lambda t: t.replace(t[t.index("  - id: xlz") : t.index("  - id: rmt")], ""))
    summary = sync_ledger(engine, without, now=T0 + dt.timedelta(hours=3))
    assert summary.removed == 1
    with engine.connect() as conn:
        assert (
            conn.execute(select(accounts.c.in_ledger).where(accounts.c.id == "xlz-wechat")).scalar()
            is False
        )
    summary = sync_ledger(engine, ledger(), now=T0 + dt.timedelta(hours=4))
    assert summary.registered == 1
    assert [e[:3] for e in events_of(engine, "xlz-wechat")] == [
        ("registered", None, "active"),
        ("removed", "active", None),
        ("registered", None, "active"),
    ]
    assert events_of(engine, "xlz-wechat")[-1][4] == {"returned": True, "fields": []}

    # the same ledger again records nothing
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(account_events)).scalar()
    again = sync_ledger(engine, ledger(), now=T0 + dt.timedelta(hours=5))
    assert again.unchanged == n and again.registered == again.changed == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(account_events)).scalar() == before
        first_synced = conn.execute(
            select(accounts.c.first_synced_at).where(accounts.c.id == "gaj-weibo")
        ).scalar()
    assert first_synced == T0  # aware, UTC, and kept across updates


def test_a_migration_step_keeps_the_data(store_url: str, monkeypatch: pytest.MonkeyPatch):
    """A v1 store upgraded by a later step keeps every row, and the step is recorded once."""
    engine = open_store(store_url)
    sync_ledger(engine, ledger(), now=T0)
    with engine.begin() as conn:
        conn.execute(
            insert(observations).values(
                account_id="gaj-weibo", source="weibo", at=T0, outcome="ok", posts_seen=3
            )
        )
        count_before = conn.execute(select(func.count()).select_from(accounts)).scalar()

    def add_column(conn) -> None:
        conn.execute(text("ALTER TABLE accounts ADD COLUMN nickname TEXT"))
        conn.execute(text("UPDATE accounts SET nickname = name"))

    version = max(v for v, _, _ in store_module.MIGRATIONS) + 1
    monkeypatch.setattr(
        store_module, "MIGRATIONS", [*store_module.MIGRATIONS, (version, "nickname", add_column)]
    )
    assert migrate(engine, now=T0) == [version]
    assert migrate(engine, now=T0) == []
    with engine.connect() as conn:
        assert schema_version(conn) == version
        assert conn.execute(select(func.count()).select_from(accounts)).scalar() == count_before
        assert (
            conn.execute(text("SELECT nickname FROM accounts WHERE id = 'gaj-weibo'")).scalar()
            == "博爱公安"
        )
        assert conn.execute(select(observations.c.posts_seen)).scalar() == 3
        names = (
            conn.execute(select(schema_migrations.c.name).order_by(schema_migrations.c.version))
            .scalars()
            .all()
        )
    assert names[-1] == "nickname"


def test_a_failing_step_changes_nothing(store_url: str, monkeypatch: pytest.MonkeyPatch):
    """A step that fails half-way rolls back whole (DDL too, on SQLite as on PostgreSQL)."""
    engine = open_store(store_url)
    sync_ledger(engine, ledger(), now=T0)
    with engine.connect() as conn:
        before = schema_version(conn)
    scratch = Table(
        "scratch", metadata.__class__(), Column("id", Integer, primary_key=True), Column("t", Text)
    )

    def half_done(conn) -> None:
        scratch.create(conn)
        conn.execute(text("UPDATE accounts SET name = 'changed'"))
        raise RuntimeError("step failed")

    monkeypatch.setattr(
        store_module, "MIGRATIONS", [*store_module.MIGRATIONS, (before + 1, "broken", half_done)]
    )
    with pytest.raises(RuntimeError, match="step failed"):
        migrate(engine, now=T0)
    with engine.connect() as conn:
        assert schema_version(conn) == before
        assert not inspect(conn).has_table("scratch")
        assert (
            conn.execute(select(accounts.c.name).where(accounts.c.id == "gaj-weibo")).scalar()
            == "博爱公安"
        )


def test_a_store_from_a_newer_govmedia_is_refused(store_url: str):
    engine = open_store(store_url)
    with engine.begin() as conn:
        conn.execute(insert(schema_migrations).values(version=99, name="future", applied_at=T0))
    with pytest.raises(StoreError, match="schema version 99, newer than this govmedia knows"):
        migrate(engine)


def test_instants_are_stored_in_utc(store_url: str):
    engine = open_store(store_url)
    local = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with engine.begin() as conn:
        conn.execute(
            insert(observations).values(account_id="a", source="weibo", at=local, outcome="ok")
        )
        stored = conn.execute(select(observations.c.at)).scalar()
    assert stored == local and stored.tzinfo == dt.UTC and stored.hour == 1
    with pytest.raises(Exception, match="naive datetime"), engine.begin() as conn:
        conn.execute(
            insert(observations).values(
                account_id="a", source="weibo", at=dt.datetime(2026, 1, 1), outcome="ok"
            )
        )


def test_sqlite_instants_keep_sqlalchemys_text_form(tmp_path: Path):
    """Stores written before the faster SQLite writer stay readable and comparable: the text
    is SQLAlchemy's own DATETIME form, microseconds always written."""
    engine = open_store(f"sqlite:///{tmp_path / 's.sqlite3'}")
    instants = [
        dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        dt.datetime(2026, 11, 28, 1, 2, 3, 45, tzinfo=dt.UTC),
    ]
    with engine.begin() as conn:
        for at in instants:
            conn.execute(
                insert(observations).values(account_id="a", source="weibo", at=at, outcome="ok")
            )
        raw = conn.execute(text("SELECT at FROM observations ORDER BY id")).scalars().all()
        later = conn.execute(select(func.count()).where(observations.c.at > instants[0])).scalar()
    assert raw == ["2026-11-28 01:00:00.000000", "2026-11-28 01:02:03.000045"]
    assert later == 1


def test_sync_command(store_url: str, sample_config: Path):
    text = sample_config.read_text("utf-8").replace(
        "store: data/govmedia.sqlite3", f'store: "{store_url}"'
    )
    sample_config.write_text(text, "utf-8")
    runner = CliRunner()
    first = runner.invoke(main, ["sync", "-c", str(sample_config)])
    assert first.exit_code == 0, first.output
    assert (
        "synced: 28 registered, 0 changed, 0 status changed, 0 removed, 0 unchanged" in first.output
    )
    second = runner.invoke(main, ["sync", "-c", str(sample_config)])
    assert (
        "synced: 0 registered, 0 changed, 0 status changed, 0 removed, 28 unchanged"
        in second.output
    )


def test_sync_command_store_unreachable(sample_config: Path):
    text = sample_config.read_text("utf-8").replace(
        "store: data/govmedia.sqlite3",
        'store: "postgresql+psycopg://govmedia@127.0.0.1:1/govmedia?connect_timeout=2"',
    )
    sample_config.write_text(text, "utf-8")
    result = CliRunner().invoke(main, ["sync", "-c", str(sample_config)])
    assert result.exit_code == 1
    assert "error: the store postgresql+psycopg://govmedia@127.0.0.1:1/govmedia" in result.output
    assert "Traceback" not in result.output
