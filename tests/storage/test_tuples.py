"""The hot write paths hand tuples straight to the driver (G1, G3), on both databases."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta, timezone

import pytest
from sqlalchemy import event, text

from storage import Database
from tests.conftest import START


@contextmanager
def statements(db: Database) -> Iterator[list[tuple[str, bool, bool]]]:
    """(SQL, executemany, compiled by SQLAlchemy) of every statement sent while open."""
    seen: list[tuple[str, bool, bool]] = []

    def hook(_conn, _cursor, sql, _params, context, executemany):  # type: ignore[no-untyped-def]
        seen.append((sql, executemany, context is not None and context.compiled is not None))

    event.listen(db.engine.sync_engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", hook)


async def test_a_batch_of_interactions_is_one_driver_statement_without_the_orm(db: Database):
    async with db.unit() as unit:
        member = await unit.members.create("discord", "1", "Maya", "maya", START)
    rows = [{"member_id": member.id, "platform": "discord", "place_id": "5", "kind": "message",
             "name": None, "created_at": START + timedelta(microseconds=n % 2),
             "source_key": f"discord:message:{n}"} for n in range(2500)]
    with statements(db) as seen:
        async with db.unit() as unit:
            assert await unit.interactions.add_many(rows) == 2500
    inserts = [s for s in seen if "INSERT" in s[0]]
    assert len(inserts) == 1, inserts
    _, executemany, compiled = inserts[0]
    assert not compiled  # no SQLAlchemy compilation nor per-value type processing
    assert executemany == (db.engine.dialect.name == "sqlite")  # PostgreSQL: one unnest()


async def test_timestamps_from_the_tuple_path_read_back_as_the_orm_wrote_them(db: Database):
    """Whole seconds keep their ``.000000`` on SQLite, so stored times compare as text."""
    async with db.unit() as unit:
        member = await unit.members.create("discord", "1", "Maya", "maya", START)
    plus_two = timezone(timedelta(hours=2))
    moments = [START, START + timedelta(microseconds=7), START.astimezone(plus_two)]
    async with db.unit() as unit:
        await unit.interactions.add_many([
            {"member_id": member.id, "platform": "discord", "place_id": "5", "kind": "message",
             "name": None, "created_at": at, "source_key": f"k{n}"}
            for n, at in enumerate(moments)])
    async with db.unit() as unit:
        stored = [r.created_at for r in await unit.interactions.all()]
    assert stored == [m.astimezone(UTC) for m in moments]
    async with db.engine.connect() as connection:
        since = (await connection.execute(
            text("SELECT COUNT(*) FROM interactions WHERE created_at >= :at"),
            {"at": START.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else START},
        )).scalar_one()
    assert since == 3


async def test_a_naive_time_is_refused_and_nothing_is_stored(db: Database):
    async with db.unit() as unit:
        member = await unit.members.create("discord", "1", "Maya", "maya", START)
    with pytest.raises(ValueError, match="naive"):
        async with db.unit() as unit:
            await unit.interactions.add_many([
                {"member_id": member.id, "platform": "discord", "place_id": "5",
                 "kind": "message", "name": None, "created_at": START.replace(tzinfo=None),
                 "source_key": "k"}])
    async with db.unit() as unit:
        assert await unit.interactions.count() == 0
