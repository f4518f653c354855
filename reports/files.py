"""Atomic file writes: a reader (a browser, a mail job, the site index) never sees half a file.

Each writer writes a temporary file in the target's own folder, then `os.replace`s it over the
target, which is atomic on one file system. There is no fsync: a report lost to a power cut is
simply rendered again (the `reports` table says it is due), and a site of 20,000 account pages
must not wait on 20,000 disk flushes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

UTF8_BOM = "\ufeff"
UTF8_BOM_BYTES = UTF8_BOM.encode("utf-8")


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target`, else vanishes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
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
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, 0o644)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return target


def write_text(target: Path, text: str, *, bom: bool = False, make_parent: bool = True) -> Path:
    """UTF-8 text; `bom=True` prefixes the byte-order mark Excel needs to read Chinese CSV."""
    data = text.encode("utf-8")
    return write_bytes(target, UTF8_BOM_BYTES + data if bom else data, make_parent=make_parent)
