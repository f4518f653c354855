"""Reading config.yaml, the ledger (台账): bytes, YAML, the models, and every problem at once.

Loading never raises a pydantic traceback at a user: `ConfigError` carries all the problems
(registry/problems.py), each formatted as
``config.yaml:LINE: departments[gaj].accounts[gaj-weibo].owner: message``.
The models themselves are in registry/models.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
)

from registry import yamlload
from registry.bulk import bulk_allocation
from registry.constants import (
    LOCAL_TZ,
)
from registry.models import Config
from registry.problems import Problem, display_path, find_problems, line_of, sorted_lines, to_plain

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo in config.yaml must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


# ---------------------------------------------------------------------------------------------
# Loading

Locate = Callable[[Sequence[str | int]], int]


@dataclass
class LoadedConfig:
    """A valid config, where it came from, and the warnings it passed with."""

    config: Config
    path: Path
    warnings: list[str] = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        return self.path.parent


class ConfigError(Exception):
    """config.yaml cannot be used. `lines` are ready to print, one problem each."""

    def __init__(self, lines: list[str], warnings: Sequence[str] = ()) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.warnings = list(warnings)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, checked to be UTF-8 (a byte-order mark is dropped), or ConfigError."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [f"{name}: no such file; create it (see README.md) or pass -c PATH"]
        ) from None
    except IsADirectoryError:
        raise ConfigError([f"{name}: is a folder; pass the ledger file with -c PATH"]) from None
    except OSError as exc:
        raise ConfigError([f"{name}: cannot read: {exc.strerror}"]) from None
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            [f"{name}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"]
        ) from None
    return raw


def _ruamel_tree(text: str, name: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise ConfigError([f"{name}:{line}: YAML syntax: {problem}"]) from None
    except (YAMLError, ValueError, TypeError) as exc:
        raise ConfigError([f"{name}: YAML: {' '.join(str(exc).split())}"]) from None


def parse_yaml(raw: bytes, name: str) -> tuple[Any, Locate]:
    """Plain data from UTF-8 YAML bytes, and how to find the line of a location in it.

    libyaml's events are read by `registry.yamlload` (fast, YAML 1.2 as ruamel.yaml reads it);
    the rare file that uses more of YAML is read by ruamel.yaml itself."""
    try:
        data, lines = yamlload.load(raw)
    except yamlload.YAMLProblem as exc:
        raise ConfigError([f"{name}:{exc.line}: YAML syntax: {exc.problem}"]) from None
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
    plain: Any, *, source_name: str, locate: Locate, today: dt.date | None
) -> LoadedConfig:
    if plain is None:
        plain = {}
    if not isinstance(plain, dict):
        raise ConfigError(
            [f"{source_name}:1: the file must be a mapping of keys (jurisdiction: …)"]
        )
    today = today or dt.datetime.now(LOCAL_TZ).date()

    def fmt(problem: Problem) -> str:
        return (
            f"{source_name}:{locate(problem.loc)}: "
            f"{display_path(problem.loc, plain)}: {problem.message}"
        )

    config, problems = find_problems(plain, today)
    errors = [fmt(p) for p in problems if p.severity == "error"]
    warnings = sorted_lines(fmt(p) for p in problems if p.severity == "warning")
    if errors or config is None:
        raise ConfigError(sorted_lines(errors), warnings)
    return LoadedConfig(config=config, path=Path(source_name), warnings=warnings)


def validate_text(raw: bytes, *, source_name: str, today: dt.date | None = None) -> LoadedConfig:
    """Parse and validate config text (UTF-8 bytes): what `load_config` does after reading."""
    with bulk_allocation():
        data, locate = parse_yaml(raw, source_name)
        return _validate_plain(data, source_name=source_name, locate=locate, today=today)


def load_config(path: str | Path, *, today: dt.date | None = None) -> LoadedConfig:
    """Read and validate config.yaml. Raises ConfigError; never a traceback for a user mistake."""
    path = Path(path)
    loaded = validate_text(read_bytes(path), source_name=str(path), today=today)
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
