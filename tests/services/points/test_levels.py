"""The pure rules of levels and periods: the level curve, weeks and months in local time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.services.points import levels, periods


def test_level_curve_thresholds():
    curve = levels.Curve()
    assert [curve.step(n) for n in range(4)] == [100, 155, 220, 295]
    assert curve.level(0) == 0
    assert curve.level(99) == 0
    assert curve.level(100) == 1
    assert curve.level(254) == 1
    assert curve.level(255) == 2
    assert curve.level(475) == 3
    assert curve.progress(300) == (2, 45, 220)
    assert levels.Curve(0, 0, 10).level(35) == 3


def test_periods_follow_the_community_zone():
    berlin = ZoneInfo("Europe/Berlin")
    sunday_night_utc = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # Monday 00:30 in Berlin
    assert periods.week_key(sunday_night_utc, ZoneInfo("UTC")) == "w:2026-11-23"
    assert periods.week_key(sunday_night_utc, berlin) == "w:2026-11-30"
    assert periods.month_key(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), berlin) == "m:2026-12"
    assert periods.month_key(datetime(2026, 11, 30, 22, 59, tzinfo=UTC), berlin) == "m:2026-11"
    assert periods.previous_week_key("w:2026-11-30") == "w:2026-11-23"
