"""The community's calendar: local days, weeks (from Monday) and months as total keys.

Pure functions, so each rule is tested on its own and shared by the ledger and the boards.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


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
