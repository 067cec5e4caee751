from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import UserError
from bot.services.events.series import occurrences, parse_recurrence

BERLIN = ZoneInfo("Europe/Berlin")


def test_shorthands_and_rrules():
    assert parse_recurrence("weekly") == "FREQ=WEEKLY"
    assert parse_recurrence("biweekly") == "FREQ=WEEKLY;INTERVAL=2"
    assert parse_recurrence("RRULE:FREQ=WEEKLY;BYDAY=TU,TH") == "FREQ=WEEKLY;BYDAY=TU,TH"
    assert parse_recurrence("none") is None


@pytest.mark.parametrize("text", ["fortnightly-ish", "FREQ=MINUTELY", "FREQ=HOURLY", "FREQ=WEEKLY;BYDAY=XX"])
def test_bad_recurrences_are_refused(text):
    with pytest.raises(UserError):
        parse_recurrence(text)


def test_weekly_berlin_session_stays_at_18_local_across_dst():
    starts = occurrences("FREQ=WEEKLY", datetime(2027, 3, 16, 18, 0), "Europe/Berlin",
                         datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 10, tzinfo=UTC))
    assert [s.astimezone(BERLIN).hour for s in starts] == [18, 18, 18, 18]
    assert [s.hour for s in starts] == [17, 17, 16, 16]  # UTC shifts when clocks change
    autumn = occurrences("FREQ=WEEKLY", datetime(2027, 10, 19, 18, 0), "Europe/Berlin",
                         datetime(2027, 10, 1, tzinfo=UTC), datetime(2027, 11, 10, tzinfo=UTC))
    assert {s.astimezone(BERLIN).hour for s in autumn} == {18}
    assert [s.hour for s in autumn] == [16, 16, 17, 17]  # clocks go back on 31 Oct


def test_moving_a_series_shifts_its_weekdays_and_first_start():
    from datetime import timedelta

    from bot.services.events.series import move
    from storage.rows.events import SeriesRow

    row = SeriesRow(rrule="FREQ=WEEKLY;BYDAY=TU,TH", timezone="Europe/Berlin",
                    local_start="2026-11-24T18:00", template="{}", status="active",
                    materialized_until=datetime(2026, 12, 31, tzinfo=UTC))
    old = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # Tue 18:00 Berlin
    moved = move(row, old, old + timedelta(days=1, hours=1), [old, old + timedelta(days=2)],
                 datetime(2026, 11, 23, tzinfo=UTC))
    assert row.rrule == "FREQ=WEEKLY;BYDAY=WE,FR" and row.local_start == "2026-11-25T19:00"
    assert [m.astimezone(BERLIN).strftime("%a %H:%M") for m in moved] == ["Wed 19:00", "Fri 19:00"]
    assert row.materialized_until == moved[-1]
    with pytest.raises(UserError, match="in the past"):
        move(row, old, old - timedelta(days=3), [old], datetime(2026, 11, 23, tzinfo=UTC))
    fixed = SeriesRow(rrule="FREQ=MONTHLY;BYMONTHDAY=1", timezone="UTC",
                      local_start="2026-12-01T18:00", template="{}", status="active",
                      materialized_until=datetime(2026, 12, 31, tzinfo=UTC))
    with pytest.raises(UserError, match="fixed dates"):
        move(fixed, old, old + timedelta(days=1), [old], datetime(2026, 11, 23, tzinfo=UTC))
