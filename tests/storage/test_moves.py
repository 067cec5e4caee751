"""A place that changes its id (a group upgraded to a supergroup) is followed everywhere."""

from __future__ import annotations

from storage import Database


async def test_places_follow_the_new_id_or_merge_into_it(db: Database):
    async with db.unit() as unit:
        await unit.places.ensure("telegram", "-5", "Old group", False, "-5")
        await unit.places.ensure("telegram", "-7", "Other group", False, "-7")
        await unit.places.ensure("telegram", "-1007", "Other, upgraded", False, "-1007")
        await unit.places.ensure("discord", "-5", "same id elsewhere", False, "g")
    async with db.unit() as unit:
        assert await unit.moves.move_place("telegram", "-5", "-1005") == 1
        assert await unit.moves.move_place("telegram", "-7", "-1007") == 1  # already seen
        assert await unit.moves.move_place("telegram", "-9", "-1009") == 0
    async with db.unit() as unit:
        telegram = sorted((p.place_id, p.community_id) for p in await unit.places.all("telegram"))
        discord = [(p.place_id, p.community_id) for p in await unit.places.all("discord")]
    assert telegram == [("-1005", "-1005"), ("-1007", "-1007")]
    assert discord == [("-5", "g")]
