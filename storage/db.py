"""The database: one engine, units of work, migrations.

SQLite is tuned for a bot's write pattern (WAL, synchronous=NORMAL, a busy timeout and
foreign keys on, per PERFORMANCE.md: a durable commit costs ~0.6 ms in the default journal,
~0.1 ms in WAL). PostgreSQL needs no tuning here. Both are migrated by Alembic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import commits, faults
from storage.locks import AdvisoryLock
from storage.options import READ_ONLY
from storage.unit import Unit

MIGRATIONS = Path(__file__).parent / "migrations"
logger = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    # Take the write lock up front: a deferred transaction that reads, then writes after
    # another writer committed fails with SQLITE_BUSY_SNAPSHOT instead of waiting, which
    # would break read-then-write units such as "take the last seat". A connection marked
    # READ_ONLY never writes, so it reads its WAL snapshot without queueing for the lock.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


_TURN_SECONDS = 30.0  # a burst queues here: longer than SQLite's 5 s busy timeout
_WROTE = "cohort_wrote"
_WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "WITH")


def _note_write(connection: Connection, _cursor: object, statement: str, *_args: object) -> None:
    # The error policy retries only work that changed nothing (storage.faults.committed).
    if statement.lstrip()[:6].upper().startswith(_WRITES):
        connection.info[_WROTE] = True


class Database:
    """Owns the engine; hands out units of work."""

    def __init__(self, url: str, *, settle_within: float = 3.0) -> None:
        self.url = url
        self.settle_within = settle_within  # seconds to learn a lost COMMIT's fate
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite" and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # A SQLite file connection cannot go stale; pinging it cost a thread hop per unit.
        self.engine: AsyncEngine = create_async_engine(
            url, pool_pre_ping=self.dialect != "sqlite")
        event.listen(self.engine.sync_engine, "before_cursor_execute", _note_write)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _begin_immediate)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        """One transaction with its repositories; commits on success, rolls back on error.

        A unit that wrote is counted once committed (:mod:`storage.faults`): the error policy
        then never runs its caller again. On PostgreSQL such a unit's COMMIT is settled by
        :meth:`_commit` when its answer is lost.
        """
        async with self._turn(), self._sessions() as session, session.begin():
            connection = await session.connection()
            connection.info.pop(_WROTE, None)
            yield Unit(session)
            await session.flush()
            wrote = connection.info.pop(_WROTE, False)
            if wrote and self.dialect == "postgresql":
                xid = await commits.transaction_id(connection)
                if xid is not None:
                    await self._commit(session, xid)
        if wrote:  # only a unit that changed rows makes retrying its caller unsafe
            faults.count_commit()

    async def _commit(self, session: AsyncSession, xid: str) -> None:
        """COMMIT transaction ``xid``; if the answer is lost, ask the server what happened.

        Committed: the unit stands and returns normally. Aborted: the error is re-raised and
        the caller may be retried, nothing of it stands. Unknown (the server stayed out of
        reach for :attr:`settle_within` s): it may have committed, so it is counted as
        committed before re-raising. The error policy then apologises plainly instead of
        retrying: running a member's command twice (two awards, two redemptions) is worse
        than asking them to check and try again.
        """
        try:
            await session.commit()
        except Exception as exc:
            if not faults.transient(exc):
                raise
            # Give the dead connection back first: under load, units asking at once must
            # not hold every pool slot. Closing also keeps rows read in the unit loaded.
            await session.close()
            fate = await commits.fate(self.engine, xid, self.settle_within)
            if fate is commits.Fate.ABORTED:
                raise
            if fate is commits.Fate.UNKNOWN:
                logger.warning("COMMIT of transaction %s lost its answer and the server could "
                               "not say whether it committed; not retrying it", xid)
                faults.count_commit()
                raise
            logger.info("COMMIT of transaction %s lost its answer but took effect", xid)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """On SQLite, this process's units queue here for the one write lock, in order.

        Every SQLite unit takes the write lock at ``BEGIN IMMEDIATE``. A burst of handlers
        (G10) used to wait in SQLite's busy handler, which sleeps up to 100 ms between
        tries, so units finished late or failed after the 5 s busy timeout. A unit that
        waits here ``_TURN_SECONDS`` (a unit opened inside another) goes on to SQLite's
        own lock, so such a mistake fails as it did before rather than hanging.
        """
        if self.dialect != "sqlite":
            yield
            return
        loop = asyncio.get_running_loop()
        if self._writer is None or self._writer[0] is not loop:
            self._writer = (loop, asyncio.Lock())
        lock = self._writer[1]
        held = False
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_TURN_SECONDS):
                held = await lock.acquire()
        try:
            yield
        finally:
            if held:
                lock.release()

    def transient(self, error: BaseException) -> bool:
        """Whether ``error`` may pass on its own (the bot's error policy retries it)."""
        return faults.transient(error)

    def count_commits(self) -> Callable[[], int]:
        """Count this task's writing units from now: a retry is safe only while it reads 0."""
        return faults.count_from_here()

    def note_commit(self) -> None:
        """Count a writing unit another task committed for this one (a group commit)."""
        faults.count_commit()

    def advisory_lock(self, name: str) -> AdvisoryLock:
        """A named lock held on its own connection (PostgreSQL only)."""
        return AdvisoryLock(self.engine, name)

    async def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to ``revision``."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_run_upgrade, revision)

    async def revision(self) -> str | None:
        """The current Alembic revision, or None for an empty database."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(_current_revision)

    async def wipe(self) -> None:
        """Delete every row in every table (``cohort demo reset``, tests)."""
        from storage.rows.base import Base

        async with self.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(table.delete())

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _run_upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()
