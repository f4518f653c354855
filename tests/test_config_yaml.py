"""The fast libyaml reader and ruamel.yaml (which the editing commands use) read the same text
the same way: YAML 1.2, as ruamel.yaml resolves it."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from ruamel.yaml import YAML

from registry import yamlload
from registry.config import ConfigError, validate_text
from tests.conftest import SAMPLE_CONFIG, TODAY
from tests.test_config import BASE

SCALARS = [
    # YAML 1.1 booleans are text in 1.2
    "off",
    "on",
    "yes",
    "no",
    "y",
    "n",
    "Off",
    "YES",
    # 1.2 booleans and nulls
    "true",
    "True",
    "FALSE",
    "null",
    "~",
    "Null",
    "",
    # integers: leading zeros are decimal in 1.2, 0o is octal, 0x hex, underscores
    "010",
    "0123456",
    "0o17",
    "0x1F",
    "0b101",
    "1_000",
    "-12",
    "+7",
    "0",
    # sexagesimal (1.1 only) stays text; floats
    "17:30",
    "1:30:00",
    "3.14",
    "1e3",
    "-.5",
    ".inf",
    "-.Inf",
    "1.5e-3",
    # dates and times
    "2019-03-01",
    "2019-3-1",
    "2019-03-01 10:00:00",
    "2019-03-01T10:00:00+08:00",
    "2019-03-01T10:00:00.123456Z",
    "2019-03-01 10:00:00 -05:00",
    "2019-02-30",
    # text that looks like something else
    "13800000000",
    "0391-8621001",
    "MzA5NjExMjQ0MQ==",
    "+86 138",
    "1.2.3",
    "0.1.0",
    "x010",
    "博爱县",
    "null-ish",
    "<<",
]


def _ruamel_plain(text: str):
    return yamlload.plain(YAML(typ="rt").load(text))


@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("quote", ["", "'", '"'])
def test_scalars_agree(scalar: str, quote: str):
    if scalar == "<<" and not quote:
        pytest.skip("a merge key is not a value")
    text = f"value: {quote}{scalar}{quote}\nlist: [{quote}{scalar}{quote}]\n"
    if scalar == "2019-02-30" and not quote:
        # ruamel.yaml raises ValueError (day out of range) on this; the fast reader keeps the
        # text so that the model can say which day is impossible.
        fast, _ = yamlload.load(text.encode())
        assert fast == {"value": "2019-02-30", "list": ["2019-02-30"]}
        return
    fast, _ = yamlload.load(text.encode())
    slow = _ruamel_plain(text)
    if isinstance(slow["value"], float) and math.isnan(slow["value"]):
        assert math.isnan(fast["value"])
        return
    assert fast == slow
    assert type(fast["value"]) is type(slow["value"])


def test_known_meanings():
    """The cases a clerk trips over, spelled out."""
    data, _ = yamlload.load(
        b"a: off\nb: yes\nc: 010\nd: 2019-03-01\ne: '2019-03-01'\nf: 0o10\ng: 17:30\n"
        b"h: 2019-03-01T10:00:00+08:00\n"
    )
    assert data["a"] == "off" and data["b"] == "yes"
    assert data["c"] == 10 and data["f"] == 8
    assert data["d"] == dt.date(2019, 3, 1) and data["e"] == "2019-03-01"
    assert data["g"] == "17:30"
    assert data["h"] == dt.datetime(2019, 3, 1, 2, 0, tzinfo=dt.UTC)


def test_structures_agree():
    text = """\
# comment
top:
  - {a: 1, b: [x, "y", 'z']}
  - plain
  - - nested
    - 2
  - ? explicit
    : key
anchors:
  base: &base {k: v}
  copy: *base
block: |
  line one
  line two
folded: >
  folded
  text
empty:
123: numeric key
true: bool key
"""
    fast, _ = yamlload.load(text.encode())
    assert fast == _ruamel_plain(text)


def test_sample_ledger_agrees():
    raw = SAMPLE_CONFIG.read_bytes()
    fast, _ = yamlload.load(raw)
    assert fast == _ruamel_plain(raw.decode())


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",
        "value: !!binary aGVsbG8=\n",
        "value: !custom thing\n",
        "%YAML 1.1\n---\nvalue: yes\n",
        "? [a, b]\n: complex key\n",
    ],
)
def test_beyond_plain_data_falls_back_to_ruamel(text: str):
    with pytest.raises(yamlload.Unsupported):
        yamlload.load(text.encode())


def test_fallback_still_validates_with_lines():
    """A ledger using a merge key goes through ruamel.yaml and keeps its line numbers."""
    text = BASE.replace("jurisdiction: 博爱县\n", "jurisdiction: 博爱县\nx: &owner {name: 张伟}\n")
    text = text.replace('owner: {name: 张伟, phone: "13903910011"}', "owner: {<<: *owner}")
    with pytest.raises(ConfigError) as caught:
        validate_text(text.encode(), source_name="config.yaml", today=TODAY)
    assert caught.value.lines == [
        "config.yaml:2: x: unknown key; allowed here: "
        + caught.value.lines[0].split("allowed here: ")[1],
        "config.yaml:12: departments[gaj].accounts[gaj-weibo].owner: add a phone or an e-mail (责任到人)",
    ]


def test_second_document_is_refused():
    with pytest.raises(yamlload.YAMLProblem) as caught:
        yamlload.load(b"a: 1\n---\nb: 2\n")
    assert (caught.value.line, caught.value.problem) == (
        2,
        "a second document (---); config.yaml holds one",
    )


def test_lines_of_keys_items_and_missing_keys():
    text = b"""\
# header comment
a: 1
list:
  - x
  -
    k: v
  - {f: 1,
     g: 2}
nested:
  inner:
    deep: 1
"""
    data, lines = yamlload.load(text)
    assert lines.line_of(("a",), data) == 2
    assert lines.line_of(("list", 0), data) == 4
    assert lines.line_of(("list", 1), data) == 6  # a mapping item starts at its first key
    assert lines.line_of(("list", 1, "k"), data) == 6
    assert lines.line_of(("list", 2, "g"), data) == 8
    assert lines.line_of(("nested", "inner", "deep"), data) == 11
    # a key that is not there: the line of the mapping that lacks it
    assert lines.line_of(("nested", "inner", "missing"), data) == 10
    assert lines.line_of(("list", 1, "missing"), data) == 6
    assert lines.line_of(("nope",), data) == 2  # the document's first key
