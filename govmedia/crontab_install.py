"""Install govmedia's timetable into the user's crontab without touching anyone else's lines.

Our lines live in a block between two marker comments naming the ledger,
`# BEGIN govmedia /srv/govmedia/config.yaml` … `# END govmedia /srv/govmedia/config.yaml`, so
several ledgers can share one crontab and a re-install replaces only its own block. Every other
line is kept byte for byte. The block is always placed at the end: it sets CRON_TZ, which on
cronie applies to every line that follows it, so no foreign line may come after it.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from registry.i18n import _

BEGIN = "# BEGIN govmedia "
END = "# END govmedia "


class CrontabError(Exception):
    """The crontab cannot be read, merged or written; the message says why."""


def _markers(config: str) -> tuple[bytes, bytes]:
    return (BEGIN + config).encode(), (END + config).encode()


def without_block(existing: bytes, config: str) -> tuple[bytes, bool]:
    """The crontab without this ledger's block (other lines byte-identical), and whether it had
    one. A BEGIN without its END is refused rather than guessed at."""
    begin, end = _markers(config)
    lines = existing.splitlines(keepends=True)
    kept: list[bytes] = []
    inside = found = False
    for number, line in enumerate(lines, start=1):
        bare = line.rstrip(b"\r\n")
        if not inside and bare == begin:
            inside = found = True
            start = number
            continue
        if inside:
            if bare == end:
                inside = False
            continue
        kept.append(line)
    if inside:
        raise CrontabError(
            _(
                "crontab line {line}: '{begin}' has no matching '{end}'; fix it with "
                "crontab -e, then run this again"
            ).format(line=start, begin=begin.decode(), end=end.decode())
        )
    return b"".join(kept), found


def with_block(existing: bytes, config: str, lines: list[str]) -> bytes:
    """The crontab with this ledger's block (re)placed at its end; other lines unchanged."""
    rest, _ = without_block(existing, config)
    if rest and not rest.endswith(b"\n"):
        rest += b"\n"  # cron needs the last line ended; the line's text is unchanged
    begin, end = _markers(config)
    block = b"\n".join([begin, *(line.encode() for line in lines), end]) + b"\n"
    return rest + block


def read_crontab() -> bytes:
    """The user's crontab as `crontab -l` prints it; none yet is an empty one."""
    try:
        done = subprocess.run(["crontab", "-l"], capture_output=True, timeout=30, check=False)
    except FileNotFoundError:
        raise CrontabError(_("no crontab program on PATH; install cron (cronie)")) from None
    if done.returncode == 0:
        return done.stdout
    message = done.stderr.decode("utf-8", "replace").strip()
    if "no crontab" in message.lower():
        return b""
    raise CrontabError(
        _("crontab -l failed (exit {code}): {message}").format(
            code=done.returncode, message=message[:300]
        )
    )


def write_crontab(data: bytes) -> None:
    """Replace the user's crontab with `data` (crontab installs it in one step)."""
    done = subprocess.run(["crontab", "-"], input=data, capture_output=True, timeout=30)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise CrontabError(
            _("crontab - refused the new table (exit {code}): {message}").format(
                code=done.returncode, message=message
            )
        )


def machine_zone_name() -> str:
    """The machine's time zone as cron sees it: $TZ, else /etc/localtime's zone."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        return name
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    with_name = Path("/etc/timezone")
    if with_name.is_file():
        return with_name.read_text("utf-8").strip() or "unknown"
    return time.tzname[0] or "unknown"


def zone_warning(tz_name: str, *, year: int | None = None) -> str | None:
    """A warning when the machine's local time differs from the ledger's zone on some day of
    the year (a zone with the same clock, e.g. Asia/Chongqing, is no difference)."""
    ledger = ZoneInfo(tz_name)
    year = year or dt.date.today().year
    for month in (1, 4, 7, 10):
        instant = dt.datetime(year, month, 1, 12, tzinfo=dt.UTC)
        local = time.localtime(instant.timestamp()).tm_gmtoff
        if local != int(instant.astimezone(ledger).utcoffset().total_seconds()):
            return _(
                "this machine's time zone ({machine}) is not the ledger's ({zone}): the lines "
                "carry CRON_TZ={zone}, which cronie honours; a cron without CRON_TZ (Debian's) "
                "runs them at the machine's clock instead — set it with `timedatectl "
                "set-timezone {zone}`, or use `govmedia schedule`"
            ).format(machine=machine_zone_name(), zone=tz_name)
    return None
