"""Reading config.yaml, the ledger (台账): bytes, YAML, the models, and every problem at once.

Loading never raises a pydantic traceback at a user: `ConfigError` carries all the problems
(registry/problems.py), each formatted as
``config.yaml:LINE: departments[gaj].accounts[gaj-weibo].owner: message``.
The models themselves are in registry/models.py.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry import yamlload
from registry.bulk import bulk_allocation
from registry.constants import (
    LOCAL_TZ,
)
from registry.i18n import N_, _
from registry.models import Config
from registry.problems import (
    Problem,
    display_path,
    find_problems,
    fullwidth_hint,
    fullwidth_in,
    line_of,
    printable,
    sorted_lines,
    to_plain,
    value_at,
)

# A 20,000-account ledger is about 7 MB; anything past this is not a ledger (or not one a
# clerk keeps by hand) and is refused before it is read.
MAX_CONFIG_BYTES = 50 * 1024 * 1024
# Raw control bytes in the text: C0 other than tab, newline and carriage return, DEL, and C1
# (U+0080–U+009F, two bytes in UTF-8). YAML refuses them; say where, in words.
RAW_CONTROL_RE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]")
RAW_C1_RE = re.compile(rb"\xc2[\x80-\x9f]")
# Every byte but the C0 controls and DEL: deleting them from the text is the fast test (a few
# ms on a 7 MB ledger, against 70 for RAW_CONTROL_RE) that leaves nothing when all is well.
PLAIN_BYTES = b"\t\n\r" + bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))
# A double-quoted escape that can make a control character ("\x01", "\e", "\0", "\N", …):
# without one (and without raw control bytes), no value can hold one and the search of every
# value (registry/problems.py) is skipped. A false alarm only costs that search.
ESCAPE_RE = re.compile(rb"\\[0abvfreNxuU]")
RAW_CONTROL_LINES = 20  # lines reported at most; the count of the rest follows
FILE_KINDS = (
    (
        stat.S_ISFIFO,
        N_("{name}: is a named pipe (FIFO), not a regular file; pass the ledger file with -c PATH"),
    ),
    (
        stat.S_ISCHR,
        N_("{name}: is a character device, not a regular file; pass the ledger file with -c PATH"),
    ),
    (
        stat.S_ISBLK,
        N_("{name}: is a block device, not a regular file; pass the ledger file with -c PATH"),
    ),
    (
        stat.S_ISSOCK,
        N_("{name}: is a socket, not a regular file; pass the ledger file with -c PATH"),
    ),
)
# Lines after a refused key or value searched for the full-width character it holds (a plain
# scalar may run over several lines).
HINT_LOOKAHEAD = 10


# ---------------------------------------------------------------------------------------------
# Loading

Locate = Callable[[Sequence[str | int]], int]


@dataclass
class LoadedConfig:
    """A valid config, where it came from, and the warnings it passed with."""

    config: Config
    path: Path
    warnings: list[str] = field(default_factory=list)
    # With `keep_text` only (they keep the parsed file alive): the text it was read from (UTF-8,
    # no byte-order mark) and the line of a location in it; an edit reuses this validation when
    # the file still holds that text, and splices by line.
    text: bytes | None = field(default=None, repr=False, compare=False)
    locate: Locate | None = field(default=None, repr=False, compare=False)

    @property
    def base_dir(self) -> Path:
        return self.path.parent


class ConfigError(Exception):
    """config.yaml cannot be used. `lines` are ready to print, one problem each."""

    def __init__(self, lines: list[str], warnings: Sequence[str] = ()) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.warnings = list(warnings)


def read_file(path: Path) -> bytes:
    """The file's bytes exactly as on disk, or ConfigError: only a regular file of at most
    MAX_CONFIG_BYTES is read (`-c /dev/zero` would never end, a FIFO would block)."""
    name = str(path)
    try:
        # O_NONBLOCK: should the path become a FIFO after the check below, opening it must not
        # wait for a writer; the type is checked again on the opened file.
        _check_file_kind(os.stat(path), name)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ConfigError(
            [_("{name}: no such file; create it (see README.md) or pass -c PATH").format(name=name)]
        ) from None
    except OSError as exc:
        raise ConfigError([_cannot_read(name, exc)]) from None
    try:
        _check_file_kind(os.fstat(fd), name)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError([_cannot_read(name, exc)]) from None
    finally:
        os.close(fd)
    if len(raw) > MAX_CONFIG_BYTES:  # it grew after the check
        raise _too_big(len(raw), name)
    return raw


def _cannot_read(name: str, exc: OSError) -> str:
    return _("{name}: cannot read: {reason}").format(name=name, reason=exc.strerror)


def _check_file_kind(info: os.stat_result, name: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(
            [_("{name}: is a folder; pass the ledger file with -c PATH").format(name=name)]
        )
    if not stat.S_ISREG(info.st_mode):
        message = next(
            (text for test, text in FILE_KINDS if test(info.st_mode)),
            N_("{name}: is special, not a regular file; pass the ledger file with -c PATH"),
        )
        raise ConfigError([_(message).format(name=name)])
    if info.st_size > MAX_CONFIG_BYTES:
        raise _too_big(info.st_size, name)


def _too_big(size: int, name: str) -> ConfigError:
    return ConfigError(
        [
            _(
                "{name}: {size} bytes is more than a ledger can be "
                "({limit} MB; 20,000 accounts take about 7 MB); check that -c names the ledger"
            ).format(name=name, size=f"{size:,}", limit=MAX_CONFIG_BYTES // 1024 // 1024)
        ]
    )


def read_bytes(path: Path) -> bytes:
    """The file's bytes, checked to be UTF-8 (a byte-order mark is dropped), or ConfigError."""
    return checked_text(read_file(path), str(path))


