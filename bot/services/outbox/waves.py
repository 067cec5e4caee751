"""Reminder waves: when a wave of DMs must start so its last message arrives on time (#14.2).

N DMs take N / rate seconds at the paced rate (10,000 on Telegram's 24/s: about 7 minutes),
so a wave due at ``due`` starts at ``due - N / rate - margin``: everyone gets it before
``due`` and nobody more than the wave's length early. Waves are planned backwards from the
latest: a wave must also end before the next one has to start, since the sender goes
through them in due order. Channel posts are not waves: they go out at their due time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Wave:
    """DMs due at one moment, and when sending them has to start."""

    due_at: datetime
    size: int
    starts_at: datetime


def plan_waves(waves: Sequence[tuple[datetime, int]], per_second: float,
               margin: timedelta) -> list[Wave]:
    """Start times of ``(due_at, size)`` waves (sorted by due) sent at ``per_second``."""
    planned: list[Wave] = []
    next_start: datetime | None = None
    for due_at, size in sorted(waves, reverse=True):
        finish = due_at - margin
        if next_start is not None:
            finish = min(finish, next_start)
        start = finish - timedelta(seconds=size / per_second)
        planned.append(Wave(due_at, size, start))
        next_start = start
    return planned[::-1]


def release_until(waves: Sequence[Wave], now: datetime) -> datetime | None:
    """The latest due time whose wave has started by ``now`` (its DMs may go early)."""
    started = [w.due_at for w in waves if w.starts_at <= now]
    return max(started) if started else None
