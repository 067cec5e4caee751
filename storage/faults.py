"""Which storage failures may pass on their own, and how many writing units a task committed.

The bot's error policy retries work that failed on such a fault, and only when nothing was
committed meanwhile (the count from :func:`count_from_here` is still 0), so a retry can
never do anything twice. A PostgreSQL COMMIT whose answer is lost is settled first by asking
the server (:mod:`storage.commits`); one whose fate stays unknown is counted as committed.
Transient: the connection was lost or refused (a PostgreSQL restart, a terminated backend),
PostgreSQL gave up on a transaction it may run again (serialization failure, deadlock), or
SQLite stayed locked past its busy timeout by another writer.
"""

from __future__ import annotations

import sqlite3
import traceback
from collections.abc import Callable
from contextvars import ContextVar

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import DBAPIError

_SQLSTATES = frozenset({
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
    "57P01",  # admin_shutdown (pg_terminate_backend, a fast shutdown)
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now (starting up, shutting down)
    "53300",  # too_many_connections
})
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")
_MAX_DEPTH = 8
_DRIVERS = ("sqlalchemy", "asyncpg", "aiosqlite", "storage")


class _Count:
    """A mutable box, so units committed in child tasks count for the task that started them."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


_COMMITS: ContextVar[_Count | None] = ContextVar("cohort_commits", default=None)


def count_from_here() -> Callable[[], int]:
    """Count afresh the writing units this task (and tasks it starts) commit from now on.

    A fresh box per call: concurrent tasks copied from one context never share a count.
    """
    box = _Count()
    _COMMITS.set(box)
    return lambda: box.value


def count_commit() -> None:
    """Note one committed unit of work (called by :meth:`storage.Database.unit`)."""
    box = _COMMITS.get()
    if box is not None:
        box.value += 1


def transient(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is a storage fault worth one more try."""
    current: BaseException | None = error
    for _ in range(_MAX_DEPTH):
        if current is None:
            return False
        if _is_transient(current):
            return True
        origin = getattr(current, "orig", None) if isinstance(current, DBAPIError) else None
        current = origin if isinstance(origin, BaseException) else current.__cause__
    return False


def _raised_by_a_driver(error: BaseException) -> bool:
    return any(
        str(frame.f_globals.get("__name__", "")).startswith(_DRIVERS)
        for frame, _ in traceback.walk_tb(error.__traceback__)
    )


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, ConnectionError | TimeoutError):
        return _raised_by_a_driver(error)  # a judge's or an HTTP timeout is not ours to retry
    if isinstance(error, asyncpg.PostgresConnectionError | asyncpg.InterfaceError):
        return isinstance(error, asyncpg.PostgresConnectionError) or "closed" in str(error)
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and (sqlstate in _SQLSTATES or sqlstate.startswith("08")):
        return True
    if isinstance(error, sqlite3.OperationalError):
        return any(text in str(error).lower() for text in _SQLITE_BUSY)
    return False
