"""The parsers on real bytes: every file of the shared real-pages corpus parses to the truth a
person read from it (its expected.json).

The corpus lives beside the checkout (`<checkout>/../shared/real-pages`), never inside it: these
are other projects' files. `GOVMEDIA_REAL_PAGES` points elsewhere; without the folder the tests
skip. Each file gets one test with the parser expected.json names (`web.parse_column` is
spiders/parsers/web.py's `parse_column`), and one more per extra check on the same body.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from registry.constants import LOCAL_TZ, Outcome
from spiders.parsers.common import ParsedPage, ParseError

CORPUS_ENV = "GOVMEDIA_REAL_PAGES"
# The reading time for a file whose truth names none (only an outcome is checked on it).
DEFAULT_NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=LOCAL_TZ)


def corpus_folder() -> Path:
    override = os.environ.get(CORPUS_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "shared" / "real-pages"


CORPUS = corpus_folder()
EXPECTED_FILE = CORPUS / "expected.json"


def load_cases() -> list[Any]:
    """(file, expectation) pairs: the file's own truth, then each extra check on its body."""
    if not EXPECTED_FILE.is_file():
        return []
    truth = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    cases = []
    for name, expected in truth.items():
        if name.startswith("_"):
            continue
        cases.append(pytest.param(name, expected, id=name))
        for index, check in enumerate(expected.get("checks", [])):
            # The check's own expectations, with the inputs (url, now, extract) of the file's.
            inputs = {k: expected[k] for k in ("url", "now", "extract") if k in expected}
            merged = {**inputs, **check}
            cases.append(pytest.param(name, merged, id=f"{name}::check{index}:{check['parser']}"))
    return cases


CASES = load_cases()

if not CASES:
    # Without the corpus there is nothing to check, in CI too (the lead's CI copies shared/
    # beside the clone, so a missing folder there is a setup question, not a parser failure).
    pytestmark = pytest.mark.skip(f"no real-pages corpus at {CORPUS} (set {CORPUS_ENV})")
    CASES = [pytest.param("", {}, id="no-corpus")]


# ---------------------------------------------------------------------------- helpers

_EXTRACT = re.compile(r"first ```(?P<lang>\w+) block after the heading '(?P<heading>[^']+)'")


def body_of(name: str, expected: dict[str, Any]) -> bytes:
    """The bytes the parser gets: the file, or the fenced block `extract` names (Bilibili's
    docs paste a real response below the endpoint's heading)."""
    raw = (CORPUS / name).read_bytes()
    how = expected.get("extract")
    if not how:
        return raw
    match = _EXTRACT.fullmatch(how)
    assert match, f"unknown extract rule {how!r}"
    text = raw.decode("utf-8")
    heading = text.index("\n" + match["heading"] + "\n")
    fence = "```" + match["lang"]
    start = text.index(fence, heading) + len(fence)
    end = text.index("\n```", start)
    return text[start:end].encode("utf-8")


def instant(value: str) -> dt.datetime:
    """expected.json's time: ISO with an offset, or a bare date (that day 00:00 Shanghai)."""
    if len(value) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), LOCAL_TZ)
    return dt.datetime.fromisoformat(value)


def run_parser(dotted: str, body: bytes, expected: dict[str, Any]) -> Any:
    """Call `module.function` of spiders/parsers with the inputs it takes (url, now)."""
    module_name, function_name = dotted.split(".")
    parser = getattr(importlib.import_module(f"spiders.parsers.{module_name}"), function_name)
    accepted = inspect.signature(parser).parameters
    kwargs: dict[str, Any] = {}
    if "url" in accepted:
        kwargs["url"] = expected["url"]
    if "now" in accepted:
        kwargs["now"] = instant(expected["now"]) if "now" in expected else DEFAULT_NOW
    return parser(body, **kwargs)


# ---------------------------------------------------------------------------- the test


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_real_page_parses_to_its_truth(name: str, expected: dict[str, Any]) -> None:
    body = body_of(name, expected)
    outcome = expected.get("outcome")
    if outcome is not None and outcome != Outcome.OK:
        with pytest.raises(ParseError) as info:
            run_parser(expected["parser"], body, expected)
        assert info.value.outcome == Outcome(outcome), info.value.detail
        return

    result = run_parser(expected["parser"], body, expected)
    if not isinstance(result, ParsedPage):  # weibo.parse_user: the account itself
        for field in ("uid", "screen_name", "statuses_count"):
            if field in expected:
                assert getattr(result, field) == expected[field], field
        return

    posts = result.posts
    assert len(posts) == expected["count"], result.detail
    assert sum(p.pinned for p in posts) == expected.get("pinned", 0)
    dated = [p.published_at for p in posts if not p.pinned]
    latest = max(dated) if dated else None
    assert latest == (instant(expected["latest"]) if expected["latest"] else None)
    if "has_more" in expected:
        assert result.has_more is expected["has_more"]
    assert all(p.published_at.tzinfo is not None for p in posts)
    assert len({p.key for p in posts}) == len(posts), "post keys repeat"
