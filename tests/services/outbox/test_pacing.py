"""Pacing on virtual time: the outbox keeps Telegram and Discord under their published limits.

The event loop below runs on a fake monotonic clock that jumps to the next timer whenever
nothing is ready, so a minute of paced sending takes a fraction of a second, and the
limiter reads the same clock (``rate_limiter(..., now=loop.time)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import selectors
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import aiosqlite

from bot.app import rate_limiter
from bot.core.clock import FixedClock
from bot.core.model import Platform
from bot.core.platforms import Platforms
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from config.settings import OutboxSettings
from storage import Database
from tests.edge import RecordingMessenger

NOW = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)


class _JumpingSelector(selectors.DefaultSelector):
    """Waits for real I/O briefly; when none comes, moves virtual time to the next timer.

    Not while a database thread works for the loop: its answer is real I/O on its way, and
    a slow machine's query (over the 1 ms wait) used to move time on, so a paced wave ran
    late in virtual time and the test failed under load.
    """

    def __init__(self) -> None:
        super().__init__()
        self.virtual = 0.0
        self.in_threads = 0  # database calls whose answer the loop awaits

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        # Every turn of the loop costs a microsecond: a wait shorter than float resolution
        # (a token bucket 1e-17 s short of a token) must still move time, as real time does.
        self.virtual += 1e-6
        if timeout is None:
            return super().select(None)
        if timeout > 0 and self.in_threads:  # the answer comes through the loop's self-pipe
            events = super().select(5.0)
            if events:
                return events
        events = super().select(min(timeout, 0.001))
        if not events and timeout > 0:
            self.virtual += timeout
        return events


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock is virtual."""

    def __init__(self) -> None:
        self._jumping = _JumpingSelector()
        super().__init__(self._jumping)

    def time(self) -> float:
        """The virtual monotonic time."""
        return self._jumping.virtual

    @contextlib.contextmanager
    def thread_call(self) -> Iterator[None]:
        """Mark a call whose answer comes from another thread (time stands still meanwhile)."""
        self._jumping.in_threads += 1
        try:
            yield
        finally:
            self._jumping.in_threads -= 1


def run_virtual(main: Callable[[VirtualTimeLoop], Awaitable[None]]) -> None:
    loop = VirtualTimeLoop()
    execute = aiosqlite.Connection._execute

    async def counted(connection: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any
                      ) -> Any:
        with loop.thread_call():
            return await execute(connection, fn, *args, **kwargs)

    connect = aiosqlite.Connection._connect

    async def connecting(connection: aiosqlite.Connection) -> aiosqlite.Connection:
        with loop.thread_call():
            return await connect(connection)

    try:
        with mock.patch.object(aiosqlite.Connection, "_execute", counted), \
                mock.patch.object(aiosqlite.Connection, "_connect", connecting):
            loop.run_until_complete(main(loop))
    finally:
        loop.close()


def max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most sends in any half-open window of ``window`` seconds."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def fan_out(loop: VirtualTimeLoop, url: str) -> tuple[RecordingMessenger,
                                                            RecordingMessenger]:
    db = Database(url)
    await db.upgrade()
    limits = OutboxSettings()
    telegram = RecordingMessenger(Platform.TELEGRAM, now=loop.time)
    discord = RecordingMessenger(Platform.DISCORD, now=loop.time)
    platforms = Platforms()
    platforms.add_messenger(telegram)
    platforms.add_messenger(discord)
    outbox = Outbox(db, FixedClock(NOW), rate_limiter(limits, now=loop.time), platforms)
    messages: list[Outgoing] = []
    async with db.unit() as unit:
        for n in range(72):  # 72 Telegram members, and Tomas gets 4 messages
            row = await unit.members.create("telegram", str(1000 + n), f"t{n}", None, NOW)
            messages.append(Outgoing(f"t:{n}", OutboxKind.REMINDER, f"t{n}", NOW,
                                     member_id=row.id))
        for n in range(3):
            messages.append(Outgoing(f"tomas:{n}", OutboxKind.REMINDER, f"tomas {n}", NOW,
                                     member_id=row.id))
        for n in range(20):  # a group post wave
            messages.append(Outgoing(f"g:{n}", OutboxKind.ANNOUNCEMENT, f"g{n}", NOW,
                                     platform=Platform.TELEGRAM, place_id="-100"))
        for n in range(120):
            row = await unit.members.create("discord", str(5000 + n), f"d{n}", None, NOW)
            messages.append(Outgoing(f"d:{n}", OutboxKind.REMINDER, f"d{n}", NOW,
                                     member_id=row.id))
        await outbox.put(unit, messages)
    await outbox.sweep()
    await db.dispose()
    return telegram, discord


