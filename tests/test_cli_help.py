"""Every command (including those added later, and subcommands of groups) has help with an
example."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from govmedia.cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(_commands(command, (*prefix, name)))
    return found


COMMANDS = _commands(main)


def test_the_ledger_commands_are_registered():
    assert {("validate",), ("accounts",), ("register",), ("close",), ("diff",), ("sync",)} <= set(
        COMMANDS
    )


def test_main_help_has_an_example():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_has_an_example(path: tuple[str, ...]):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"`govmedia {' '.join(path)} --help` has no Example: block"
    example = result.output.split("Example:", 1)[1]
    assert "govmedia" in example, f"`govmedia {' '.join(path)}`: the example shows no command"
