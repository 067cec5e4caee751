"""Reminder waves: when a wave of DMs must start so its last message arrives on time (#14.2).

N DMs take N / rate seconds at the paced rate (10,000 on Telegram's 24/s: about 7 minutes),
so a wave due at ``due`` starts at ``due - N / rate - margin``: everyone gets it before
``due`` and nobody more than the wave's length early. What is paced is what the platform
counts: on Discord, requests (a DM to a member whose DM channel is not open yet is two, a
long text one more), so a share's length is its requests / rate. Platforms are paced separately and
send at the same time, so a wave's length is that of its slowest platform's share. Waves
are planned backwards from the latest: a wave must also end before the next one has to
start, since the sender goes through them in due order. Channel posts are not waves: they
go out at their due time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Share:
    """One platform's part of a wave: its DMs, and the requests that sending them makes."""

    due_at: datetime
    platform: str
    messages: int
    requests: int


@dataclass(frozen=True, slots=True)
class Wave:
    """DMs due at one moment, and when sending them has to start."""

    due_at: datetime
    size: int
    starts_at: datetime


def plan_waves(shares: Sequence[Share], rates: Mapping[str, float],
               margin: timedelta, slack: float = 0.0) -> list[Wave]:
    """Start times of waves from each platform's share and per-platform rates.

    A platform without a rate (not paced, or not running) adds nothing to a wave's length;
    ``slack`` lengthens each wave by that fraction (the sender's own overhead: claims,
    outcome writes, request latency, which grow with the wave).
    """
    sizes: dict[datetime, int] = {}
    lengths: dict[datetime, float] = {}
    for share in shares:
        due_at = share.due_at
        sizes[due_at] = sizes.get(due_at, 0) + share.messages
        rate = rates.get(share.platform)
        if rate:
            lengths[due_at] = max(lengths.get(due_at, 0.0), share.requests / rate)
    planned: list[Wave] = []
    next_start: datetime | None = None
    for due_at in sorted(sizes, reverse=True):
        finish = due_at - margin
        if next_start is not None:
            finish = min(finish, next_start)
        start = finish - timedelta(seconds=lengths.get(due_at, 0.0) * (1 + slack))
        planned.append(Wave(due_at, sizes[due_at], start))
        next_start = start
    return planned[::-1]


def release_until(waves: Sequence[Wave], now: datetime) -> datetime | None:
    """The latest due time whose wave has started by ``now`` (its DMs may go early)."""
    started = [w.due_at for w in waves if w.starts_at <= now]
    return max(started) if started else None
