"""Every command reports config problems the same way `validate` does."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from govmedia.cli import main


def test_any_command_prints_config_problems_as_file_line_path_message(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("jurisdiction: 博爱县\npolicy:\n  warn_after_dayz: 7\n", encoding="utf-8")
    for args in (["validate"], ["accounts"], ["check"]):
        result = CliRunner().invoke(main, [*args, "-c", str(config)])
        assert result.exit_code == 2, args
        first = result.output.splitlines()[0]
        assert first == (
            f"{config}:3: policy.warn_after_dayz: unknown key; did you mean `warn_after_days`?"
        ), args


@pytest.mark.parametrize(
    ("args", "option", "value"),
    [
        (["report", "weekly", "--week", "0001-W01"], "--week", "0001-W01"),
        (["report", "weekly", "--week", "9999-W52"], "--week", "9999-W52"),
        (["report", "notice", "--month", "0000-01"], "--month", "0000-01"),
        (["report", "notice", "--quarter", "0001-Q1"], "--quarter", "0001-Q1"),
        (["report", "notice", "--month", "2026-10", "--date", "0001-01-01"], "--date", None),
        (["check", "--at", "0001-01-01"], "--at", "0001-01-01"),
        (["check", "--at", "9999-12-31T23:59"], "--at", "9999-12-31T23:59"),
        (["filings", "--at", "0001-01-01"], "--at", "0001-01-01"),
        (["report", "weekly", "--now", "0001-01-01"], "--now", "0001-01-01"),
    ],
)
def test_extreme_dates_are_a_clear_error_naming_the_option_and_the_range(
    sample_config, args, option, value
):
    result = CliRunner().invoke(main, [*args, "-c", str(sample_config)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"Invalid value for {option}: '{value or '0001-01-01'}' is out of range" in result.output
    assert "the years 2000 to 2099" in result.output
