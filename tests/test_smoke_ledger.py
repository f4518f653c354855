"""The sample ledger loads, syncs, and the ledger commands work on it end to end."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from govmedia.cli import main
from registry.config import load_config, store_url
from registry.store import account_events, open_store, sync_ledger
from tests.conftest import TODAY

NOW = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)


def test_sample_ledger_is_valid(sample_config):
    loaded = load_config(sample_config, today=TODAY)
    accounts = [a for _, a in loaded.config.iter_accounts()]
    assert len(accounts) >= 20
    assert len(loaded.config.departments) >= 12
    platforms = {a.platform.value for a in accounts}
    assert {"wechat", "weibo", "douyin", "toutiao", "bilibili", "website"} <= platforms
    assert {a.status.value for a in accounts} == {"active", "closing", "closed"}


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


def test_validate_command(sample_config: Path):
    result = CliRunner().invoke(main, ["validate", "-c", str(sample_config)])
    assert result.exit_code == 0
    assert result.stdout == f"{sample_config}: valid: 13 departments, 28 accounts, 2 warnings\n"
    assert result.stderr.count("warning: ") == 2


def test_validate_command_invalid(sample_config: Path):
    text = sample_config.read_text("utf-8")
    text = text.replace('owner: {name: 张伟, phone: "13903910011"}', "owner: {name: 张伟}", 1)
    sample_config.write_text(text.replace("platform: bilibili", "platform: bilbili", 1), "utf-8")
    result = CliRunner().invoke(main, ["validate", "-c", str(sample_config)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"{sample_config}:74: departments[gaj].accounts[gaj-weibo].owner: add a phone or an "
        "e-mail (责任到人)"
    )
    assert lines[-1] == f"{sample_config}: 2 problems; not valid"
    assert "Traceback" not in result.output


def test_validate_command_missing_file(tmp_path: Path):
    result = CliRunner().invoke(main, ["validate", "-c", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_accounts_command(sample_config: Path):
    runner = CliRunner()
    table = runner.invoke(main, ["accounts", "-c", str(sample_config), "--department", "gaj"])
    assert table.exit_code == 0
    assert "gaj-weibo" in table.stdout and "xzf-wechat" not in table.stdout
    closing = runner.invoke(
        main, ["accounts", "-c", str(sample_config), "--status", "closing", "--json"]
    )
    rows = json.loads(closing.stdout)
    assert [r["account"] for r in rows] == ["wjw-weibo"]
    assert rows[0]["closure"] == {
        "reason": "无力持续运维，内容并入“健康博爱”微信公众号",
        "approved_on": "2026-11-02",
        "notice_on": "2026-11-05",
    }
    assert rows[0]["source"] == "weibo" and rows[0]["identifier"] == "6410982231"
    unknown = runner.invoke(main, ["accounts", "-c", str(sample_config), "--department", "gja"])
    assert unknown.exit_code == 2
    assert "no department 'gja'; did you mean gaj (博爱县公安局)?" in unknown.output
