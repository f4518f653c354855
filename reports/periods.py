"""Months and quarters, the periods of a notice (通报), and the ISO weeks each one checks.

A period checks the natural weeks whose Sunday falls inside it: every week belongs to exactly
one month and one quarter, so consecutive notices neither skip nor count a week twice.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from registry.i18n import _
from registry.weeks import IsoWeek, check_year

_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: Literal["month", "quarter"]
    number: int  # month 1–12 or quarter 1–4

    @classmethod
    def month(cls, text: str) -> Period:
        """`2026-11`; raises ValueError with a hint."""
        match = _MONTH_RE.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(_("{text!r} is not a month; write it as 2026-11").format(text=text))
        check_year(int(match.group(1)), text)
        return cls(int(match.group(1)), "month", int(match.group(2)))

    @classmethod
    def quarter(cls, text: str) -> Period:
        """`2026-Q4`; raises ValueError with a hint."""
        match = _QUARTER_RE.match(text.strip())
        if not match:
            raise ValueError(_("{text!r} is not a quarter; write it as 2026-Q4").format(text=text))
        check_year(int(match.group(1)), text)
        return cls(int(match.group(1)), "quarter", int(match.group(2)))

    @classmethod
    def containing(cls, day: dt.date, kind: Literal["month", "quarter"]) -> Period:
        number = day.month if kind == "month" else (day.month - 1) // 3 + 1
        return cls(day.year, kind, number)

    @property
    def first_day(self) -> dt.date:
        month = self.number if self.kind == "month" else 3 * self.number - 2
        return dt.date(self.year, month, 1)

    @property
    def last_day(self) -> dt.date:
        month = self.number if self.kind == "month" else 3 * self.number
        if month == 12:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, month + 1, 1) - dt.timedelta(days=1)

    def previous(self) -> Period:
        return Period.containing(self.first_day - dt.timedelta(days=1), self.kind)

    def weeks(self) -> list[IsoWeek]:
        """The ISO weeks whose Sunday falls in the period, oldest first."""
        sunday = self.first_day + dt.timedelta(days=(6 - self.first_day.weekday()) % 7)
        out = []
        while sunday <= self.last_day:
            out.append(IsoWeek.containing(sunday))
            sunday += dt.timedelta(days=7)
        return out

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        return f"{self.year}-Q{self.number}"

    def label(self) -> str:
        """2026年11月 / 2026年第四季度."""
        if self.kind == "month":
            return f"{self.year}年{self.number}月"
        return f"{self.year}年第{QUARTER_NAMES[self.number]}季度"
