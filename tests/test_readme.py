"""README.md keeps in step with the code: every config key of the models is documented (with its
default), and the two set-up commands are there.

Run `python -m tests.test_readme` to print reference rows for keys the README lacks.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from registry.models import Config

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|")
CELL = re.compile(r"(?<!\\)\|")  # a cell border; `\|` inside a cell is a literal bar


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type, whether None is allowed)."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(get_args(annotation))
            if len(args) != 1:
                return annotation, optional
            annotation = args[0]
        else:
            return annotation, optional


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def type_name(annotation: Any) -> str:
    annotation, optional = _unwrap(annotation)
    origin = get_origin(annotation)
    if origin is Literal:
        name = " \\| ".join(str(a) for a in get_args(annotation))
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        name = " \\| ".join(str(m.value) for m in annotation)
    elif origin in (list, tuple, set):
        name = f"list of {type_name(get_args(annotation)[0])}"
    elif origin is dict:
        name = f"mapping of {type_name(get_args(annotation)[1])}"
    elif _is_model(annotation):
        name = "mapping"
    else:
        name = {
            str: "text",
            int: "integer",
            float: "number",
            bool: "true \\| false",
            dt.date: "date",
            dt.datetime: "date-time",
        }.get(annotation, getattr(annotation, "__name__", str(annotation)))
    return name


def default_text(info: Any) -> str | None:
    """The default as the README shows it, or None when it is not a plain value."""
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        value = info.default_factory()
        if isinstance(value, BaseModel):
            return None
    else:
        value = info.default
    if value is None or value is PydanticUndefined:
        return "—"
    if isinstance(value, BaseModel):
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (int, float, str)):
        return f"`{value}`"
    if isinstance(value, (list, tuple)):
        return "`[" + ", ".join(str(getattr(v, "value", v)) for v in value) + "]`"
    return None


def config_keys(
    model: type[BaseModel] = Config, prefix: str = ""
) -> Iterator[tuple[str, Any, Any]]:
    """(key, annotation, field info) for every key, walking models, lists and mappings.

    A list of mappings is written `key[].sub`; a mapping of named entries `key.<name>.sub`; and
    when several keys of one mapping share a model (sources.weibo, sources.wechat, …), their keys
    are written once, as `sources.<name>.sub`.
    """
    fields = model.model_fields
    shared: dict[Any, int] = {}
    for info in fields.values():
        inner, _ = _unwrap(info.annotation)
        if _is_model(inner):
            shared[inner] = shared.get(inner, 0) + 1
    done: set[Any] = set()
    for name, info in fields.items():
        key = f"{prefix}{name}"
        yield key, info.annotation, info
        inner, _ = _unwrap(info.annotation)
        origin = get_origin(inner)
        if _is_model(inner):
            if shared[inner] > 1:
                if inner not in done:
                    done.add(inner)
                    yield from config_keys(inner, f"{prefix}<name>.")
            else:
                yield from config_keys(inner, f"{key}.")
        elif origin in (list, tuple) and _is_model(_unwrap(get_args(inner)[0])[0]):
            yield from config_keys(_unwrap(get_args(inner)[0])[0], f"{key}[].")
        elif origin is dict and _is_model(_unwrap(get_args(inner)[1])[0]):
            yield from config_keys(_unwrap(get_args(inner)[1])[0], f"{key}.<name>.")


def documented() -> dict[str, tuple[str, str, str]]:
    rows = {}
    for line in README.splitlines():
        match = ROW.match(line)
        cells = [c.strip() for c in CELL.split(line.strip())[1:-1]]
        if match and len(cells) >= 4:
            rows[match.group(1)] = (cells[1], cells[2], cells[3])
    return rows


def row_for(key: str, annotation: Any, info: Any) -> str:
    meaning = (info.description or "").replace("|", "\\|")
    return f"| `{key}` | {type_name(annotation)} | {default_text(info) or '—'} | {meaning} |"


KEYS = list(config_keys())


def test_every_config_key_is_in_the_readme():
    rows = documented()
    missing = [row_for(*k) for k in KEYS if k[0] not in rows]
    assert not missing, (
        "README.md's configuration reference lacks these keys; add the rows (between the "
        "<!-- config-reference --> markers, or in your area's section):\n" + "\n".join(missing)
    )


def test_documented_defaults_match_the_models():
    rows = documented()
    wrong = []
    for key, _, info in KEYS:
        expected = default_text(info)
        if key in rows and expected is not None and rows[key][1] != expected:
            wrong.append(f"`{key}`: README says {rows[key][1]}, the model says {expected}")
    assert not wrong, "README.md defaults out of step:\n" + "\n".join(wrong)


def test_no_documented_key_is_stale():
    known = {k for k, _, _ in KEYS}
    section = README.split("<!-- config-reference -->")[1].split("<!-- /config-reference -->")[0]
    stale = [
        m.group(1)
        for line in section.splitlines()
        if (m := ROW.match(line)) and m.group(1) not in known
    ]
    assert not stale, f"README.md documents keys the models do not have: {stale}"


@pytest.mark.parametrize(
    "command",
    [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/govmedia demo",
        'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/pytest',
    ],
)
def test_the_two_setup_commands(command: str):
    assert f"\n{command}\n" in README


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert 'pip install --quiet -e ".[test]"' in ci and ".venv/bin/pytest" in ci


def test_every_secret_variable_is_documented():
    from registry.constants import SECRET_ENV_VARS

    section = README.split("## Secrets")[1]
    missing = [name for name in SECRET_ENV_VARS if f"`{name}`" not in section]
    assert not missing, f"README.md's Secrets section does not name: {missing}"


if __name__ == "__main__":  # print rows for the keys the README lacks
    rows = documented()
    for key in KEYS:
        if len(sys.argv) > 1 or key[0] not in rows:
            print(row_for(*key))
