"""Which bot process runs the periodic jobs when several share one database.

APScheduler 3.x cannot share a job store between processes (PERFORMANCE.md §1d), and two
processes sweeping the same rows would race for them, so exactly one process leads: on
PostgreSQL it is the one holding a session-level advisory lock on a dedicated connection,
kept for the life of the process. The lock dies with the connection, so when the leader's
process dies (even by SIGKILL) the server frees it and a follower, retrying every few
seconds, takes over. On SQLite a database belongs to one process, which always leads.

The leader calls ``on_elected`` (release the dead leader's outbox claims, start the jobs)
each time it gains the lock and ``on_deposed`` when it loses it (the connection broke).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from storage import UNAVAILABLE, Database
from storage.locks import lock_key

__all__ = ["Leadership", "lock_key"]

logger = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]


async def _noop() -> None:
    return None


class Leadership:
    """Campaigns for the scheduler lock and keeps it; an async context manager."""

    def __init__(
        self,
        db: Database,
        *,
        on_elected: Hook,
        on_deposed: Hook = _noop,
        retry_seconds: float = 5.0,
        name: str = "cohort.scheduler",
    ) -> None:
        self._db = db
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self.retry_seconds = retry_seconds
        self._lock = db.advisory_lock(name)
        self._task: asyncio.Task[None] | None = None
        self.is_leader = False

    async def campaign(self) -> bool:
        """Try once to lead (or, leading, check the lock is still ours); returns is_leader."""
        if self.is_leader:
            if not await self._still_held():
                await self._step_down("lost the database connection holding the lock")
            return self.is_leader
        if self._db.dialect == "postgresql" and not await self._lock.try_acquire():
            return False
        self.is_leader = True
        logger.info("this process leads the scheduler")
        try:
            await self._on_elected()
        except UNAVAILABLE as exc:  # the database went away mid-election
            await self._step_down(f"could not take over: {exc}")
        return self.is_leader

    async def _still_held(self) -> bool:
        if not self._lock.connected:
            return self._db.dialect != "postgresql"
        return await self._lock.still_held()

    async def _step_down(self, why: str, *, level: int = logging.WARNING) -> None:
        logger.log(level, "this process no longer leads the scheduler: %s", why)
        self.is_leader = False
        await self._lock.release()
        await self._on_deposed()

    async def _keep_campaigning(self) -> None:
        while True:
            await asyncio.sleep(self.retry_seconds)
            await self.campaign()

    async def __aenter__(self) -> Leadership:
        await self.campaign()
        self._task = asyncio.create_task(self._keep_campaigning(), name="leadership")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.is_leader:
            await self._step_down("shutting down", level=logging.INFO)
