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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from registry.constants import LOCAL_TZ
from registry.i18n import N_, _

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

    def describe(self, shown: Callable[[str], str] = str) -> str:
        """Who and since when; `shown` is `_` for a reader, English (the default) for logs."""
        started = dt.datetime.fromisoformat(self.started).astimezone(LOCAL_TZ)
        return shown(N_("pid {pid} on {host} (`govmedia {command}`), started {started}")).format(
            pid=self.pid,
            host=self.host,
            command=self.command,
            started=f"{started:%Y-%m-%d %H:%M:%S} {LOCAL_TZ.key}",
        )


BUSY = N_(
    "another govmedia cycle is running: {who}. This run did nothing; let that one finish "
    "(the next scheduled run will go on)."
)
BUSY_FILE = N_(
    "another govmedia cycle is running: {who}; lock file {path}. This run did nothing; let "
    "that one finish (the next scheduled run will go on)."
)


class LockHeld(Exception):
    """Another cycle runs: the message names it and says what to do. `str()` is English (for
    the log); `shown` is the same in the reader's language."""

    def __init__(self, english: str, shown: str) -> None:
        super().__init__(english)
        self.shown = shown


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

        def busy(shown: Callable[[str], str]) -> str:
            who = holder.describe(shown) if holder else shown(N_("another process"))
            return shown(BUSY_FILE).format(who=who, path=path)

        raise LockHeld(busy(str), busy(_)) from None
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
                row = _pg_holder(conn)
                raise LockHeld(
                    BUSY.format(who=_pg_who(row, str)), _(BUSY).format(who=_pg_who(row, _))
                )
            try:
                yield me
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                conn.commit()
    finally:
        engine.dispose()


def _pg_holder(conn: object) -> object:
    """The session holding our advisory lock (pg_locks, pg_stat_activity), or None."""
    from sqlalchemy import text

    return conn.execute(  # type: ignore[attr-defined]
        text(
            "SELECT a.pid, a.backend_start, a.application_name, a.client_addr "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1"
        ),
        {"hi": ADVISORY_KEY >> 32, "lo": ADVISORY_KEY & 0xFFFFFFFF},
    ).first()


def _pg_who(row: object, shown: Callable[[str], str]) -> str:
    """Who holds our advisory lock, from `_pg_holder`'s row; `shown` as in `Holder.describe`."""
    if row is None:
        return shown(N_("another session (it may have just finished)"))
    started = row.backend_start.astimezone(LOCAL_TZ)  # type: ignore[attr-defined]
    name = row.application_name or ""  # type: ignore[attr-defined]
    match = re.match(r"^govmedia (\S+) pid (\d+) on (\S+)", name)
    if match:
        who = shown(N_("pid {pid} on {host} (`govmedia {command}`)")).format(
            pid=match.group(2), host=match.group(3), command=match.group(1)
        )
    else:
        who = shown(N_("session {name}")).format(name=name or shown(N_("(no name)")))
    address = row.client_addr  # type: ignore[attr-defined]
    template = (
        N_("{who}, connected from {address} at {started} (server backend {pid})")
        if address
        else N_("{who}, connected at {started} (server backend {pid})")
    )
    return shown(template).format(
        who=who,
        address=address,
        started=f"{started:%Y-%m-%d %H:%M:%S} {LOCAL_TZ.key}",
        pid=row.pid,  # type: ignore[attr-defined]
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
