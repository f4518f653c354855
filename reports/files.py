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
from contextlib import contextmanager
from pathlib import Path

UTF8_BOM = "\ufeff"


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


def write_bytes(target: Path, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


def write_text(target: Path, text: str, *, bom: bool = False) -> Path:
    """UTF-8 text; `bom=True` prefixes the byte-order mark Excel needs to read Chinese CSV."""
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        if bom:
            handle.write(UTF8_BOM)
        handle.write(text)
    return target
