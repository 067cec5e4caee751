"""SQLite units of one process queue for the write lock in order (G10: a message burst)."""

from __future__ import annotations

import asyncio

import pytest

from storage import Database


# PostgreSQL has row locks; only SQLite has one writer to queue for.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_units_take_the_write_lock_in_arrival_order(db: Database):
    began: list[int] = []

    async def one(n: int) -> None:
        async with db.unit() as unit:
            began.append(n)
            await unit.members.count()
            await asyncio.sleep(0.005)  # hold the write lock across an await

    await asyncio.gather(*(one(n) for n in range(8)))
    # Without the queue, the others sat in SQLite's busy handler, sleeping up to 100 ms
    # between tries (and failing after 5 s): whoever woke first went next.
    assert began == list(range(8))
