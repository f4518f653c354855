"""Chinese by default, English on request: the language choice, the catalogue's completeness,
and that the code hands every message a person reads to gettext."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from govmedia.cli import main, take_language
from registry.i18n import pick_language
from tests.conftest import CHINESE
from tools import catalogue

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    ("requested", "environ", "expected"),
    [
        (None, {}, "zh"),
        (None, {"LANG": "C.UTF-8"}, "zh"),
        (None, {"LANG": "zh_CN.UTF-8"}, "zh"),
        (None, {"LANG": "en_US.UTF-8"}, "en"),
        (None, {"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, "zh"),
        (None, {"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, "en"),
        ("en", {"LANG": "zh_CN.UTF-8"}, "en"),
        ("zh", {"LANG": "en_US.UTF-8"}, "zh"),
    ],
)
def test_the_language_comes_from_the_option_then_the_locale(requested, environ, expected):
    assert pick_language(requested, environ) == expected


def test_lang_is_taken_anywhere_before_a_double_dash():
    assert take_language(["check", "--lang", "en", "--json"]) == ("en", ["check", "--json"])
    assert take_language(["--lang=zh", "check"]) == ("zh", ["check"])
    assert take_language(["x", "--", "--lang", "en"]) == (None, ["x", "--", "--lang", "en"])


def test_help_and_click_errors_are_chinese_by_default():
    runner = CliRunner()
    result = runner.invoke(main, ["--help"], env=CHINESE)
    assert result.exit_code == 0
    assert "用法" in result.output and "显示本帮助并退出" in result.output
    result = runner.invoke(main, ["check", "--no-such-option"], env=CHINESE)
    assert result.exit_code == 2
    assert "没有选项 '--no-such-option'" in result.output


def test_english_on_request_in_any_position():
    runner = CliRunner()
    for args in (["--lang", "en", "--help"], ["--help", "--lang", "en"]):
        result = runner.invoke(main, args, env=CHINESE)
        assert "Show this message and exit." in result.output, args
    result = runner.invoke(main, ["check", "--bogus", "--lang", "en"], env=CHINESE)
    assert "No such option '--bogus'" in result.output
    result = runner.invoke(main, ["--help"], env={"LANG": "en_US.UTF-8"})
    assert "Usage:" in result.output


def test_an_unknown_language_is_refused():
    result = CliRunner().invoke(main, ["--lang", "fr", "validate"], env=CHINESE)
    assert result.exit_code == 2
    assert "--lang" in result.output


def _commands(command: click.Command, path: str = "govmedia"):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, f"{path} {name}")


def test_every_command_and_option_help_is_chinese():
    runner = CliRunner()
    runner.invoke(main, ["--help"], env=CHINESE)  # chooses Chinese and translates the tree
    english = []
    for path, command in _commands(main):
        texts = [("help", command.help)] + [
            (param.opts[0] if param.opts else param.name, getattr(param, "help", None))
            for param in command.params
        ]
        english += [f"{path} {where}" for where, text in texts if text and not CJK.search(text)]
    runner.invoke(main, ["--help"], env={"LANG": "en_US.UTF-8"})
    assert english == []


def test_the_catalogue_is_complete_and_compiled():
    problems = list(catalogue.problems(catalogue.wanted_messages(), catalogue.read_sources()))
    assert problems == []


# Calls whose text argument a person reads. A literal or f-string there is an untranslated
# message: it must be `_("…")` (with .format for values), `ngettext(…)`, or a variable.
SHOWN = {"echo", "secho", "BadParameter", "UsageError", "ClickException", "prompt", "confirm"}


def _literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-z]{2}", node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_literal(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _literal(node.left) or _literal(node.right)
    return False


def untranslated_calls(folder: Path, shown: set[str] = SHOWN):
    paths = [folder] if folder.is_file() else sorted(folder.rglob("*.py"))
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in shown:
                continue
            args = list(node.args[:1]) + [k.value for k in node.keywords if k.arg == "message"]
            if any(_literal(a) for a in args):
                yield f"{path.relative_to(ROOT)}:{node.lineno}"


def test_the_command_line_passes_its_messages_through_gettext():
    assert list(untranslated_calls(ROOT / "govmedia")) == []


def test_chinese_help_is_wrapped_by_columns_never_inside_a_word():
    from govmedia.help_format import columns

    runner = CliRunner()
    for args in (["--help"], ["schedule", "--help"], ["cron", "--help"], ["crawl", "--help"]):
        result = runner.invoke(main, args, env={**CHINESE, "COLUMNS": "60"}, terminal_width=60)
        assert result.exit_code == 0
        lines = result.output.splitlines()
        prose = [line for line in lines if not line.startswith("    govmedia ")]  # not examples
        too_wide = [line for line in prose if columns(line) > 60]
        assert too_wide == [], args
        assert not any(line.rstrip().endswith("（") for line in lines), args
        assert not any(line.strip().startswith(("，", "。", "）")) for line in lines), args
    assert "Asia/Shanghai" in runner.invoke(main, ["schedule", "--help"], env=CHINESE).output


def test_the_ledger_validators_pass_their_messages_through_gettext():
    """A validator's ValueError is what `govmedia validate` prints after the field's path."""
    assert list(untranslated_calls(ROOT / "registry" / "models.py", {"ValueError"})) == []
