"""Event-loop lag: how late a short sleep wakes while the bot works, and its percentiles.

Shared by the benchmarks that must show the loop never stalls (G5 reminders, G12 lag).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (nearest rank); NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class LagProbe:
    """How late a sleep of ``period`` seconds wakes, again and again until stopped."""

    def __init__(self, period: float = 0.1) -> None:
        self.period = period
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.period)
            self.lags.append(time.perf_counter() - start - self.period)

    def start(self) -> None:
        """Start probing on the running loop."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop probing; ``lags`` keeps what was measured."""
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
