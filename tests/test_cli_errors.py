"""Every command reports config problems the same way `validate` does."""

from __future__ import annotations

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
