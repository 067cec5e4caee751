"""/audit and the admin's /mydata: every admin command is logged with who, what and where."""

import json

from bot.app import App
from tests.harness import Chat, snapshot


async def test_audit_lists_admin_commands_newest_first_and_only_for_admins(chat: Chat):
    await chat.say("/config channel announcements", who="tomas", admin=True)
    await chat.say("/outbox", who="tomas", admin=True, dm=True)
    await chat.say("/profile timezone=Europe/Berlin", who="tomas")  # not an admin command
    shown = await chat.text("/audit", who="ana", admin=True)
    lines = shown.splitlines()
    assert lines[0] == "Latest admin commands (newest first):"
    assert "tomas: /outbox (console dm:tomas)" in lines[1]
    assert "tomas: /config channel role=announcements (console general)" in lines[2]
    assert len(lines) == 3
    assert "admins only" in await chat.text("/audit", who="maya")


async def test_audit_count_is_bounded_and_a_bad_count_stores_nothing(chat: Chat, app: App):
    for _ in range(3):
        await chat.say("/outbox", who="tomas", admin=True)
    assert len((await chat.text("/audit 2", who="tomas", admin=True)).splitlines()) == 3
    before = await snapshot(app.db)
    refused = await chat.text("/audit 0", who="tomas", admin=True)
    assert "Usage: /audit" in refused
    assert await snapshot(app.db) == before


async def test_an_admins_mydata_lists_the_admin_commands_they_ran(chat: Chat):
    await chat.say("/config channel leaderboard", who="tomas", admin=True)
    await chat.say("/outbox", who="maya", admin=True)
    [reply] = await chat.say("/mydata", who="tomas")
    assert reply.file is not None
    actions = json.loads(reply.file.data)["admin_actions"]
    assert [(a["command"], a["args"], a["platform"], a["place"]) for a in actions] == [
        ("config channel", {"role": "leaderboard"}, "console", "general")]


async def test_forgetme_keeps_the_audit_entries_but_they_name_no_one(chat: Chat, app: App):
    await chat.say("/config channel leaderboard", who="tomas", admin=True)
    await chat.say("/forgetme confirm", who="tomas")
    async with app.db.unit() as unit:
        [row] = await unit.audit.recent()
    assert (row.command, row.member_id) == ("config channel", None)
    shown = await chat.text("/audit", who="ana", admin=True)
    assert "a former member: /config channel role=leaderboard" in shown