def checked_text(raw: bytes, name: str) -> bytes:
    """`raw` without its byte-order mark, checked to be UTF-8, or ConfigError."""
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            [
                _("{name}:{line}: not UTF-8 text (byte 0x{byte}); save the file as UTF-8").format(
                    name=name, line=line, byte=f"{raw[exc.start]:02x}"
                )
            ]
        ) from None
    return raw


def _ruamel_tree(text: str, name: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        tree = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = yamlload.syntax_problem(str(exc.problem or exc.context or "invalid YAML"))
        context = exc.context_mark.line + 1 if exc.context_mark is not None else None
        raise ConfigError([syntax_error(name, text, line, problem, context)]) from None
    except (YAMLError, ValueError, TypeError) as exc:
        raise ConfigError(
            [
                _("{name}: YAML: {problem}").format(
                    name=name, problem=" ".join(str(exc).split())[:200]
                )
            ]
        ) from None
    except RecursionError:
        raise ConfigError(
            [_("{name}: YAML: nested too deeply to be a ledger").format(name=name)]
        ) from None
    found = yamlload.repeat_problem(tree)
    if found is not None:
        raise ConfigError(
            [
                _("{name}:{line}: YAML: {problem}").format(
                    name=name, line=line_of(found[0], tree), problem=found[1]
                )
            ]
        )
    return tree


def _text_lines(text: str | bytes) -> list[str]:
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return decoded.split("\n")


def with_hints(
    first: str,
    name: str,
    text: str | bytes | Sequence[str],
    numbers: Iterable[int],
    *,
    colon: bool = True,
    space: bool = True,
) -> str:
    """`first`, then a line `FILE:LINE: hint` for each of the lines `numbers` of `text` typed
    with a full-width colon or space (problems.fullwidth_hint), one problem however many."""
    lines = _text_lines(text) if isinstance(text, (str, bytes)) else text
    out = [first]
    for number in numbers:
        if 1 <= number <= len(lines):
            hint = fullwidth_hint(lines[number - 1], colon=colon, space=space)
            if hint is not None:
                out.append(printable(f"{name}:{number}: {hint}"))
    return "\n".join(out)


def syntax_error(
    name: str, text: str | bytes, line: int, problem: str, context_line: int | None
) -> str:
    """`FILE:LINE: YAML syntax: problem`, with the full-width hints of the lines it may come
    from: the parser trips on the line after a key typed `owner：张三`, so the lines back to the
    last one with content (and to where the parser says it began reading) are looked at."""
    first = _("{name}:{line}: YAML syntax: {problem}").format(name=name, line=line, problem=problem)
    lines = _text_lines(text)
    start = line - 1
    while start >= 1 and start <= len(lines) and not _content(lines[start - 1]):
        start -= 1
    if context_line is not None:
        start = min(start, context_line)
    return with_hints(first, name, lines, range(max(start, 1), line + 1))


def _content(line: str) -> bool:
    """Whether a line of YAML holds more than blanks or a comment."""
    stripped = line.strip(" \t\r")
    return bool(stripped) and not stripped.startswith("#")


def raw_control_problems(raw: bytes, name: str) -> list[str]:
    """Each line holding a raw control byte (NUL, ESC, …), with its column; YAML allows none,
    and a clerk cannot see them. Escapes such as "\\x01" are found later, in the values."""
    if not raw.translate(None, PLAIN_BYTES) and (b"\xc2" not in raw or not RAW_C1_RE.search(raw)):
        return []
    lines: list[str] = []
    line, counted = 1, 0  # the line number at byte `counted`
    match = RAW_CONTROL_RE.search(raw)
    while match is not None:
        start = match.start()
        line += raw.count(b"\n", counted, start)
        counted = start
        if len(lines) == RAW_CONTROL_LINES:
            lines.append(
                _("{name}:{line}: … and more lines with control characters").format(
                    name=name, line=line
                )
            )
            break
        line_start = raw.rfind(b"\n", 0, start) + 1
        column = len(raw[line_start:start].decode("utf-8", "replace")) + 1
        code = ord(match.group().decode("utf-8"))
        message = (
            _("{name}:{line}: a NUL byte (U+{code}) at column {column}; delete it")
            if code == 0
            else _("{name}:{line}: a control character (U+{code}) at column {column}; delete it")
        )
        lines.append(message.format(name=name, line=line, code=f"{code:04X}", column=column))
        line_end = raw.find(b"\n", start)  # one report per line
        match = None if line_end < 0 else RAW_CONTROL_RE.search(raw, line_end)
    return lines


def parse_yaml(raw: bytes, name: str) -> tuple[Any, Locate]:
    """Plain data from UTF-8 YAML bytes, and how to find the line of a location in it.

    libyaml's events are read by `registry.yamlload` (fast, YAML 1.2 as ruamel.yaml reads it);
    the rare file that uses more of YAML is read by ruamel.yaml itself."""
    raw_controls = raw_control_problems(raw, name)
    if raw_controls:
        raise ConfigError(raw_controls)
    try:
        data, lines = yamlload.load(raw)
    except yamlload.YAMLLimit as exc:
        raise ConfigError(
            [
                _("{name}:{line}: YAML: {problem}").format(
                    name=name, line=exc.line, problem=exc.problem
                )
            ]
        ) from None
    except yamlload.YAMLProblem as exc:
        raise ConfigError(
            [syntax_error(name, raw, exc.line, exc.problem, exc.context_line)]
        ) from None
    except yamlload.Unsupported:
        tree = _ruamel_tree(raw.decode("utf-8"), name)
        return to_plain(tree), lambda loc: line_of(loc, tree)
    return data, lambda loc: lines.line_of(loc, data)


def read_yaml(path: Path) -> Any:
    """Parse `path` as a ruamel.yaml round-trip tree (for editing), or raise ConfigError."""
    return _ruamel_tree(read_bytes(path).decode("utf-8"), str(path))


def validate_data(
    data: Any,
    *,
    source_name: str,
    tree: Any = None,
    today: dt.date | None = None,
    locate: Locate | None = None,
) -> LoadedConfig:
    """Validate parsed config data; raise ConfigError with every problem, or return the config.

    `locate` gives the line of a location; by default it is read from `tree` (or `data`), a
    ruamel.yaml round-trip tree.
    """
    if locate is None:
        tree = data if tree is None else tree
        locate = lambda loc: line_of(loc, tree)  # noqa: E731
    plain = to_plain(data)
    return _validate_plain(plain, source_name=source_name, locate=locate, today=today)


def _validate_plain(
    plain: Any,
    *,
    source_name: str,
    locate: Locate,
    today: dt.date | None,
    check_controls: bool = True,
    text: bytes | None = None,
) -> LoadedConfig:
    """Validate plain data; `text`, the file it was read from, lets a refused key or value
    typed with a full-width colon or space name the line to fix (`with_hints`)."""
    if plain is None:
        plain = {}
    if not isinstance(plain, dict):
        first = _("{name}:1: the file must be a mapping of keys (jurisdiction: …)").format(
            name=source_name
        )
        if text is not None:  # `jurisdiction：博爱县` alone is one line of text
            lines = _text_lines(text)
            content = next((n for n, line in enumerate(lines, 1) if _content(line)), 1)
            first = with_hints(first, source_name, lines, range(1, content + 1))
        raise ConfigError([first])
    today = today or dt.datetime.now(LOCAL_TZ).date()
    text_lines: list[str] = []

    def fmt(problem: Problem) -> str:
        line = locate(problem.loc)
        message = printable(
            f"{source_name}:{line}: {display_path(problem.loc, plain)}: {problem.message}"
        )
        if text is None or not problem.loc:
            return message
        key_colon, key_space = fullwidth_in(problem.loc[-1])
        value_colon, value_space = fullwidth_in(value_at(problem.loc, plain))
        colon, space = key_colon or value_colon, key_space or value_space
        if not (colon or space):
            return message
        if not text_lines:
            text_lines.extend(_text_lines(text))
        # The first line from the problem's own that shows the character where YAML wanted an
        # ASCII one; none (a quoted value, an escape): no hint.
        for number in range(line, min(line + HINT_LOOKAHEAD, len(text_lines)) + 1):
            hinted = with_hints(
                message, source_name, text_lines, [number], colon=colon, space=space
            )
            if hinted != message:
                return hinted
        return message

    config, problems = find_problems(plain, today, check_controls=check_controls)
    errors = [fmt(p) for p in problems if p.severity == "error"]
    warnings = sorted_lines(fmt(p) for p in problems if p.severity == "warning")
    if errors or config is None:
        raise ConfigError(sorted_lines(errors), warnings)
    return LoadedConfig(config=config, path=Path(source_name), warnings=warnings, locate=locate)


def validate_text(
    raw: bytes, *, source_name: str, today: dt.date | None = None, keep_text: bool = False
) -> LoadedConfig:
    """Parse and validate config text (UTF-8 bytes): what `load_config` does after reading.
    `keep_text`: keep the text and its lines on the result, for an edit."""
    with bulk_allocation():
        data, locate = parse_yaml(raw, source_name)
        loaded = _validate_plain(
            data,
            source_name=source_name,
            locate=locate,
            today=today,
            check_controls=ESCAPE_RE.search(raw) is not None,
            text=raw,
        )
    if keep_text:
        loaded.text = raw
    else:
        loaded.locate = None
    return loaded


def load_config(
    path: str | Path, *, today: dt.date | None = None, keep_text: bool = False
) -> LoadedConfig:
    """Read and validate config.yaml. Raises ConfigError; never a traceback for a user mistake.
    `keep_text`: see `validate_text`."""
    path = Path(path)
    loaded = validate_text(
        read_bytes(path), source_name=str(path), today=today, keep_text=keep_text
    )
    loaded.path = path
    return loaded


def store_url(loaded: LoadedConfig) -> str:
    """The store as a SQLAlchemy URL; a bare path is a SQLite file relative to config.yaml."""
    store = loaded.config.store
    if "://" in store:
        return store
    path = Path(store)
    if not path.is_absolute():
        path = loaded.base_dir / path
    return f"sqlite:///{path}"


def output_dir(loaded: LoadedConfig) -> Path:
    """The output folder, relative to config.yaml unless absolute."""
    path = Path(loaded.config.output_dir)
    return path if path.is_absolute() else loaded.base_dir / path
