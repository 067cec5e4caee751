"""Reminder planning rules, as pure functions."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import UserError
from bot.services.events.reminders import (
    PlannedReminder,
    QuietHours,
    format_offsets,
    parse_offsets,
    plan,
    respect_quiet_hours,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def test_offsets_parse_largest_first_and_round_trip():
    offsets = parse_offsets("1h, 24h,15m")
    assert offsets == (timedelta(hours=24), timedelta(hours=1), timedelta(minutes=15))
    assert format_offsets(offsets) == "1d,1h,15m"
    assert parse_offsets("off") == ()


@pytest.mark.parametrize("text", ["", "soon", "31d", "1h,2h,3h,4h,5h,6h"])
def test_bad_offsets_are_refused(text):
    with pytest.raises(UserError):
        parse_offsets(text)


def test_each_offset_still_ahead_is_planned():
    start = NOW + timedelta(days=3)
    planned = plan(start, (timedelta(hours=24), timedelta(hours=1)), NOW)
    assert planned == [PlannedReminder(start - timedelta(hours=24), timedelta(hours=24)),
                       PlannedReminder(start - timedelta(hours=1), timedelta(hours=1))]


def test_a_late_event_gets_one_starting_soon_and_no_burst():
    start = NOW + timedelta(minutes=30)
    planned = plan(start, (timedelta(hours=24), timedelta(hours=1)), NOW)
    assert planned == [PlannedReminder(NOW, None)]
    start = NOW + timedelta(hours=3)
    planned = plan(start, (timedelta(hours=24), timedelta(hours=1)), NOW)
    assert planned == [PlannedReminder(NOW, None),
                       PlannedReminder(start - timedelta(hours=1), timedelta(hours=1))]


def test_nothing_for_past_events_or_reminders_off():
    assert plan(NOW - timedelta(minutes=1), (timedelta(hours=1),), NOW) == []
    assert plan(NOW + timedelta(days=1), (), NOW) == []


def test_quiet_hours_parse_and_wrap_midnight():
    quiet = QuietHours.parse("23:00-08:00")
    assert quiet is not None and str(quiet) == "23:00-08:00"
    assert QuietHours.parse("off") is None
    for bad in ("23-8", "25:00-08:00", "08:00-08:00"):
        with pytest.raises(UserError):
            QuietHours.parse(bad)
    # 02:00 Berlin is inside; the window is 23:00 the day before to 08:00.
    window = quiet.window(datetime(2026, 11, 24, 1, 0, tzinfo=UTC), BERLIN)
    assert window == (datetime(2026, 11, 23, 23, 0, tzinfo=BERLIN),
                      datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN))
    assert quiet.window(datetime(2026, 11, 24, 12, 0, tzinfo=UTC), BERLIN) is None


def test_a_dm_in_quiet_hours_waits_until_they_end_when_the_event_is_later():
    quiet = QuietHours.parse("23:00-08:00")
    event = datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN)  # 09:00 local
    due = event - timedelta(hours=8)  # 01:00 local: quiet
    moved = respect_quiet_hours(due, event, quiet, BERLIN, NOW)
    assert moved == datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)


def test_a_dm_in_quiet_hours_goes_before_them_when_the_event_is_inside():
    quiet = QuietHours.parse("23:00-08:00")
    event = datetime(2026, 11, 24, 6, 0, tzinfo=BERLIN)  # an early-morning session
    due = event - timedelta(hours=1)  # 05:00 local: quiet, event before 08:00
    moved = respect_quiet_hours(due, event, quiet, BERLIN, NOW)
    assert moved == datetime(2026, 11, 23, 22, 59, tzinfo=BERLIN)
