"""`govmedia observe`: a person's report becomes an ok manual observation with evidence."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from govmedia.cli import main
from registry.constants import LOCAL_TZ
from registry.store import observations, open_store

AT = "2026-11-28T09:00"  # Saturday of 2026-W48 (Monday 11-23)


def run(config: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["observe", "-c", str(config), *args], env=env)


def stored(config: Path) -> list[dict]:
    engine = open_store(f"sqlite:///{config.parent / 'data' / 'govmedia.sqlite3'}")
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(observations))]


def count(config: Path) -> int:
    engine = open_store(f"sqlite:///{config.parent / 'data' / 'govmedia.sqlite3'}")
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(observations)).scalar_one()


@pytest.fixture
def recorded(sample_config: Path) -> tuple[Result, dict]:
    result = run(
        sample_config,
        "xzf-toutiao",
        "--last-post",
        "2026-11-27T18:30",
        "--at",
        AT,
        "--posts-this-week",
        "3",
        "--note",
        "置顶为旧视频",
        "--by",
        "李明",
    )
    return result, stored(sample_config)[0]


def test_records_exit_0(recorded: tuple[Result, dict]) -> None:
    assert recorded[0].exit_code == 0, recorded[0].output


def test_records_source_manual_outcome_ok(recorded: tuple[Result, dict]) -> None:
    row = recorded[1]
    assert (row["source"], row["outcome"]) == ("manual", "ok")


def test_records_latest_post_in_utc(recorded: tuple[Result, dict]) -> None:
    assert recorded[1]["latest_post_at"] == dt.datetime(2026, 11, 27, 10, 30, tzinfo=dt.UTC)


def test_records_when_they_looked(recorded: tuple[Result, dict]) -> None:
    assert recorded[1]["at"] == dt.datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)


def test_records_count_note_and_person(recorded: tuple[Result, dict]) -> None:
    row = recorded[1]
    assert (row["posts_this_week"], row["detail"], row["recorded_by"]) == (
        3,
        "置顶为旧视频",
        "李明",
    )


def test_evidence_is_gzip_json_with_its_sha256(recorded: tuple[Result, dict]) -> None:
    row = recorded[1]
    raw = gzip.decompress(row["evidence"])
    assert hashlib.sha256(raw).hexdigest() == row["evidence_sha256"]


def test_evidence_holds_what_was_recorded(recorded: tuple[Result, dict]) -> None:
    record = json.loads(gzip.decompress(recorded[1]["evidence"]))
    assert record == {
        "kind": "manual_observation",
        "account": "xzf-toutiao",
        "last_post_at": "2026-11-27T18:30:00+08:00",
        "at": "2026-11-28T09:00:00+08:00",
        "posts_this_week": 3,
        "week": "2026-W48",
        "note": "置顶为旧视频",
        "recorded_by": "李明",
    }


def test_prints_what_was_recorded(recorded: tuple[Result, dict]) -> None:
    assert recorded[0].output.strip() == (
        "recorded observation 1: xzf-toutiao last post 2026-11-27 18:30, 3 posts this week, "
        "seen 2026-11-28 09:00 by 李明"
    )


def test_recorder_defaults_to_login_name(sample_config: Path) -> None:
    result = run(
        sample_config,
        "xzf-toutiao",
        "--last-post",
        "2026-11-27",
        "--at",
        AT,
        env={"USER": "zhaoxy"},
    )
    assert (result.exit_code, stored(sample_config)[0]["recorded_by"]) == (0, "zhaoxy")


def test_date_only_last_post_is_midnight_shanghai(sample_config: Path) -> None:
    run(sample_config, "xzf-toutiao", "--last-post", "2026-11-27", "--at", AT, "--by", "李明")
    latest = stored(sample_config)[0]["latest_post_at"]
    assert latest.astimezone(LOCAL_TZ).isoformat() == "2026-11-27T00:00:00+08:00"


def test_unknown_account_exits_2_with_did_you_mean(sample_config: Path) -> None:
    result = run(sample_config, "xzf-toutiao2", "--last-post", "2026-11-27", "--by", "李明")
    assert (result.exit_code, result.output.strip()) == (
        2,
        "error: no account 'xzf-toutiao2' in the ledger; did you mean xzf-toutiao?; "
        "nothing was recorded.",
    )


def test_last_post_after_looking_exits_2(sample_config: Path) -> None:
    result = run(
        sample_config, "xzf-toutiao", "--last-post", "2026-11-28T10:00", "--at", AT, "--by", "李明"
    )
    assert result.exit_code == 2 and "nobody can see a post before it is published" in result.output


def test_looking_in_the_future_exits_2(sample_config: Path) -> None:
    result = run(
        sample_config,
        "xzf-toutiao",
        "--last-post",
        "2026-11-27",
        "--at",
        "2099-01-01",
        "--by",
        "李明",
    )
    assert result.exit_code == 2 and "is in the future" in result.output


def test_refused_report_records_nothing(sample_config: Path) -> None:
    run(sample_config, "xzf-toutiao", "--last-post", "2099-01-01", "--by", "李明")
    assert count(sample_config) == 0


def test_count_contradicting_an_old_last_post_exits_2(sample_config: Path) -> None:
    result = run(
        sample_config,
        "xzf-toutiao",
        "--last-post",
        "2026-11-20",
        "--at",
        AT,
        "--posts-this-week",
        "2",
        "--by",
        "李明",
    )
    assert result.exit_code == 2 and "before this week (2026-W48" in result.output


def test_zero_count_with_a_post_this_week_exits_2(sample_config: Path) -> None:
    result = run(
        sample_config,
        "xzf-toutiao",
        "--last-post",
        "2026-11-24",
        "--at",
        AT,
        "--posts-this-week",
        "0",
        "--by",
        "李明",
    )
    assert result.exit_code == 2


def test_not_an_iso_time_exits_2(sample_config: Path) -> None:
    result = run(sample_config, "xzf-toutiao", "--last-post", "yesterday", "--by", "李明")
    assert result.exit_code == 2 and "is not an ISO date-time" in result.output


def test_closed_account_is_recorded_with_a_warning(sample_config: Path) -> None:
    result = run(
        sample_config, "scjgj-weibo", "--last-post", "2026-11-26", "--at", AT, "--by", "吴敏"
    )
    assert (result.exit_code, count(sample_config)) == (0, 1)
    assert "warning: scjgj-weibo is closed in the ledger; recorded anyway" in result.output


def test_help_ends_with_an_example() -> None:
    result = CliRunner().invoke(main, ["observe", "--help"])
    assert "Example:\n    govmedia observe xzf-toutiao" in result.output
