"""Storage on a real SQLite file and the real PostgreSQL."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from storage import Database
from storage.rows.events import EventRow
from tests.conftest import START


def _head() -> str:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def test_migrations_reach_head_and_are_idempotent(db: Database):
    assert await db.revision() == _head()
    await db.upgrade()  # a second run changes nothing
    assert await db.revision() == _head()


async def test_upgrading_keeps_existing_rows(tmp_path):
    """Data written under the first schema survives every later migration."""
    fresh = Database(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    async with fresh:
        await fresh.upgrade("0001")
        async with fresh.engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO events (title, description, tags, starts_at, duration_minutes, "
                "timezone, status, created_at) VALUES ('Old', '', '', '2030-01-01 10:00:00', "
                "60, 'UTC', 'scheduled', '2029-01-01 10:00:00')"))
        await fresh.upgrade()
        assert await fresh.revision() == _head()
        async with fresh.unit() as unit:
            [event] = await unit.events.upcoming(datetime(2029, 6, 1, tzinfo=UTC))
            assert event.title == "Old"
            assert event.reminder_offsets == "24h,1h" and event.detached is False


async def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/nested/dir/cohort.db")
    async with db:
        await db.upgrade()
        async with db.engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
            assert (await connection.execute(text("PRAGMA synchronous"))).scalar() == 1  # NORMAL


async def test_times_come_back_aware_utc(db: Database):
    berlin_evening = datetime(2026, 12, 1, 18, 0, tzinfo=timezone(timedelta(hours=1)))
    async with db.unit() as unit:
        member = await unit.members.create("console", "maya", "Maya", "maya", berlin_evening)
    async with db.unit() as unit:
        row = await unit.members.get(member.id)
        assert row is not None
        assert row.created_at == berlin_evening
        assert row.created_at.tzinfo is not None
        assert row.created_at.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(db: Database):
    with pytest.raises(Exception, match="naive datetime"):
        async with db.unit() as unit:
            await unit.members.create("console", "x", "X", None, datetime(2026, 1, 1))


async def test_a_unit_of_work_is_all_or_nothing(db: Database):
    now = START
    async def crash_mid_work() -> None:
        async with db.unit() as unit:
            await unit.members.create("console", "maya", "Maya", "maya", now)
            raise RuntimeError("crash mid-work")

    with pytest.raises(RuntimeError):
        await crash_mid_work()
    async with db.unit() as unit:
        assert await unit.members.count() == 0


async def test_interactions_ignore_redelivered_source_keys(db: Database):
    now = START
    async with db.unit() as unit:
        member = await unit.members.create("discord", "1", "Maya", "maya", now)
    row = {"member_id": member.id, "platform": "discord", "place_id": "5", "kind": "message",
           "name": None, "created_at": now, "source_key": "discord:message:42"}
    async with db.unit() as unit:
        assert await unit.interactions.add_many([row, {**row, "source_key": "discord:message:43"}]) == 2
    async with db.unit() as unit:
        assert await unit.interactions.add_many([row]) == 0
        assert await unit.interactions.count() == 2


async def test_deleting_a_member_cascades_to_accounts_and_interactions(db: Database):
    now = START
    async with db.unit() as unit:
        member = await unit.members.create("telegram", "222", "Tomas", None, now)
        await unit.interactions.add_many([{
            "member_id": member.id, "platform": "telegram", "place_id": "-1", "kind": "message",
            "name": None, "created_at": now, "source_key": "telegram:message:1"}])
        await unit.events.add(EventRow(title="T", description="", tags="", starts_at=now,
                                       duration_minutes=60, timezone="UTC", status="scheduled",
                                       created_by=member.id, created_at=now))
    async with db.unit() as unit:
        await unit.members.delete(member.id)
    async with db.unit() as unit:
        assert await unit.interactions.count() == 0
        assert await unit.members.by_account("telegram", "222") is None
        [event] = await unit.events.upcoming(now - timedelta(days=1))
        assert event.created_by is None  # the event stays, without its author


async def test_member_ids_are_never_reused(db: Database):
    now = START
    async with db.unit() as unit:
        first = await unit.members.create("console", "a", "A", None, now)
    async with db.unit() as unit:
        await unit.members.delete(first.id)
    async with db.unit() as unit:
        second = await unit.members.create("console", "b", "B", None, now)
    assert second.id > first.id


async def test_members_are_found_by_handle_id_or_name(db: Database):
    now = START
    async with db.unit() as unit:
        await unit.members.create("discord", "1234", "Maya Lopez", "maya", now)
    async with db.unit() as unit:
        for token in ("@maya", "maya", "1234", "maya lopez"):
            found = await unit.members.find("discord", token)
            assert found is not None and found.display_name == "Maya Lopez", token
        assert await unit.members.find("telegram", "@maya") is None


async def test_two_first_contacts_of_one_person_make_one_member(db: Database):
    import asyncio

    from bot.core.clock import SystemClock
    from bot.core.model import Platform, UserRef
    from bot.services.members import MemberDirectory

    author = UserRef(Platform.DISCORD, "42", "Maya")
    first, second = MemberDirectory(db, SystemClock()), MemberDirectory(db, SystemClock())
    a, b = await asyncio.gather(first.identify(author), second.identify(author))
    assert a.member_id == b.member_id
    async with db.unit() as unit:
        assert await unit.members.count() == 1
