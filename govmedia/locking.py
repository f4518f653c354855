"""One cycle at a time, for the cron runner and the schedule loop alike.

A SQLite store is guarded by a file lock (the filelock package: flock) on a file beside it
(`govmedia.sqlite3.lock`).
A PostgreSQL store is guarded by a session-level advisory lock on a connection held for the
cycle. Either way the operating system or the server releases the lock when its holder dies, so a
lock left by a killed process is recovered by the next run, never waited out. The holder writes
its pid, host, command and start time where a second run can read them (the lock file, or the
connection's `application_name`), so that the second run exits at once saying who holds it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from registry.constants import LOCAL_TZ

log = logging.getLogger("govmedia.lock")

# pg_try_advisory_lock(bigint): a fixed key derived from our name, kept positive.
ADVISORY_KEY = int.from_bytes(hashlib.sha1(b"govmedia.cycle").digest()[:8], "big") & (2**63 - 1)


@dataclass(frozen=True)
class Holder:
    """Who holds the cycle lock."""

    pid: int
    host: str
    command: str
    started: str  # ISO instant, local time

    def describe(self) -> str:
        started = dt.datetime.fromisoformat(self.started).astimezone(LOCAL_TZ)
        return (
            f"pid {self.pid} on {self.host} (`govmedia {self.command}`), "
            f"started {started:%Y-%m-%d %H:%M:%S} {LOCAL_TZ.key}"
        )


class LockHeld(Exception):
    """Another cycle runs: the message names it and says what to do."""


def _me(command: str, now: dt.datetime | None = None) -> Holder:
    started = (now or dt.datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ)
    return Holder(
        pid=os.getpid(),
        host=socket.gethostname(),
        command=command,
        started=started.isoformat(timespec="seconds"),
    )


def lock_path_for(url: str) -> Path:
    """The lock file beside a SQLite store (`sqlite:///data/x.sqlite3` → `data/x.sqlite3.lock`)."""
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
    if not path or path == ":memory:":
        return Path(tempfile.gettempdir()) / "govmedia-memory-store.lock"
    return Path(path + ".lock")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_holder(text: str) -> Holder | None:
    try:
        return Holder(**json.loads(text))
    except (ValueError, TypeError):
        return None


@contextmanager
def file_lock(path: Path, *, command: str) -> Iterator[Holder]:
    """Hold the file lock on `path` for the block, or raise LockHeld naming its holder.

    filelock takes the lock (flock where the file system has it, its own soft lock where it
    has not, as on some network shares) and, unlike a plain open, never truncates the file
    while another process holds it, so the holder's name stays readable there."""
    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, timeout=0, mode=0o644)
    try:
        lock.acquire()
    except Timeout:
        holder = _read_holder(_read_text(path))
        who = holder.describe() if holder else "another process"
        raise LockHeld(
            f"another govmedia cycle is running: {who}; lock file {path}. "
            "This run did nothing; let that one finish (the next scheduled run will go on)."
        ) from None
    try:
        previous = _read_holder(_read_text(path))
        if previous is not None and not (previous.pid == os.getpid() or _pid_alive(previous.pid)):
            log.warning(
                "recovered the cycle lock left by a process that is gone",
                extra={"previous": previous.describe(), "lock": str(path)},
            )
        me = _me(command)
        _write_text(path, json.dumps(asdict(me)))
        try:
            yield me
        finally:
            _write_text(path, "")
    finally:
        lock.release()


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return ""


def _write_text(path: Path, text: str) -> None:
    """Rewrite the lock file in place (never replace it: the lock is on this very file)."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode(), 0)
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def advisory_lock(url: str, *, command: str) -> Iterator[Holder]:
    """Hold a PostgreSQL advisory lock for the block, on a connection of its own."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    me = _me(command)
    label = f"govmedia {command} pid {me.pid} on {me.host}"[:63]  # the server keeps 63 bytes
    engine = create_engine(
        url, poolclass=NullPool, connect_args={"application_name": label}, future=True
    )
    try:
        with engine.connect() as conn:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
            ).scalar()
            if not got:
                raise LockHeld(
                    f"another govmedia cycle is running: {_pg_holder(conn)}. "
                    "This run did nothing; let that one finish (the next scheduled run will go on)."
                )
            try:
                yield me
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                conn.commit()
    finally:
        engine.dispose()


def _pg_holder(conn: object) -> str:
    """Who holds our advisory lock, from pg_locks and pg_stat_activity."""
    from sqlalchemy import text

    row = conn.execute(  # type: ignore[attr-defined]
        text(
            "SELECT a.pid, a.backend_start, a.application_name, a.client_addr "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1"
        ),
        {"hi": ADVISORY_KEY >> 32, "lo": ADVISORY_KEY & 0xFFFFFFFF},
    ).first()
    if row is None:
        return "another session (it may have just finished)"
    started = row.backend_start.astimezone(LOCAL_TZ)
    match = re.match(r"^govmedia (\S+) pid (\d+) on (\S+)", row.application_name or "")
    who = (
        f"pid {match.group(2)} on {match.group(3)} (`govmedia {match.group(1)}`)"
        if match
        else f"session {row.application_name or '(no name)'}"
    )
    where = f" from {row.client_addr}" if row.client_addr else ""
    return (
        f"{who}, connected{where} at {started:%Y-%m-%d %H:%M:%S} {LOCAL_TZ.key} "
        f"(server backend {row.pid})"
    )


@contextmanager
def cycle_lock(url: str, *, command: str = "run") -> Iterator[Holder]:
    """The lock that keeps cycles apart, chosen by the store's URL. Raises LockHeld."""
    if url.startswith("postgresql"):
        with advisory_lock(url, command=command) as holder:
            yield holder
    else:
        with file_lock(lock_path_for(url), command=command) as holder:
            yield holder
