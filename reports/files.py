"""Atomic file writes: a reader (a browser, a mail job, the site index) never sees half a file.

Each writer writes a temporary file in the target's own folder, then `os.replace`s it over the
target, which is atomic on one file system. There is no fsync: a report lost to a power cut is
simply rendered again (the `reports` table says it is due), and a site of 20,000 account pages
must not wait on 20,000 disk flushes.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

UTF8_BOM = "\ufeff"
UTF8_BOM_BYTES = UTF8_BOM.encode("utf-8")

# Our temporary files: `.<target name>.<mkstemp's 8 characters>.tmp`, beside the target.
TEMP_SUFFIX = ".tmp"
_TEMP_RE = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")
# A temporary file this old is stale even where we cannot see whether a process holds it.
STALE_AFTER_SECONDS = 3600.0


def _temp_file(target: Path) -> tuple[int, str]:
    """A new temporary file beside `target` (descriptor, path), named by our pattern."""
    return tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)


def remove_stale_temp_files(folder: Path, *, now: float | None = None) -> list[Path]:
    """Remove the temporary files a killed writer left under `folder` (ours only, by name):
    those no process holds open (Linux), or older than STALE_AFTER_SECONDS. Returns them."""
    if not folder.is_dir():
        return []
    candidates = [
        Path(root) / name
        for root, _dirs, names in os.walk(folder)
        for name in names
        if _TEMP_RE.match(name)
    ]
    if not candidates:
        return []
    held = _open_files() if sys.platform.startswith("linux") else None
    cutoff = (time.time() if now is None else now) - STALE_AFTER_SECONDS
    removed = []
    for path in candidates:
        try:
            old = path.stat().st_mtime < cutoff
        except FileNotFoundError:
            continue
        if old or (held is not None and str(path.resolve()) not in held):
            with suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def _open_files() -> set[str]:
    """Every file some process on this machine holds open (as far as /proc lets us see)."""
    held: set[str] = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            entries = list(os.scandir(fd_dir))
        except OSError:
            continue
        for entry in entries:
            with suppress(OSError):
                held.add(os.readlink(entry.path))
    return held


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target`, else vanishes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = _temp_file(target)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        _name_target(exc, target)
        raise
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(target: Path, data: bytes, *, make_parent: bool = True) -> Path:
    """`data` as the whole of `target`, atomically.

    Straight through the temporary file's descriptor (no second open, no path lookups beyond
    create and rename): the site's account pages are tens of thousands of these a week.
    `make_parent=False` skips the folder check for a caller writing many files into one folder
    it has made."""
    if make_parent:
        target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_file(target)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, 0o644)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException as exc:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        _name_target(exc, target)
        raise
    return target


def _name_target(exc: BaseException, target: Path) -> None:
    """A write through a descriptor fails without a file name (a full disk): name the target,
    and name it rather than the temporary file, which the person never sees."""
    if isinstance(exc, OSError) and (
        exc.filename is None or str(exc.filename).endswith(TEMP_SUFFIX)
    ):
        exc.filename = str(target)


def write_text(target: Path, text: str, *, bom: bool = False, make_parent: bool = True) -> Path:
    """UTF-8 text; `bom=True` prefixes the byte-order mark Excel needs to read Chinese CSV."""
    data = text.encode("utf-8")
    return write_bytes(target, UTF8_BOM_BYTES + data if bom else data, make_parent=make_parent)
