"""The overview's and analytics' figures, kept for up to a minute (G13).

Computing them reads the community's history (seconds for a large one), so clicking
between pages must not pay for it each time. Honest about it: each page says when its
figures were computed; a change made on the dashboard drops them all at once; otherwise
they are at most ``fresh`` old, and for up to ``stale`` a reader gets the last figures
while newer ones are computed in the background. One computation per key runs at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import Clock

logger = logging.getLogger(__name__)

Figures = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Kept:
    figures: Figures
    at: datetime
    generation: int


class FigureCache:
    """Page figures by key (page, query, time zone), dated by the bot's clock."""

    def __init__(self, clock: Clock, fresh: timedelta = timedelta(minutes=1),
                 stale: timedelta = timedelta(minutes=5)) -> None:
        self._clock = clock
        self._fresh, self._stale = fresh, stale
        self._kept: dict[Hashable, _Kept] = {}
        self._running: dict[Hashable, asyncio.Task[_Kept]] = {}
        self._generation = 0

    def clear(self) -> None:
        """Forget every figure (a change was made); computations under way are not kept."""
        self._kept.clear()
        self._generation += 1

    async def idle(self) -> None:
        """Wait for the computations under way (background refreshes included)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[Figures]]
                  ) -> tuple[Figures, datetime]:
        """The figures for ``key`` and when they were computed."""
        kept = self._kept.get(key)
        if kept is not None:
            age = self._clock.now() - kept.at
            if age <= self._fresh:
                return kept.figures, kept.at
            if age <= self._stale:
                self._start(key, compute)  # refresh in the background; answer at once
                return kept.figures, kept.at
        fresh = await asyncio.shield(self._start(key, compute))
        return fresh.figures, fresh.at

    def _start(self, key: Hashable, compute: Callable[[], Awaitable[Figures]]
               ) -> asyncio.Task[_Kept]:
        running = self._running.get(key)
        if running is not None:
            return running
        task = asyncio.create_task(self._compute(key, compute))
        self._running[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))
        return task

    async def _compute(self, key: Hashable, compute: Callable[[], Awaitable[Figures]]
                       ) -> _Kept:
        generation, at = self._generation, self._clock.now()
        figures = await compute()
        kept = _Kept(figures, at, generation)
        if generation == self._generation:
            self._kept[key] = kept
        return kept

    def _finished(self, key: Hashable, done: asyncio.Task[_Kept]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled() and done.exception() is not None:
            logger.warning("dashboard figures for %s failed: %r", key, done.exception())