def test_telegram_overall_and_per_chat_and_discord_limits_are_honoured(tmp_path: Path) -> None:
    result: list[tuple[RecordingMessenger, RecordingMessenger]] = []

    async def main(loop: VirtualTimeLoop) -> None:
        result.append(await fan_out(loop, f"sqlite+aiosqlite:///{tmp_path}/pace.db"))

    run_virtual(main)
    ((telegram, discord),) = result
    limits = OutboxSettings()
    assert len(telegram.sent) == 72 + 3 + 20
    assert len(discord.sent) == 120

    # Overall: never more than the configured rate (24/s = 80% of Telegram's ~30/s) in
    # any one second; Discord <= 40/s (80% of 50/s).
    assert max_in_window(telegram.sent_at) <= limits.telegram_per_second <= 0.8 * 30
    assert max_in_window(discord.sent_at) <= limits.discord_per_second <= 0.8 * 50
    # ...and it is pacing, not stalling: close to the configured rate overall.
    span = max(telegram.sent_at) - min(telegram.sent_at)
    assert span >= (len(telegram.sent) - 1) / limits.telegram_per_second - 1e-6

    # Per chat: at most one message a second to one chat (a DM or a group).
    for target in ("dm:1071", "#-100"):
        times = [a.at for a in telegram.attempts if a.target == target]
        assert len(times) >= 4
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= 1.0 / limits.telegram_per_chat_per_second - 1e-6
    # Per group: at most 16 posts in any minute (Telegram allows 20 a minute in a group).
    group = [a.at for a in telegram.attempts if a.target == "#-100"]
    assert len(group) == 20
    assert max_in_window(group, 60.0) <= limits.telegram_per_group_per_minute <= 16


def test_a_429_holds_back_every_send_on_that_platform_for_retry_after(tmp_path: Path) -> None:
    result: list[tuple[RecordingMessenger, float]] = []

    async def main(loop: VirtualTimeLoop) -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/storm.db")
        await db.upgrade()
        telegram = RecordingMessenger(Platform.TELEGRAM, now=loop.time)
        platforms = Platforms()
        platforms.add_messenger(telegram)
        outbox = Outbox(db, FixedClock(NOW), rate_limiter(OutboxSettings(), now=loop.time),
                        platforms)
        async with db.unit() as unit:
            rows = [await unit.members.create("telegram", str(n), f"m{n}", None, NOW)
                    for n in range(10)]
            await outbox.put(unit, [Outgoing(f"m:{r.id}", OutboxKind.REMINDER, f"m{r.id}",
                                             NOW, member_id=r.id) for r in rows])
        telegram.fail_transient(1, retry_after=7.0)
        await outbox.sweep()
        await db.dispose()
        result.append((telegram, loop.time()))

    run_virtual(main)
    ((telegram, _),) = result
    (storm,) = [a for a in telegram.attempts if a.outcome == "transient"]
    later = [a.at for a in telegram.attempts if a.at > storm.at]
    assert len(later) == 9 - sum(a.at <= storm.at and a.outcome == "sent"
                                 for a in telegram.attempts)
    assert all(at >= storm.at + 7.0 for at in later)
