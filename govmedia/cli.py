"""The `govmedia` command line.

Each area of the program keeps its commands in a module of `govmedia.commands`; this module only
builds the group and the helpers they share (the `-c/--config` option, loading the ledger with
clerk-readable errors, the clock). Heavy imports (Scrapy, openpyxl) stay inside the commands so
that `govmedia --help` is fast.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from govmedia import __version__, help_format
from registry.config import ConfigError, LoadedConfig, load_config
from registry.constants import LOCAL_TZ
from registry.i18n import _, ngettext, pick_language, use_language
from registry.problems import sorted_lines
from registry.weeks import check_year

F = TypeVar("F", bound=Callable[..., Any])

# The modules under govmedia/commands that contribute commands, each with a `COMMANDS` list.
COMMAND_MODULES = (
    "ledger",
    "ledger_xlsx",
    "crawl",
    "observe",
    "compliance",
    "report",
    "cycle",
    "login",
    "discover",
    "cases",
)

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_BAD_CONFIG = 2


DEFAULT_CONFIG = Path("config.yaml")
# The sample ledger (博爱县), shipped inside the package (a link to the checkout's config.yaml),
# so that `govmedia demo` runs anywhere.
SAMPLE_LEDGER = Path(__file__).resolve().parent / "sample_config.yaml"


def config_option(func: F) -> F:
    """The `-c/--config PATH` option every command takes."""
    return click.option(
        "-c",
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_CONFIG,
        envvar="GOVMEDIA_CONFIG",
        show_default=True,
        help="The ledger file (or set GOVMEDIA_CONFIG).",
    )(func)


def print_problems(error: ConfigError) -> None:
    """Errors exactly as FILE:LINE: path: message, warnings prefixed, all in file order."""
    tagged = {line: "" for line in error.lines}
    tagged.update({line: _("warning: ") for line in error.warnings})
    for line in sorted_lines(tagged):
        click.echo(f"{tagged[line]}{line}", err=True)


STORE_META = "govmedia.store"  # the loaded ledger's store URL, for `write_failure` messages


def load_or_exit(
    config_path: Path, *, quiet_warnings: bool = False, keep_text: bool = False
) -> LoadedConfig:
    """Load config.yaml, or print every problem as FILE:LINE: path: message and exit 2.
    `keep_text`: for an edit, which then reuses this validation (registry.config)."""
    from registry.config import store_url

    try:
        loaded = load_config(config_path, keep_text=keep_text)
    except ConfigError as exc:
        print_problems(exc)
        n = len(exc.lines)
        click.echo(
            ngettext(
                "{path}: {n} problem; nothing was done.",
                "{path}: {n} problems; nothing was done.",
                n,
            ).format(path=config_path, n=n),
            err=True,
        )
        sys.exit(EXIT_BAD_CONFIG)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().meta[STORE_META] = store_url(loaded)
    if not quiet_warnings:
        for line in loaded.warnings:
            click.echo(_("warning: ") + line, err=True)
    return loaded


def parse_instant(value: str | None, *, option: str = "--at") -> dt.datetime:
    """An ISO instant from the command line; a naive one is Asia/Shanghai. None is now. Years
    outside registry.weeks' range are refused (exit 2, naming the option)."""
    if value is None:
        return dt.datetime.now(LOCAL_TZ)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            _(
                "{value!r} is not an ISO date-time; write 2026-11-28T09:00 "
                "or 2026-11-28T09:00+08:00"
            ).format(value=value),
            param_hint=option,
        ) from None
    try:
        check_year(parsed.year, value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None
    return parsed.replace(tzinfo=LOCAL_TZ) if parsed.tzinfo is None else parsed


def store_of(ctx: click.Context | None = None) -> str | None:
    """The store URL of the ledger this command loaded, if any."""
    ctx = ctx or click.get_current_context(silent=True)
    return ctx.find_root().meta.get(STORE_META) if ctx is not None else None


LANG_OPTION = "--lang"


def take_language(args: list[str]) -> tuple[str | None, list[str]]:
    """The value of `--lang X` / `--lang=X` anywhere before `--`, and the arguments without it:
    the language is chosen before click parses anything, so that its errors and `--help` (in
    any order, after any subcommand) are in that language too."""
    requested: str | None = None
    rest: list[str] = []
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            rest.append(token)
            rest.extend(tokens)
            break
        if token == LANG_OPTION:
            requested = next(tokens, None) or ""
        elif token.startswith(LANG_OPTION + "="):
            requested = token.partition("=")[2]
        else:
            rest.append(token)
    return requested, rest


def help_msgids(command: click.Command) -> tuple[str | None, str | None, str | None]:
    """The English help, short help and epilog of `command` (docstring indentation removed):
    the catalogue's message ids, kept on the command the first time it is translated."""
    import inspect

    if "help_msgids" not in command.__dict__:
        command.__dict__["help_msgids"] = tuple(
            inspect.cleandoc(text) if text else text
            for text in (command.help, command.short_help, command.epilog)
        )
    return command.__dict__["help_msgids"]


def translate_help(command: click.Command) -> None:
    """The help of `command`, its options and its subcommands in the current language.

    Click reads help from docstrings and `help=` once, at import; the English originals are kept
    on each object (the catalogue's message ids), so that a later call can switch again."""
    help_id, short_id, epilog_id = help_msgids(command)
    command.help = _(help_id) if help_id else help_id
    command.epilog = _(epilog_id) if epilog_id else epilog_id
    if short_id:
        command.short_help = _(short_id)
    elif help_id and command.help != help_id:
        # Click shortens by English sentences and words; Chinese has neither spaces nor ". ".
        first = command.help.removeprefix("\b").strip().split("\n\n")[0]
        command.short_help = first.split("。")[0].replace("\n", "")
    else:
        command.short_help = None
    command._help_option = None  # click builds --help once, with its text in that language
    command.context_class = help_format.Context  # wraps Chinese by columns
    for param in command.params:
        help_msgid = param.__dict__.setdefault("help_msgid", getattr(param, "help", None))
        if help_msgid:
            param.help = _(help_msgid)  # type: ignore[attr-defined]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            translate_help(sub)


class GovmediaGroup(click.Group):
    """The group: one SIGTERM or Ctrl-C stops any command (exit 128 + signal, e.g. 143), and a
    refused write ends it with one line naming the path (exit 1), never a traceback. It speaks
    Chinese unless `--lang en` or an English locale asks otherwise (registry/i18n.py)."""

    def main(self, args: Any = None, *pargs: Any, **kwargs: Any) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        requested, args = take_language(args)
        use_language(pick_language(requested))
        translate_help(self)
        if requested is not None and not requested.lower().startswith(("zh", "en")):
            click.echo(_("--lang takes zh or en, not {value!r}").format(value=requested), err=True)
            sys.exit(EXIT_BAD_CONFIG)
        return super().main(args, *pargs, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        import threading

        from govmedia.interrupt import Interrupted, stop_on_signals, write_failure

        in_main = threading.current_thread() is threading.main_thread()
        setup = sys.modules.get("govmedia.logging_setup")
        if setup is not None:
            setup.forget_log_file_failure()
        try:
            if not in_main:  # signals can only be handled in the main thread
                return super().invoke(ctx)
            with stop_on_signals():
                result = super().invoke(ctx)
        except SystemExit as exc:
            if exc.code in (0, None) and _log_file_failed():
                ctx.exit(EXIT_PARTIAL)  # its one line was printed when it failed
            raise
        except Interrupted as exc:
            click.echo(
                _(
                    "interrupted by {signal}: stopped; work not finished was not recorded as done"
                ).format(signal=exc),
                err=True,
            )
            ctx.exit(exc.exit_code)
        except Exception as exc:
            line = write_failure(exc, store_of(ctx))
            if line is None:
                raise
            click.echo(_("error: {line}; the command stopped there").format(line=line), err=True)
            ctx.exit(EXIT_PARTIAL)
        if _log_file_failed():
            ctx.exit(EXIT_PARTIAL)
        return result


def _log_file_failed() -> bool:
    """Whether this command's log file could not be written (a full disk): a failed write."""
    setup = sys.modules.get("govmedia.logging_setup")
    return setup is not None and setup.log_file_failed() is not None


@click.group(
    cls=GovmediaGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="govmedia")
@click.option(
    LANG_OPTION,
    "lang",
    type=click.Choice(["zh", "en"]),
    expose_value=False,
    help="Language of messages: zh (the default) or en; also LANG=en_US.UTF-8. "
    "Accepted after any command too.",
)
def main() -> None:
    """govmedia: the ledger (台账) and compliance monitor for government new-media accounts.

    \b
    Example:
      govmedia demo                      # a full cycle on the sample ledger, offline
      govmedia validate -c config.yaml
      govmedia run -c config.yaml        # one cycle: crawl, check, reports, alerts
    """


for _name in COMMAND_MODULES:
    _module = importlib.import_module(f"govmedia.commands.{_name}")
    for _command in getattr(_module, "COMMANDS", ()):
        main.add_command(_command)
