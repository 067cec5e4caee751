"""Which failures the error policy may retry (storage.faults), on real errors only."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from storage import Database
from storage.faults import count_from_here, transient
from tests.conftest import START


async def test_a_timeout_outside_storage_is_not_a_storage_fault():
    with pytest.raises(TimeoutError) as caught:
        await asyncio.wait_for(asyncio.sleep(1), 0.01)  # a judge or an HTTP call timing out
    assert not transient(caught.value)


async def _create_twice(db: Database) -> None:
    async with db.unit() as unit:
        await unit.members.create("console", "x", "x", None, START)
        await unit.members.create("console", "x", "x", None, START)


async def test_a_constraint_failure_is_not_transient(db: Database):
    with pytest.raises(Exception) as caught:  # whatever the driver raises
        await _create_twice(db)
    assert not transient(caught.value)


async def test_only_units_that_wrote_are_counted(db: Database):
    committed = count_from_here()
    async with db.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    async with db.unit() as unit:
        await unit.members.all_accounts()
    assert committed() == 0
    async with db.unit() as unit:
        await unit.members.create("console", "y", "y", None, START)
    assert committed() == 1
