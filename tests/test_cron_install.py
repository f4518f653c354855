"""`govmedia cron --install / --uninstall` merges our block into the user's crontab and keeps
every other line byte for byte. `crontab` itself is a test double (an external program): a tiny
script on PATH that stores the table in a file, as `crontab -l` / `crontab -` would."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from govmedia.cli import main
from govmedia.crontab_install import CrontabError, with_block, without_block

FAKE_CRONTAB = """#!/bin/sh
store="$FAKE_CRONTAB_FILE"
case "$1" in
  -l) if [ -f "$store" ]; then cat "$store"; else echo "no crontab for tester" >&2; exit 1; fi ;;
  -) cat > "$store" ;;
  *) exit 2 ;;
esac
"""

FOREIGN = (
    b"MAILTO=ops@example.org\n"
    b"# backups, keep exactly as written   \n"
    b"0 3 * * *  /usr/local/bin/backup --all\t# tab inside\n"
)


@pytest.fixture
def fake_crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "crontab"
    script.write_text(FAKE_CRONTAB)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    store = tmp_path / "crontab.txt"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_CRONTAB_FILE", str(store))
    return store


@pytest.fixture
def shanghai_machine(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def cron(config: Path, *flags: str):
    return CliRunner().invoke(main, ["cron", "-c", str(config), *flags], catch_exceptions=False)


def block_lines(table: bytes, config: Path) -> list[bytes]:
    lines = table.splitlines()
    start = lines.index(f"# BEGIN govmedia {config.resolve()}".encode())
    end = lines.index(f"# END govmedia {config.resolve()}".encode())
    return lines[start : end + 1]


def test_install_keeps_other_lines_and_is_idempotent(
    sample_config: Path, fake_crontab: Path, shanghai_machine
):
    fake_crontab.write_bytes(FOREIGN)
    result = cron(sample_config, "--install")
    assert result.exit_code == 0, result.output
    assert "installed" in result.stdout
    assert result.stderr == ""  # same zone: no warning
    table = fake_crontab.read_bytes()
    assert table.startswith(FOREIGN)
    block = block_lines(table, sample_config)
    printed = cron(sample_config).stdout.encode().splitlines()
    assert block[1:-1] == printed
    assert table == FOREIGN + b"\n".join(block) + b"\n"

    again = cron(sample_config, "--install")
    assert again.exit_code == 0
    assert "already up to date" in again.stdout
    assert fake_crontab.read_bytes() == table


def test_reinstall_replaces_only_our_block_and_moves_it_last(
    sample_config: Path, fake_crontab: Path, shanghai_machine
):
    resolved = sample_config.resolve()
    old_block = f"# BEGIN govmedia {resolved}\nCRON_TZ=Asia/Shanghai\n0 1 * * * old\n# END govmedia {resolved}\n"
    other_ledger = (
        "# BEGIN govmedia /srv/other.yaml\n0 2 * * * other\n# END govmedia /srv/other.yaml\n"
    )
    fake_crontab.write_bytes(
        FOREIGN + old_block.encode() + other_ledger.encode() + b"5 5 * * * tail-job"
    )
    assert cron(sample_config, "--install").exit_code == 0
    table = fake_crontab.read_bytes()
    assert b"0 1 * * * old" not in table
    rest = FOREIGN + other_ledger.encode() + b"5 5 * * * tail-job\n"
    assert table.startswith(rest)
    assert table[len(rest) :].startswith(f"# BEGIN govmedia {resolved}\n".encode())
    assert table.endswith(f"# END govmedia {resolved}\n".encode())


def test_uninstall_removes_only_our_block(
    sample_config: Path, fake_crontab: Path, shanghai_machine
):
    fake_crontab.write_bytes(FOREIGN)
    assert cron(sample_config, "--install").exit_code == 0
    result = cron(sample_config, "--uninstall")
    assert result.exit_code == 0
    assert "removed" in result.stdout
    assert fake_crontab.read_bytes() == FOREIGN
    again = cron(sample_config, "--uninstall")
    assert "nothing changed" in again.stdout
    assert fake_crontab.read_bytes() == FOREIGN


def test_install_on_a_user_without_crontab(
    sample_config: Path, fake_crontab: Path, shanghai_machine
):
    assert not fake_crontab.exists()
    assert cron(sample_config, "--install").exit_code == 0
    assert fake_crontab.read_bytes().startswith(
        f"# BEGIN govmedia {sample_config.resolve()}\n".encode()
    )


def test_install_warns_when_the_machine_zone_differs(
    sample_config: Path, fake_crontab: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        result = cron(sample_config, "--install")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert result.exit_code == 0
    assert (
        "warning: this machine's time zone (Europe/Berlin) is not the ledger's (Asia/Shanghai)"
        in result.stderr
    )
    assert "CRON_TZ=Asia/Shanghai, which cronie honours" in result.stderr
    assert b"CRON_TZ=Asia/Shanghai" in fake_crontab.read_bytes()


def test_an_unterminated_block_is_refused_and_nothing_written(
    sample_config: Path, fake_crontab: Path, shanghai_machine
):
    broken = FOREIGN + f"# BEGIN govmedia {sample_config.resolve()}\n0 1 * * * x\n".encode()
    fake_crontab.write_bytes(broken)
    result = cron(sample_config, "--install")
    assert result.exit_code == 1
    assert "crontab line 4:" in result.stderr and "has no matching" in result.stderr
    assert fake_crontab.read_bytes() == broken


def test_block_merge_is_pure_and_exact():
    table = with_block(b"a\nb", "/x.yaml", ["CRON_TZ=Asia/Shanghai", "1 2 * * * run"])
    assert table == (
        b"a\nb\n# BEGIN govmedia /x.yaml\nCRON_TZ=Asia/Shanghai\n1 2 * * * run\n# END govmedia /x.yaml\n"
    )
    assert without_block(table, "/x.yaml") == (b"a\nb\n", True)
    assert without_block(b"a\n", "/x.yaml") == (b"a\n", False)
    with pytest.raises(CrontabError):
        without_block(b"# BEGIN govmedia /x.yaml\n", "/x.yaml")
