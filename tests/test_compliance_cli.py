"""`govmedia check` on the sample ledger: the JSON contract, the table, syncing, idempotence."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from govmedia.cli import main
from registry.config import load_config, store_url
from registry.constants import LOCAL_TZ, VerdictStatus
from registry.store import open_store, status_changes, sync_ledger, verdicts
from tests.fixtures.compliance import ComplianceStore

CURRENT_TIME = dt.datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)
T = CURRENT_TIME
DAY = dt.timedelta(days=1)
DESIGN_KEYS = {
    "account",
    "status",
    "last_post_at",
    "days_silent",
    "posts_7d",
    "posts_this_week",
    "flag_shutdown",
    "rule",
    "basis",
}


def seed(config_path: Path) -> ComplianceStore:
    loaded = load_config(config_path, today=T.date())
    engine = open_store(store_url(loaded))
    sync_ledger(engine, loaded.config, now=T)
    store = ComplianceStore(engine, loaded.config)
    store.observe("xzf-wechat", T - 200 * DAY)
    store.observe("xzf-wechat", T - dt.timedelta(hours=2))
    store.posts("xzf-wechat", [T - 2 * DAY, T - 9 * DAY])
    store.observe("gaj-weibo", T - 200 * DAY)
    store.observe("gaj-weibo", T - dt.timedelta(hours=2))
    store.posts("gaj-weibo", [T - 100 * DAY])
    return store


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_check_json_is_the_design_shape(sample_config):
    store = seed(sample_config)
    result = invoke("check", "-c", str(sample_config), "--at", "2026-11-28T09:00", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    ledger_ids = [a.id for _, a in store.config.iter_accounts()]
    assert [v["account"] for v in out] == ledger_ids  # ledger order, every account
    assert all(set(v) == DESIGN_KEYS for v in out)
    assert {v["status"] for v in out} <= {s.value for s in VerdictStatus}
    by_id = {v["account"]: v for v in out}
    assert by_id["xzf-wechat"] == {
        "account": "xzf-wechat",
        "status": "ok",
        "last_post_at": "2026-11-26T09:00:00+08:00",
        "days_silent": 2.0,
        "posts_7d": 1,
        "posts_this_week": 1,
        "flag_shutdown": False,
        "rule": "最近7天内有更新（最少一周更新一次）",
        "basis": "本县政务新媒体管理规定（最少一周更新一次）",
    }
    assert by_id["gaj-weibo"]["status"] == "zombie" and by_id["gaj-weibo"]["flag_shutdown"]
    assert by_id["xzf-weibo"]["status"] == "unknown"  # never observed: not inactive
    assert by_id["scjgj-weibo"]["status"] == "exempt"  # closed


def test_check_twice_at_the_same_t_changes_nothing(sample_config):
    store = seed(sample_config)
    args = ("check", "-c", str(sample_config), "--at", "2026-11-28T01:00:00+00:00", "--json")
    first = invoke(*args).output
    with store.engine.connect() as conn:
        counts = [
            conn.execute(select(func.count()).select_from(t)).scalar()
            for t in (verdicts, status_changes)
        ]
    assert invoke(*args).output == first
    with store.engine.connect() as conn:
        again = [
            conn.execute(select(func.count()).select_from(t)).scalar()
            for t in (verdicts, status_changes)
        ]
    assert again == counts


def test_check_syncs_the_ledger_first(sample_config):
    seed(sample_config)
    text = sample_config.read_text("utf-8")
    at = text.index("    accounts:\n", text.index("  - id: rmt\n")) + len("    accounts:\n")
    text = (
        text[:at]
        + (
            "      - id: rmt-douyin\n"
            "        name: 博爱融媒抖音\n"
            "        platform: douyin\n"
            '        owner: {name: 高远, phone: "13903910121"}\n'
            "        opened_on: 2026-11-25\n"
            "        exception_basis: 县级融媒体中心依职能开设\n"
        )
        + text[at:]
    )
    sample_config.write_text(text, "utf-8")
    result = invoke("check", "-c", str(sample_config), "--at", "2026-11-28T09:00", "--json")
    assert result.exit_code == 0, result.output
    by_id = {v["account"]: v for v in json.loads(result.output)}
    assert by_id["rmt-douyin"]["status"] == "exempt"  # new, in its grace period


def test_check_table_groups_by_department_worst_first(sample_config):
    seed(sample_config)
    result = CliRunner().invoke(
        main,
        ["check", "-c", str(sample_config), "--at", "2026-11-28T09:00"],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    out = result.output
    # 博爱县公安局 holds the zombie: its section comes before the county office's.
    assert out.index("博爱县公安局") < out.index("博爱县人民政府办公室")
    assert "FLAG: apply to shut down" in out
    assert "1 zombie" in out and "flagged for shutdown" in out


def _listed(output: str) -> dict[str, str]:
    """account → status of the table rows in `govmedia check` output."""
    statuses = {s.value for s in VerdictStatus}
    rows = [line.split() for line in output.splitlines()]
    return {row[0]: row[1] for row in rows if len(row) > 1 and row[1] in statuses}


def test_check_prints_the_problems_and_the_counts_and_all_with_all(sample_config):
    """20,000 rows on a terminal help nobody: by default only the accounts that need attention
    (not ok, not exempt, or flagged or relaunched), then the counts of all; --all lists each."""
    seed(sample_config)
    at = ("-c", str(sample_config), "--at", "2026-11-28T09:00")
    every = {v["account"]: v["status"] for v in json.loads(invoke("check", *at, "--json").output)}
    problems = {a: s for a, s in every.items() if s not in ("ok", "exempt")}
    assert problems and len(problems) < len(every)  # the sample has both kinds

    default = invoke("check", *at)
    assert default.exit_code == 0
    assert _listed(default.output) == problems
    assert "xzf-wechat" not in default.output  # ok: not listed
    counts = "28 accounts: 3 exempt, 1 ok, 23 unknown, 1 zombie; 1 flagged for shutdown"
    assert counts in default.output
    assert f"{len(problems)} of {len(every)} accounts need attention" in default.output
    assert "govmedia check --all" in default.output
    # Ledger order inside the table: the zombie's department first, its flag beside it.
    assert default.output.index("博爱县公安局") < default.output.index("博爱县人民政府办公室")
    assert "gaj-weibo       zombie" in default.output

    listed_all = invoke("check", *at, "--all")
    assert listed_all.exit_code == 0
    assert _listed(listed_all.output) == every
    assert counts in listed_all.output
    assert "need attention" not in listed_all.output


def test_check_rejects_a_bad_time_point(sample_config):
    result = CliRunner().invoke(main, ["check", "-c", str(sample_config), "--at", "yesterday"])
    assert result.exit_code == 2
    assert "not an ISO date-time" in result.output
