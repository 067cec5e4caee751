"""Best weekly slots: when are the most members usually around, each in their own time zone.

Habits live in local time: someone who chats on Tuesday evenings does so at 19:00 in
Berlin whether or not Berlin is on summer time. So each activity is placed in the member's
local hour of the week, and those hours are mapped to this week's UTC with the member's
current offset. A member "is around" in a slot in a given week when they did anything in
it that week; their weight for the slot is the share of their weeks in which they were.
A slot's reach is the sum of those shares: the members it would reach in a typical week.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

HOURS = 168
WEEK = timedelta(weeks=1)
MIN_MEMBERS = 5
MIN_GAP = 3  # hours between the starts of two proposed slots


class NotEnoughActivity(ValueError):
    """Too few active members to say when people are around."""


@dataclass(frozen=True, slots=True)
class Habit:
    """One member: their time zone, when they joined, and when they did something."""

    member_id: int
    timezone: str
    joined: datetime
    activity: Sequence[datetime]


@dataclass(frozen=True, slots=True)
class Slot:
    """A weekly slot starting at ``start_hour`` (0 = Monday 00:00 UTC) for ``hours``."""

    start_hour: int
    hours: int
    reach: float  # expected members around in a typical week
    regulars: int  # members around in at least half of their weeks
    members: int  # members considered

    def next_start(self, now: datetime) -> datetime:
        """The next time this slot begins, in UTC."""
        monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0,
                                                               microsecond=0)
        start = monday + timedelta(hours=self.start_hour)
        return start if start > now else start + WEEK


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def hour_of_week(moment: datetime) -> int:
    """0..167 counting from Monday 00:00 of ``moment``'s own clock."""
    return moment.weekday() * 24 + moment.hour


def presence(habits: Sequence[Habit], since: datetime, now: datetime,
             hours: int) -> tuple[np.ndarray, list[int]]:
    """Each member's share of weeks around in each slot of ``hours`` (members x 168, UTC)."""
    weeks = max(1, int(np.ceil((now - since) / WEEK)))
    rows: list[np.ndarray] = []
    ids: list[int] = []
    for habit in habits:
        if not habit.activity:
            continue
        zone = _zone(habit.timezone)
        seen = np.zeros((weeks, HOURS), dtype=bool)
        for moment in habit.activity:
            if not since <= moment < now:
                continue
            week = min(int((moment - since) / WEEK), weeks - 1)
            seen[week, hour_of_week(moment.astimezone(zone))] = True
        if not seen.any():
            continue
        offset = now.astimezone(zone).utcoffset() or timedelta(0)
        # Local hour h happens at UTC hour h - offset this week.
        seen = np.roll(seen, -int(offset.total_seconds() // 3600), axis=1)
        covered = seen.copy()
        for extra in range(1, hours):
            covered |= np.roll(seen, -extra, axis=1)
        first = max(since, habit.joined)
        observed = max(1, min(weeks, int(np.ceil((now - first) / WEEK))))
        rows.append(covered[-observed:].sum(axis=0) / observed)
        ids.append(habit.member_id)
    if not rows:
        return np.zeros((0, HOURS)), ids
    return np.vstack(rows), ids


def best_slots(habits: Sequence[Habit], since: datetime, now: datetime, *,
               duration: timedelta = timedelta(hours=1), count: int = 3,
               min_members: int = MIN_MEMBERS) -> list[Slot]:
    """The ``count`` non-overlapping weekly slots that reach the most members."""
    hours = max(1, min(24, int(np.ceil(duration / timedelta(hours=1)))))
    share, ids = presence(habits, since, now, hours)
    if len(ids) < min_members:
        raise NotEnoughActivity(f"best times need at least {min_members} members active "
                                f"since {since:%Y-%m-%d}; there are {len(ids)}")
    reach = share.sum(axis=0)
    # Ties (a 2-hour habit fits several 2-hour slots) go to the slot the members fill most.
    hourly, _ = presence(habits, since, now, 1)
    fill = np.zeros(HOURS)
    for extra in range(hours):
        fill += np.roll(hourly, -extra, axis=1).sum(axis=0)
    order = sorted(range(HOURS), key=lambda s: (-round(float(reach[s]), 6), -fill[s], s))
    chosen: list[int] = []
    for start in order:
        if reach[start] <= 0:
            break
        # Slots at least a few hours apart: "19:00 or 20:00" is one choice, not two.
        if all(min((start - c) % HOURS, (c - start) % HOURS) >= max(hours, MIN_GAP)
               for c in chosen):
            chosen.append(start)
        if len(chosen) == count:
            break
    return [Slot(s, hours, float(reach[s]), int((share[:, s] >= 0.5).sum()), len(ids))
            for s in chosen]
