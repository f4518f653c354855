"""The sample ledger loads and syncs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from registry.config import load_config, store_url
from registry.store import account_events, open_store, sync_ledger
from tests.conftest import TODAY

NOW = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)


def test_sample_ledger_is_valid(sample_config):
    loaded = load_config(sample_config, today=TODAY)
    assert sum(1 for _ in loaded.config.iter_accounts()) >= 20
    assert len(loaded.config.departments) >= 12


def test_sync_twice_records_registrations_once(sample_config):
    loaded = load_config(sample_config, today=TODAY)
    engine = open_store(store_url(loaded))
    first = sync_ledger(engine, loaded.config, now=NOW)
    second = sync_ledger(engine, loaded.config, now=NOW)
    assert first.registered == sum(1 for _ in loaded.config.iter_accounts())
    assert second.registered == 0 and second.changed == 0
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(account_events)).scalar()
            == first.registered
        )
