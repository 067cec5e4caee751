"""The pure rules: level curve, periods in the community's zone, message fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.services import levels


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
    assert levels.week_key(sunday_night_utc, ZoneInfo("UTC")) == "w:2026-11-23"
    assert levels.week_key(sunday_night_utc, berlin) == "w:2026-11-30"
    assert levels.month_key(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), berlin) == "m:2026-12"
    assert levels.month_key(datetime(2026, 11, 30, 22, 59, tzinfo=UTC), berlin) == "m:2026-11"
    assert levels.previous_week_key("w:2026-11-30") == "w:2026-11-23"


def test_fingerprints_catch_near_duplicates_only():
    a = levels.fingerprint("Has anyone tried the new async generators in Python 3.13?")
    b = levels.fingerprint("has anyone tried the new async generators in python 3.13!!")
    c = levels.fingerprint("Has anyone tried the new async generators in Python 3.13? :)")
    other = levels.fingerprint("The workshop on Thursday covers pandas and polars")
    assert levels.similarity(a, b) == 1.0  # same normalised text
    assert levels.similarity(a, c) >= 0.8
    assert levels.similarity(a, other) < 0.3
    assert levels.normalise("  Héllo,   WORLD!! ") == "hello world"
