"""Clocks: the only place that reads the wall clock.

The console's ``:advance`` moves an :class:`OffsetClock` forward so scheduled work can be
shown without waiting; tests use :class:`FixedClock`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the time, aware and in UTC."""

    def now(self) -> datetime:
        """Return the current time (aware, UTC)."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        """Return the current time (aware, UTC)."""
        return datetime.now(UTC)


class OffsetClock:
    """The real time plus an offset that only grows."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """Return the shifted time."""
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        if delta < timedelta(0):
            raise ValueError("clocks only move forward")
        self._offset += delta


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """Return the fixed time."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self._now += delta
