"""benchmarks/report.py at a small size: it renders what it times, checks its own output, and
never deletes a store it was given (two runs sharing one --db path once did, and a running
report printed "0 account pages")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "report.py"


def bench(*args: str, accounts: int = 40) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--accounts", str(accounts), "--weeks", "14", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_renders_every_format_and_a_page_per_account_with_forked_writers(tmp_path):
    result = bench("--db", str(tmp_path / "b.sqlite3"), "--parallel-min-accounts", "0")
    assert result.returncode == 0, result.stderr
    assert "40 account pages" in result.stdout
    assert "xlsx (waited)" in result.stdout and "pages (waited)" in result.stdout
    assert "report in every format:" in result.stdout

    # --keep reuses the seeded store only when it holds the accounts asked for.
    again = bench("--db", str(tmp_path / "b.sqlite3"), "--keep")
    assert again.returncode == 0, again.stderr
    assert "seeded" not in again.stdout
    other = bench("--db", str(tmp_path / "b.sqlite3"), "--keep", accounts=50)
    assert other.returncode == 1
    assert "holds 40 accounts, not 50: seed a new file" in other.stderr


def test_an_existing_store_is_never_deleted(tmp_path):
    db = tmp_path / "someone-elses.sqlite3"
    db.write_bytes(b"not ours")
    result = bench("--db", str(db))
    assert result.returncode == 1
    assert f"{db} exists: pass --keep to reuse it, or remove it first" in result.stderr
    assert db.read_bytes() == b"not ours"
