"""`govmedia report weekly | notice | annual` on a real config.yaml and store."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from govmedia.cli import main
from govmedia.commands.report import report

NOW = "2026-11-30T09:00"  # Monday after 2026-W48


def run(report_store, *args: str) -> Result:
    return CliRunner().invoke(
        main, ["report", *args[:1], "-c", str(report_store.config_path), *args[1:]]
    )


def test_weekly_defaults_to_the_last_closed_week(report_store):
    result = run(report_store, "weekly", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "weekly report 2026-W48" in result.output
    assert (report_store.out_dir / "weekly" / "2026-W48" / "report.html").exists()
    assert (report_store.out_dir / "index.html").exists()


def test_weekly_json_and_formats(report_store):
    result = run(
        report_store, "weekly", "--week", "2026-W47", "--format", "md,csv", "--now", NOW, "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["period"] == "2026-W47" and sorted(data["files"]) == ["csv", "md"]


def test_weekly_bad_week_says_how_to_write_it(report_store):
    result = run(report_store, "weekly", "--week", "48", "--now", NOW)
    assert result.exit_code == 2
    assert "'48' is not an ISO week; write it as 2026-W48" in result.output


def test_weekly_future_week_is_refused(report_store):
    result = run(report_store, "weekly", "--week", "2026-W49", "--now", NOW)
    assert result.exit_code == 2
    assert "2026-W49 has not ended yet" in result.output


def test_weekly_bad_format(report_store):
    result = run(report_store, "weekly", "--format", "pdf", "--now", NOW)
    assert result.exit_code == 2
    assert (
        "'pdf' is not a format; use a comma-separated list of html, xlsx, md, csv" in result.output
    )


def test_notice_month(report_store):
    result = run(
        report_store,
        "notice",
        "--month",
        "2026-11",
        "--date",
        "2026-12-03",
        "--now",
        "2026-12-03T09:00",
    )
    assert result.exit_code == 0, result.output
    folder = report_store.out_dir / "notices" / "2026-11"
    assert {p.name for p in folder.iterdir()} >= {"notice.docx", "notice.html", "unqualified.xlsx"}


def test_notice_needs_exactly_one_period(report_store):
    result = run(report_store, "notice", "--now", NOW)
    assert result.exit_code == 2
    assert "give one of --month 2026-11 or --quarter 2026-Q4" in result.output


def test_notice_of_a_period_not_over(report_store):
    result = run(report_store, "notice", "--quarter", "2026-Q4", "--now", NOW)
    assert result.exit_code == 2
    assert "2026-Q4 has not ended yet" in result.output


def test_annual_json(report_store):
    result = run(report_store, "annual", "--year", "2026", "--json", "--now", "2027-01-05T09:00")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["year"] == 2026 and "现纳入国家、省监管平台" in data["paragraph"]


def test_bad_config_exits_2(tmp_path):
    bad = tmp_path / "config.yaml"
    bad.write_text("jurisdiction: 博爱县\npolicy: {warn_after_dayz: 3}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "weekly", "-c", str(bad)])
    assert result.exit_code == 2
    assert "warn_after_dayz" in result.output


@pytest.mark.parametrize("name", ["weekly", "notice", "annual"])
def test_every_command_has_an_example(name):
    command = report.commands[name]
    assert "Example:" in (command.help or "")
    assert f"govmedia report {name}" in command.help


def test_group_help_has_an_example():
    assert "Example:" in (report.help or "")


def test_a_report_run_removes_what_a_killed_writer_left(report_store):
    """A writer dies in the middle of an atomic write (its temporary file stays); the next
    report run removes it and leaves everything else."""
    import subprocess
    import sys
    import textwrap

    target = report_store.out_dir / "weekly" / "2026-W47" / "report.xlsx"
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from reports.files import atomic_path
        with atomic_path(Path({str(target)!r})) as tmp:
            tmp.write_bytes(b"half a workbook")
            os._exit(9)  # killed mid-write: no cleanup runs
        """
    )
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert killed.returncode == 9, killed.stderr.decode()
    [left] = list(target.parent.glob(".report.xlsx.*.tmp"))
    other = report_store.out_dir / "notes.tmp"
    other.write_text("not ours")

    result = run(report_store, "weekly", "--week", "2026-W48", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert not left.exists()
    assert other.exists()
    assert list(report_store.out_dir.rglob("*.tmp")) == [other]
