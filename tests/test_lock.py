"""One cycle at a time, with real processes: a second run exits at once naming the holder, and a
lock left by a killed process is recovered by the next run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from govmedia.locking import cycle_lock, lock_path_for
from tests.fixtures.cycle import wait_for

# Holds the lock until told to let go (a file appears), like a long cycle.
HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from govmedia.locking import cycle_lock
    url, locked, release = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    with cycle_lock(url, command="run"):
        locked.write_text("locked")
        deadline = time.monotonic() + 60
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    """
)

# Tries once, as `govmedia run` does.
TRY = textwrap.dedent(
    """
    import sys
    from govmedia.locking import LockHeld, cycle_lock
    from govmedia.logging_setup import configure_logging
    configure_logging()
    try:
        with cycle_lock(sys.argv[1], command="run"):
            print("acquired")
    except LockHeld as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    """
)


def python(*args: str) -> list[str]:
    return [sys.executable, "-c", *args]


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'govmedia.sqlite3'}"


def hold(store_url: str, tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    locked, release = tmp_path / "locked", tmp_path / "release"
    holder = subprocess.Popen(python(HOLD, store_url, str(locked), str(release)))
    wait_for(locked.exists, what="the first process to take the lock")
    return holder, release


def test_the_lock_file_sits_beside_the_store():
    assert lock_path_for("sqlite:////srv/govmedia/data/govmedia.sqlite3") == Path(
        "/srv/govmedia/data/govmedia.sqlite3.lock"
    )


def test_a_second_cycle_exits_at_once_naming_the_holder(store_url, tmp_path):
    holder, release = hold(store_url, tmp_path)
    try:
        second = subprocess.run(python(TRY, store_url), capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert second.stdout == ""
        message = second.stderr.strip()
        assert message.startswith(f"error: another govmedia cycle is running: pid {holder.pid} on ")
        assert "(`govmedia run`), started " in message
        assert f"lock file {tmp_path / 'data' / 'govmedia.sqlite3.lock'}." in message
        assert message.endswith(
            "This run did nothing; let that one finish (the next scheduled run will go on)."
        )
    finally:
        release.touch()
        assert holder.wait(timeout=60) == 0
    after = subprocess.run(python(TRY, store_url), capture_output=True, text=True, timeout=60)
    assert (after.returncode, after.stdout) == (0, "acquired\n")
    assert "recovered" not in after.stderr


def test_a_lock_left_by_a_killed_process_is_recovered(store_url, tmp_path):
    holder, _release = hold(store_url, tmp_path)
    holder.kill()
    holder.wait(timeout=60)
    lock_file = tmp_path / "data" / "govmedia.sqlite3.lock"
    assert f'"pid": {holder.pid}' in lock_file.read_text()  # the dead holder's note remains

    after = subprocess.run(python(TRY, store_url), capture_output=True, text=True, timeout=60)
    assert (after.returncode, after.stdout) == (0, "acquired\n")
    assert "recovered the cycle lock left by a process that is gone" in after.stderr
    assert f"pid {holder.pid}" in after.stderr
    assert lock_file.read_text() == ""  # released cleanly this time


def test_the_lock_is_released_when_the_block_fails(store_url):
    with pytest.raises(RuntimeError), cycle_lock(store_url):
        raise RuntimeError("a cycle failed")
    with cycle_lock(store_url) as me:
        assert me.pid == os.getpid()


@pytest.mark.skipif(
    not os.environ.get("GOVMEDIA_TEST_POSTGRES_URL"),
    reason="set GOVMEDIA_TEST_POSTGRES_URL=postgresql+psycopg://… to test the advisory lock",
)
def test_postgres_advisory_lock_between_two_processes(tmp_path):
    url = os.environ["GOVMEDIA_TEST_POSTGRES_URL"]
    holder, release = hold(url, tmp_path)
    try:
        second = subprocess.run(python(TRY, url), capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert f"another govmedia cycle is running: pid {holder.pid} on " in second.stderr
        assert "(`govmedia run`), connected from 127.0.0.1 at " in second.stderr
    finally:
        release.touch()
        holder.wait(timeout=60)
    with cycle_lock(url):
        busy = subprocess.run(python(TRY, url), capture_output=True, text=True, timeout=60)
    assert busy.returncode == 1
    assert f"pid {os.getpid()} on " in busy.stderr
