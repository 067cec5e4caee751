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
import hashlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import Database

logger = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


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
        self._key = lock_key(name)
        self._connection: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self.is_leader = False

    async def campaign(self) -> bool:
        """Try once to lead (or, leading, check the lock is still ours); returns is_leader."""
        if self.is_leader:
            if not await self._still_held():
                await self._step_down("lost the database connection holding the lock")
            return self.is_leader
        if self._db.dialect == "postgresql" and not await self._try_lock():
            return False
        self.is_leader = True
        logger.info("this process leads the scheduler")
        try:
            await self._on_elected()
        except (SQLAlchemyError, OSError) as exc:  # the database went away mid-election
            await self._step_down(f"could not take over: {exc}")
        return self.is_leader

    async def _try_lock(self) -> bool:
        try:
            if self._connection is None:
                self._connection = await self._db.engine.connect()
            result = await self._connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key})
            held = bool(result.scalar_one())
            await self._connection.commit()  # the session-level lock outlives the transaction
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("could not campaign for the scheduler lock: %s", exc)
            await self._drop_connection()
            return False
        return held

    async def _still_held(self) -> bool:
        if self._connection is None:
            return self._db.dialect != "postgresql"
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
        except (SQLAlchemyError, OSError):
            return False
        return True

    async def _step_down(self, why: str, *, level: int = logging.WARNING) -> None:
        logger.log(level, "this process no longer leads the scheduler: %s", why)
        self.is_leader = False
        await self._drop_connection()
        await self._on_deposed()

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        # Invalidate rather than return it to the pool: a pooled connection would keep the
        # session lock (the pool's reset is a ROLLBACK, not pg_advisory_unlock_all).
        with contextlib.suppress(SQLAlchemyError, OSError):
            await connection.invalidate()
        with contextlib.suppress(SQLAlchemyError, OSError):
            await connection.close()

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
