"""Natural weeks and other periods, in local time (ISO weeks, Monday to Sunday, Asia/Shanghai).

A week's bounds are aware instants: `start` is Monday 00:00 local, `end` is the next Monday 00:00
local (exclusive), so Sunday 23:59:59 belongs to the week and Monday 00:00 to the next one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from registry.constants import LOCAL_TZ
from registry.i18n import _

_WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$")

# The years govmedia reasons about: every period and instant a person gives is checked here, so
# that an absurd one (0001-W01, 9999-12-31) is a clear error, not an overflow deep inside (a
# date near year 1 or 9999 overflows when shifted by the time zone or a week).
FIRST_YEAR = 2000
LAST_YEAR = 2099


def check_year(year: int, text: str) -> None:
    """Raise ValueError naming `text` and the accepted years when `year` is outside them."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            _("{text!r} is out of range: govmedia works with the years {first} to {last}").format(
                text=text, first=FIRST_YEAR, last=LAST_YEAR
            )
        )


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """`2026-W48` (or `2026W48`); raises ValueError with a hint."""
        match = _WEEK_RE.match(text.strip())
        if not match:
            raise ValueError(
                _("{text!r} is not an ISO week; write it as 2026-W48").format(text=text)
            )
        year, week = int(match.group(1)), int(match.group(2))
        check_year(year, text)
        try:
            dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(_("{year} has no week {week}").format(year=year, week=week)) from None
        return cls(year, week)

    @classmethod
    def containing(cls, instant: dt.datetime | dt.date, tz: ZoneInfo = LOCAL_TZ) -> IsoWeek:
        """The week that holds `instant` (an aware datetime, seen in `tz`; or a local date)."""
        day = instant.astimezone(tz).date() if isinstance(instant, dt.datetime) else instant
        year, week, _weekday = day.isocalendar()
        return cls(year, week)

    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    def sunday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 7)

    def start(self, tz: ZoneInfo = LOCAL_TZ) -> dt.datetime:
        """Monday 00:00 local, aware."""
        return dt.datetime.combine(self.monday(), dt.time(), tzinfo=tz)

    def end(self, tz: ZoneInfo = LOCAL_TZ) -> dt.datetime:
        """The next Monday 00:00 local, aware (exclusive bound)."""
        return self.next().start(tz)

    def next(self) -> IsoWeek:
        return IsoWeek.containing(self.monday() + dt.timedelta(days=7))

    def previous(self) -> IsoWeek:
        return IsoWeek.containing(self.monday() - dt.timedelta(days=7))

    def back(self, n: int) -> list[IsoWeek]:
        """The `n` weeks ending with this one, oldest first."""
        weeks = [self]
        for _step in range(n - 1):
            weeks.append(weeks[-1].previous())
        return weeks[::-1]

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    def label(self) -> str:
        """Chinese label for reports: 2026年第48周（11月23日—11月29日）."""
        mon, sun = self.monday(), self.sunday()
        return f"{self.year}年第{self.week}周（{mon.month}月{mon.day}日—{sun.month}月{sun.day}日）"
