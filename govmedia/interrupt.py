"""Stopping on a signal, and failed writes, the same way in every command.

One SIGTERM (or Ctrl-C) stops any command within seconds: the handler raises `Interrupted` in
the main thread, so every `finally` runs (temporary files removed, the cycle lock released, a
crawl child stopped) and the command exits 128 + the signal's number (143 for SIGTERM, 130 for
SIGINT). The crawl, whose main thread runs Scrapy's event loop, stops its own way
(`govmedia.crawling`) and exits with the same code.

A write the operating system refused (a full disk, a file too large, a read-only folder) ends
the command with one line naming the path and what was not recorded, and exit 1 (`WriteFailed`).

In a child process, `die_with_parent` asks Linux to send SIGTERM when the parent dies (even of
`kill -9`), so a crawl never outlives the `govmedia run` that started it.
"""

from __future__ import annotations

import errno as errno_module
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from registry.i18n import N_, _

EXIT_WRITE_FAILED = 1  # like a partial run: something was not done; the line says what

# The environment variable that tells a child the pid it must not outlive.
ENV_PARENT_PID = "GOVMEDIA_PARENT_PID"
_PR_SET_PDEATHSIG = 1


class Interrupted(BaseException):
    """A stop signal arrived. A BaseException, so that `except Exception` cannot swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return exit_code(self.signum)


def exit_code(signum: int) -> int:
    """The shell's convention for a process stopped by a signal: 128 + its number."""
    return 128 + signum


class WriteFailed(Exception):
    """A file or the store could not be written; the message names the path and the loss."""


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


_owner_pid: int | None = None  # the process that installed `raise_interrupted`


def raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    """The signal handler of every command: raise `Interrupted` in the main thread.

    Forked workers (multiprocessing children of a report) are told to stop first, or the
    `finally` that joins them would wait for their whole file; a worker itself inherits this
    handler and leaves quietly (SystemExit: its own `finally` removes its temporary file)."""
    if _owner_pid is not None and os.getpid() != _owner_pid:
        raise SystemExit(exit_code(signum))
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None:
        for child in multiprocessing.active_children():
            child.terminate()
    raise Interrupted(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT raise `Interrupted` (see `raise_interrupted`)."""
    global _owner_pid
    _owner_pid = os.getpid()
    with signals_handled_by(raise_interrupted):
        yield


@contextmanager
def signals_handled_by(handler: object) -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT go to `handler`; the previous handlers after."""
    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}  # type: ignore[arg-type]
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def child_env() -> dict[str, str]:
    """What a child needs in its environment to die with this process (`die_with_parent`)."""
    return {ENV_PARENT_PID: str(os.getpid())}


def die_with_parent() -> None:
    """In a child started with `child_env()`: SIGTERM when the parent dies (Linux), or exit now
    if it is already gone. A no-op elsewhere or without the variable."""
    wanted = os.environ.pop(ENV_PARENT_PID, None)
    if not wanted or not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != int(wanted):  # the parent died before the request was made
        os._exit(exit_code(signal.SIGTERM))


# Errors of the operating system that say a write was refused, not that our input was wrong;
# EEXIST and ENOTDIR: a file stands where a folder of ours (the store's, the output's) should be.
_WRITE_ERRNOS = frozenset(
    getattr(errno_module, name)
    for name in (
        "ENOSPC",
        "EFBIG",
        "EDQUOT",
        "EROFS",
        "EACCES",
        "EPERM",
        "EIO",
        "EEXIST",
        "ENOTDIR",
    )
    if hasattr(errno_module, name)
)
_FULL_ERRNOS = frozenset(
    getattr(errno_module, name)
    for name in ("ENOSPC", "EFBIG", "EDQUOT", "EROFS")
    if hasattr(errno_module, name)
)
# SQLite's words for the same (it reports them as OperationalError, without the path).
_SQLITE_WRITE_ERRORS = (
    N_("database or disk is full"),
    N_("disk i/o error"),
    N_("attempt to write a readonly database"),
    N_("unable to open database file"),
)
# The operating system's words (glibc's strerror) for the refusals above, so that a reader of
# Chinese reads them in Chinese; any other text is shown as the system gave it.
_OS_REASONS = frozenset(
    {
        N_("No space left on device"),
        N_("File too large"),
        N_("Disk quota exceeded"),
        N_("Read-only file system"),
        N_("Permission denied"),
        N_("Operation not permitted"),
        N_("Input/output error"),
        N_("File exists"),
        N_("Not a directory"),
    }
)


def write_failure(
    exc: BaseException, store: str | None = None, *, for_log: bool = False
) -> str | None:
    """`cannot write PATH: reason` when `exc` is a refused write (to a file, or to the SQLite
    store at `store`); None for any other error. In the reader's language, or in English with
    `for_log` (logs stay English)."""
    shown = str if for_log else _
    if isinstance(exc, WriteFailed):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
        where = exc.filename if exc.filename is not None else shown(N_("a file"))
        reason = os_reason(exc, shown)
        # A full disk is surely a write; a refused permission may have been a read.
        if exc.errno in _FULL_ERRNOS:
            line = shown(N_("cannot write {path}: {reason}"))
        else:
            line = shown(N_("cannot access {path}: {reason}"))
        return line.format(path=_final(str(where)), reason=reason)
    orig = getattr(exc, "orig", None)  # a SQLAlchemy error wraps the driver's
    text = str(orig if orig is not None else exc).lower()
    if type(exc).__name__ in {"OperationalError", "DatabaseError"} or orig is not None:
        for words in _SQLITE_WRITE_ERRORS:
            if words in text:
                return shown(N_("cannot write {path}: {reason}")).format(
                    path=store_path(store, for_log=for_log), reason=shown(words)
                )
    return None


def os_reason(exc: OSError, shown: Callable[[str], str] = _) -> str:
    """Why the operating system refused, in the reader's language when we know its words."""
    reason = exc.strerror or str(exc)
    return shown(reason) if reason in _OS_REASONS else reason


def _final(path: str) -> str:
    """A temporary file of an atomic write is named after its target: name the target."""
    name = os.path.basename(path)
    folder = os.path.dirname(path)
    if name.startswith(".") and name.endswith(".tmp") and name.count(".") >= 3:
        return os.path.join(folder, name[1:].rsplit(".", 2)[0])
    return path


def store_path(url: str | None, *, for_log: bool = False) -> str:
    """The store's file for a SQLite URL, else the URL without its password."""
    if not url:
        return N_("the store") if for_log else _("the store")
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    from registry.secrets import redact

    return redact(url)
