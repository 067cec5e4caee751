"""The community's calendar: local days, weeks (from Monday) and months as total keys.

Pure functions, so each rule is tested on its own and shared by the ledger and the boards.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

QUARTER = 900  # seconds; every zone offset in use since 1980 is a multiple of 15 minutes


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of ``moment`` in the community's zone."""
    return moment.astimezone(zone).date()


def week_key(moment: datetime, zone: ZoneInfo) -> str:
    """``w:2026-11-23``: the Monday that starts the local week of ``moment``."""
    day = local_day(moment, zone)
    return f"w:{day - timedelta(days=day.weekday())}"


def month_key(moment: datetime, zone: ZoneInfo) -> str:
    """``m:2026-11``: the local month of ``moment``."""
    day = local_day(moment, zone)
    return f"m:{day:%Y-%m}"


def previous_week_key(key: str) -> str:
    """The week before ``w:…``."""
    monday = date.fromisoformat(key[2:])
    return f"w:{monday - timedelta(days=7)}"


class PeriodKeys:
    """(week key, month key) of many moments, one zone conversion per quarter hour.

    The bulk ledger path (G3) keys a million rows; converting each moment to the local
    calendar costs more than inserting it. Within a UTC quarter hour whose two ends have
    the same offset, a multiple of 15 minutes, no local midnight and no offset change can
    fall, so the keys are the same for the whole quarter; other quarters (historic
    local-mean-time offsets) are computed exactly every time.
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._cache: dict[int, tuple[str, str]] = {}

    def __call__(self, moment: datetime) -> tuple[str, str]:
        """The week and month keys of ``moment`` in the zone."""
        quarter = int(moment.timestamp()) // QUARTER
        keys = self._cache.get(quarter)
        if keys is None:
            keys = (week_key(moment, self._zone), month_key(moment, self._zone))
            start = datetime.fromtimestamp(quarter * QUARTER, UTC).astimezone(self._zone)
            end = (start + timedelta(seconds=QUARTER - 1)).astimezone(self._zone)
            offset = start.utcoffset()
            if (offset is not None and offset == end.utcoffset()
                    and offset.total_seconds() % QUARTER == 0):
                self._cache[quarter] = keys
        return keys
