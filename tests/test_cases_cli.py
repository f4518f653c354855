"""`govmedia cases`: listing and its filters, `--json`, `respond` and `close`, and the exit codes
(2 for an unknown case, with a did-you-mean, or a closed one)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from govmedia.cli import main
from registry.cases import case_changes
from registry.config import load_config, store_url
from registry.constants import LOCAL_TZ, VerdictStatus
from registry.store import open_store, record_cases
from tests.fixtures.cycle import ledger_data, write_ledger
from tests.test_cases import CURRENT_TIME, config, verdict

VETO_ID = "20261128-gaj-weibo-veto"
UNFILED_ID = "20261128-gaj-wechat-unfiled"


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    """The two-account ledger with a veto case (overdue by 12-07) and an unfiled one (open)."""
    data = ledger_data()
    for account in data["departments"][0]["accounts"]:
        account["supervised"] = {"national": True, "provincial": True}
    data["departments"][0]["accounts"][1]["filed_on"] = None
    path = write_ledger(tmp_path, data)
    engine = open_store(store_url(load_config(path)))
    cfg = config(gaj_wechat={"filed_on": None})
    veto = [verdict(status=VerdictStatus.VETO, days_silent=21), verdict("gaj-wechat")]
    opened = case_changes(cfg, veto, [], now=CURRENT_TIME, unknown_since={})
    record_cases(engine, opened.opened, opened.events)
    later = dt.datetime(2026, 12, 7, 9, 0, tzinfo=LOCAL_TZ)
    from registry.store import load_cases

    with engine.connect() as conn:
        current = load_cases(conn)
    overdue = case_changes(cfg, veto, current, now=later, unknown_since={})
    record_cases(engine, overdue.opened, overdue.events)
    engine.dispose()
    return path


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_listing_filters_and_json(ledger: Path):
    every = json.loads(cli("cases", "--json", "-c", str(ledger)).output)
    assert {c["id"]: c["state"] for c in every} == {VETO_ID: "overdue", UNFILED_ID: "open"}
    veto = next(c for c in every if c["id"] == VETO_ID)
    assert set(veto) == {
        "id",
        "kind",
        "account",
        "department",
        "owner",
        "state",
        "opened_at",
        "deadline",
        "deadline_exact",
        "summary",
        "evidence",
        "responses",
        "closed_at",
        "closed_by",
        "close_reason",
        "events",
    }
    assert (veto["kind"], veto["account"], veto["department"], veto["owner"]) == (
        "veto",
        "gaj-weibo",
        "gaj",
        "李明",
    )
    assert veto["opened_at"] == "2026-11-28T01:00:00+00:00"
    assert veto["deadline"] == "2026-12-04"
    overdue = json.loads(cli("cases", "--overdue", "--json", "-c", str(ledger)).output)
    assert [c["id"] for c in overdue] == [VETO_ID]
    text = cli("cases", "--open", "--department", "gaj", "-c", str(ledger)).output
    assert VETO_ID in text and UNFILED_ID in text and "逾期未整改" in text
    assert cli("cases", "--open", "-c", str(ledger)).exit_code == 0


def test_an_unknown_department_exits_2_with_a_hint(ledger: Path):
    result = CliRunner().invoke(main, ["cases", "--department", "gja", "-c", str(ledger)])
    assert result.exit_code == 2
    assert "error: no department 'gja' in the ledger; did you mean gaj?" in result.output


def test_respond_then_close_each_its_own_event(ledger: Path):
    answered = cli(
        "cases", "respond", UNFILED_ID, "--note", "正在补报", "--by", "王芳", "-c", str(ledger)
    )
    assert answered.exit_code == 0
    assert answered.output.strip() == f"{UNFILED_ID}: responded (王芳)"
    closed = cli(
        "cases", "close", UNFILED_ID, "--reason", "已线下报备", "--by", "张伟", "-c", str(ledger)
    )
    assert closed.exit_code == 0
    assert closed.output.strip() == f"{UNFILED_ID}: closed (张伟)"
    [case] = [
        c
        for c in json.loads(cli("cases", "--json", "-c", str(ledger)).output)
        if c["id"] == UNFILED_ID
    ]
    assert case["state"] == "closed"
    assert (case["closed_by"], case["close_reason"]) == ("张伟", "已线下报备")
    assert case["responses"][0]["by"] == "王芳" and case["responses"][0]["note"] == "正在补报"
    assert [(e["action"], e["from"], e["to"]) for e in case["events"]] == [
        ("opened", None, "open"),
        ("responded", "open", "responded"),
        ("closed", "responded", "closed"),
    ]
    # A closed case takes no answer and cannot be closed again.
    again = CliRunner().invoke(
        main, ["cases", "respond", UNFILED_ID, "--note", "x", "--by", "y", "-c", str(ledger)]
    )
    assert again.exit_code == 2
    assert f"error: case {UNFILED_ID} is closed; nothing to respond to" in again.output
    twice = CliRunner().invoke(
        main, ["cases", "close", UNFILED_ID, "--reason", "x", "-c", str(ledger)]
    )
    assert twice.exit_code == 2
    assert "is already closed" in twice.output


def test_an_answer_to_an_overdue_case_keeps_it_overdue(ledger: Path):
    result = cli(
        "cases", "respond", VETO_ID, "--note", "已恢复更新", "--by", "李明", "-c", str(ledger)
    )
    assert result.output.strip() == f"{VETO_ID}: overdue (李明)"


def test_an_unknown_case_exits_2_with_a_did_you_mean(ledger: Path):
    typo = VETO_ID.replace("veto", "vето")
    result = CliRunner().invoke(
        main, ["cases", "respond", typo, "--note", "x", "--by", "y", "-c", str(ledger)]
    )
    assert result.exit_code == 2
    assert f"error: no case {typo!r}; did you mean {VETO_ID}?" in result.output
    far = CliRunner().invoke(main, ["cases", "close", "zzz", "--reason", "x", "-c", str(ledger)])
    assert far.exit_code == 2
    assert "error: no case 'zzz'; `govmedia cases` lists them" in far.output
