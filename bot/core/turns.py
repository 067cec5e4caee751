"""Per-key coordination of concurrent handlers in one process (the chat hot path, G10).

A burst of messages runs hundreds of handlers at once (python-telegram-bot's concurrent
updates). Without these, every in-flight message of one new member opened its own unit to
look the member up, or to judge the same cooldown, and on SQLite they queued for the one
write lock. The database stays the truth; these only spare it work it would refuse anyway.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


class Turns:
    """One lock per key, alive only while someone holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, key: Hashable) -> AsyncIterator[None]:
        """Run the block while no other task runs one for ``key`` (first come, first served)."""
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        """Keys held or awaited now."""
        return len(self._locks)


class SingleFlight(Generic[K, V]):
    """Concurrent calls for one key share a single run of the work and its outcome."""

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        """``work()``'s result, or the result of the run already in flight for ``key``.

        A caller that is cancelled does not cancel the run the others wait for.
        """
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(work())
            self._running[key] = running
            running.add_done_callback(lambda _: self._running.pop(key, None))
        return await asyncio.shield(running)


class GroupCommit(Generic[T, V]):
    """Work submitted while a batch is in flight goes together in the next batch.

    The first item starts a batch at once, so a lone message waits for nothing; under a
    burst, items gather while the batch before them is written. Each caller awaits its
    own result, so its work is committed before it goes on (nothing is lost on a crash).
    """

    def __init__(self, work: Callable[[list[T]], Awaitable[list[V]]], most: int) -> None:
        self._work = work
        self._most = most
        self._waiting: list[tuple[T, asyncio.Future[V]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> V:
        """``item``'s result, worked out in a batch with whatever else is waiting."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V] = loop.create_future()
        self._waiting.append((item, future))
        if self._runner is None or self._runner.done():
            # Its own context: what the batch does is not the first caller's alone.
            self._runner = loop.create_task(self._drain(), context=contextvars.Context())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:self._most], self._waiting[self._most:]
            try:
                results = await self._work([item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            except BaseException:  # cancelled (the bot stops): release everyone
                for _, future in [*batch, *self._waiting]:
                    future.cancel()
                self._waiting = []
                raise
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
