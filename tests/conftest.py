"""Shared fixtures. Time is an input: tests pass `today`/`now` explicitly."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

# Each area keeps its fixtures in its own module, so that parallel work never edits this file.
pytest_plugins = [
    "tests.fixtures.store",
    "tests.fixtures.simulator",
    "tests.fixtures.sources",
    "tests.fixtures.compliance",
    "tests.fixtures.reports",
    "tests.fixtures.cycle",
]

# The suite reads the command line in English (its message ids); tests/test_i18n.py and the
# Chinese tests ask for Chinese explicitly. Set before any test so subprocesses inherit it.
for _variable in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
    os.environ.pop(_variable, None)
os.environ["LANG"] = "en_US.UTF-8"
# The environment a test gives CliRunner for the default language, Chinese: no locale at all.
CHINESE = dict.fromkeys(("LANG", "LC_ALL", "LC_MESSAGES"))

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CONFIG = ROOT / "config.yaml"
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(autouse=True)
def english_messages() -> None:
    """Each test starts in English: a Chinese command run by an earlier test leaves the process's
    language (registry.i18n) behind, and library calls made directly would speak it."""
    from registry.i18n import use_language

    use_language("en")


@pytest.fixture
def sample_config(tmp_path: Path) -> Path:
    """A copy of the sample ledger in a temporary folder (its store lands there too)."""
    target = tmp_path / "config.yaml"
    shutil.copy(SAMPLE_CONFIG, target)
    return target
