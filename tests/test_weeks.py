"""ISO week edges in Asia/Shanghai, with instants given in UTC."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.weeks import IsoWeek


@pytest.mark.parametrize(
    ("instant_utc", "expected"),
    [
        # Sunday 2026-11-29 23:59:59 +08:00 is 15:59:59 UTC: still week 48.
        (dt.datetime(2026, 11, 29, 15, 59, 59, tzinfo=dt.UTC), "2026-W48"),
        # Monday 2026-11-30 00:00 +08:00 is Sunday 16:00 UTC: already week 49.
        (dt.datetime(2026, 11, 29, 16, 0, 0, tzinfo=dt.UTC), "2026-W49"),
    ],
)
def test_week_edges_follow_local_time(instant_utc, expected):
    assert str(IsoWeek.containing(instant_utc)) == expected


def test_parse_round_trips_and_bounds_are_local_midnight():
    week = IsoWeek.parse("2026-W48")
    assert str(week) == "2026-W48"
    assert week.start().isoformat() == "2026-11-23T00:00:00+08:00"
    assert week.end().isoformat() == "2026-11-30T00:00:00+08:00"
    assert [str(w) for w in IsoWeek.parse("2026-W01").back(2)] == ["2025-W52", "2026-W01"]


def test_parse_rejects_nonsense_with_a_hint():
    with pytest.raises(ValueError, match="write it as 2026-W48"):
        IsoWeek.parse("48")
    with pytest.raises(ValueError, match="has no week 53"):
        IsoWeek.parse("2025-W53")
