"""A session-level PostgreSQL advisory lock held on its own connection.

The lock lives as long as the connection, so the server frees it when the holding process
dies (even by SIGKILL): that is what process leadership is built on (``bot.runtime``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class AdvisoryLock:
    """Tries for, checks and drops one named lock; never raises for a lost database."""

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self._engine = engine
        self.key = lock_key(name)
        self._connection: AsyncConnection | None = None

    @property
    def connected(self) -> bool:
        """Whether a connection (and so possibly the lock) is held."""
        return self._connection is not None

    async def try_acquire(self) -> bool:
        """Take the lock if it is free; False when it is held elsewhere or the server is gone."""
        try:
            if self._connection is None:
                self._connection = await self._engine.connect()
            result = await self._connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
            held = bool(result.scalar_one())
            await self._connection.commit()  # the session-level lock outlives the transaction
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("could not campaign for the scheduler lock: %s", exc)
            await self.release()
            return False
        return held

    async def still_held(self) -> bool:
        """Whether the connection holding the lock is still alive."""
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
        except (SQLAlchemyError, OSError):
            return False
        return True

    async def release(self) -> None:
        """Drop the connection, and with it the lock."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        # Invalidate rather than return it to the pool: a pooled connection would keep the
        # session lock (the pool's reset is a ROLLBACK, not pg_advisory_unlock_all).
        with contextlib.suppress(SQLAlchemyError, OSError):
            await connection.invalidate()
        with contextlib.suppress(SQLAlchemyError, OSError):
            await connection.close()
