"""Raw driver baselines for the storage benchmarks, on SQLite or PostgreSQL.

The goals compare Cohort's path with the plain driver doing the same work on the same
database in the same run (PERFORMANCE.md): ``sqlite3`` on a file in WAL + synchronous=NORMAL
and foreign keys on (what Cohort configures), or ``asyncpg`` on the PostgreSQL database
``--database`` names.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Sequence
from typing import Any

import asyncpg


def is_postgres(url: str) -> bool:
    """Whether a SQLAlchemy URL names PostgreSQL."""
    return url.startswith("postgresql")


def dsn(url: str) -> str:
    """The asyncpg DSN of a ``postgresql+asyncpg://`` SQLAlchemy URL."""
    return "postgresql://" + url.split("://", 1)[1]


class Raw:
    """One raw connection: ``executemany`` and timed queries, SQL in ``?`` style."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._sqlite: sqlite3.Connection | None = None
        self._pg: asyncpg.Connection | None = None

    async def __aenter__(self) -> Raw:
        if is_postgres(self.url):
            self._pg = await asyncpg.connect(dsn(self.url))
        else:
            path = self.url.split(":///", 1)[1]
            self._sqlite = sqlite3.connect(path, isolation_level=None)
            self._sqlite.execute("PRAGMA journal_mode=WAL")
            self._sqlite.execute("PRAGMA synchronous=NORMAL")
            self._sqlite.execute("PRAGMA foreign_keys=ON")  # Cohort's schema is checked too
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pg is not None:
            await self._pg.close()
        if self._sqlite is not None:
            self._sqlite.close()

    @staticmethod
    def _dollar(sql: str) -> str:
        parts = sql.split("?")
        return "".join(p + (f"${n + 1}" if n < len(parts) - 1 else "")
                       for n, p in enumerate(parts))

    async def execute(self, sql: str, *args: Any) -> None:
        """One statement, autocommit."""
        if self._pg is not None:
            await self._pg.execute(self._dollar(sql), *args)
        else:
            assert self._sqlite is not None
            self._sqlite.execute(sql, args)

    async def executemany(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """All rows in one transaction through the driver's ``executemany``."""
        if self._pg is not None:
            async with self._pg.transaction():
                await self._pg.executemany(self._dollar(sql), rows)
        else:
            assert self._sqlite is not None
            self._sqlite.execute("BEGIN")
            self._sqlite.executemany(sql, rows)
            self._sqlite.execute("COMMIT")

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        """All rows of one query."""
        if self._pg is not None:
            return list(await self._pg.fetch(self._dollar(sql), *args))
        assert self._sqlite is not None
        return self._sqlite.execute(sql, args).fetchall()

    async def p50_ms(self, sql: str, args: tuple[Any, ...], reps: int) -> float:
        """Median milliseconds of one query over ``reps`` runs."""
        times = []
        for _ in range(reps):
            started = time.perf_counter()
            await self.fetch(sql, *args)
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000
