"""What became of a PostgreSQL COMMIT whose answer was lost (#18.4).

When the connection drops while COMMIT is on the wire, the client cannot tell from the error
whether the server committed: the answer may have been lost after the commit, or the COMMIT
may never have arrived. A retry is safe only in the second case, so a writing unit learns its
transaction id before COMMIT (``pg_current_xact_id_if_assigned()``, one cheap round trip,
only for units that wrote) and, if COMMIT fails on a transient fault, asks a fresh connection
``pg_xact_status()``. SQLite needs none of this: a COMMIT that fails there did not commit.
"""

from __future__ import annotations

import asyncio
import enum
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

_XID = "SELECT pg_current_xact_id_if_assigned()::text"
_STATUS = text("SELECT pg_xact_status(CAST(CAST(:xid AS text) AS xid8))")


class Fate(enum.Enum):
    """What the server says became of a transaction."""

    COMMITTED = "committed"
    ABORTED = "aborted"  # or never known to the server: nothing of it stands
    UNKNOWN = "unknown"  # the server could not be asked in time


async def transaction_id(connection: AsyncConnection) -> str | None:
    """The running transaction's id, or None when it was given none (it changed nothing).

    Asked of asyncpg directly: a third of the client time of the same query through
    SQLAlchemy, on a path every writing unit takes.
    """
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None  # a live connection inside a unit
    xid = await driver.fetchval(_XID)
    return None if xid is None else str(xid)


async def fate(engine: AsyncEngine, xid: str, within: float) -> Fate:
    """Ask fresh connections what became of ``xid``, polling for up to ``within`` seconds.

    "in progress" is polled too: the server may not yet have noticed the lost connection.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    pause = 0.02
    while True:
        try:
            async with asyncio.timeout(max(deadline - loop.time(), 0.05)):
                async with engine.connect() as connection:
                    status = (await connection.execute(_STATUS, {"xid": xid})).scalar()
        except Exception as exc:  # the server is still out of reach
            logger.debug("status of transaction %s not learned yet: %r", xid, exc)
        else:
            if status == "committed":
                return Fate.COMMITTED
            if status != "in progress":  # "aborted", or NULL: too old to know, never was
                return Fate.ABORTED
        if loop.time() + pause >= deadline:
            return Fate.UNKNOWN
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)
