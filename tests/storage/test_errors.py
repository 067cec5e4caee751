"""Repositories raise storage's own errors, never SQLAlchemy's."""

import pytest

from storage import Database, Duplicate, Rejected
from tests.conftest import START


async def test_a_second_member_for_one_account_is_a_duplicate(db: Database):
    async with db.unit() as unit:
        await unit.members.create("telegram", "42", "maya", None, START)
    with pytest.raises(Duplicate):
        async with db.unit() as unit:
            await unit.members.create("telegram", "42", "maya again", None, START)
    async with db.unit() as unit:
        assert await unit.members.count() == 1


async def test_interactions_of_an_unknown_member_are_rejected(db: Database):
    row = {"member_id": 999, "platform": "console", "place_id": "p", "kind": "message",
           "name": None, "created_at": START, "source_key": "console:message:1"}
    with pytest.raises(Rejected):
        async with db.unit() as unit:
            await unit.interactions.add_many([row])
    async with db.unit() as unit:
        assert await unit.interactions.count() == 0
