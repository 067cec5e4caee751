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
