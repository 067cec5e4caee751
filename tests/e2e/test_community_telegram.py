"""Telegram: only the configured groups are the community, and admin rights come from it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.adapters.telegram import TelegramAdapter
from bot.app import App
from tests.e2e.conftest import TelegramWorld, telegram_options
from tests.emulators.telegram_api import SentMessage
from tests.harness import snapshot


@asynccontextmanager
async def _bot(app: App, world: TelegramWorld, **overrides: object) -> AsyncIterator[None]:
    adapter = TelegramAdapter(app.dispatcher, app.presence, app.clock,
                              telegram_options(world, **overrides))
    async with adapter:
        app.platforms.add_messenger(adapter.messenger)
        yield


async def _said(world: TelegramWorld, chat_id: int, after: int) -> str:
    sent = await world.tg.wait_for(SentMessage, lambda m: m.chat_id == chat_id, after=after)
    return sent.text


async def test_other_groups_are_ignored_and_their_admins_are_no_admins(app, telegram_world):
    tg, world = telegram_world.tg, telegram_world
    # Maya administers another group the bot is in; Tomas administers the community's.
    other = tg.add_group("Elsewhere", members=[world.tomas], admins=[world.maya],
                         bot_is_admin=True)
    async with _bot(app, world):
        before = await snapshot(app.db)
        mark = tg.mark()
        tg.push_command(other, world.maya, "config", "channel announcements")
        tg.push_message(other, world.maya, "chatting elsewhere")
        tg.push_command(tg.private_chat(world.maya), world.maya, "outbox")
        assert "admins only" in await _said(world, world.maya.id, mark)
        await tg.wait_until_consumed()
        await asyncio.sleep(0.2)
        assert tg.sent_to(other) == []
        await app.interactions.flush()
        after = await snapshot(app.db)
        assert after["channel_roles"] == before["channel_roles"]
        assert after["audit_log"] == before["audit_log"]
        async with app.db.unit() as unit:
            rows = await unit.interactions.all()
        assert all(r.place_id != str(other.id) for r in rows)

        # The community group's administrator is an admin in a DM too (getChatMember).
        mark = tg.mark()
        tg.push_command(tg.private_chat(world.tomas), world.tomas, "outbox")
        assert "admins only" not in await _said(world, world.tomas.id, mark)
        asked = [(r.params["chat_id"], r.params["user_id"]) for r in tg.requests
                 if r.method == "getChatMember"]
        assert (str(world.group.id), str(world.tomas.id)) in asked
    async with app.db.unit() as unit:
        audited = [(r.command, r.platform, r.place_id) for r in await unit.audit.recent()]
    assert audited == [("outbox", "telegram", str(world.tomas.id))]


async def test_a_configured_admin_id_is_an_admin(app, telegram_world):
    tg, world = telegram_world.tg, telegram_world
    async with _bot(app, world, admin_ids=(world.maya.id,)):
        mark = tg.mark()
        tg.push_command(world.group, world.maya, "config", "channel announcements")
        assert "announcements" in await _said(world, world.group.id, mark)


async def test_with_no_group_configured_admins_learn_the_group_id(app, telegram_world, caplog):
    tg, world = telegram_world.tg, telegram_world
    caplog.set_level(logging.INFO)
    before = await snapshot(app.db)
    async with _bot(app, world, chat_ids=()):
        assert any("COHORT_TELEGRAM__CHAT_IDS is empty" in r.getMessage()
                   for r in caplog.records)
        mark = tg.mark()
        tg.push_command(world.group, world.maya, "help")
        tg.push_command(world.group, world.tomas, "help")
        hint = await _said(world, world.group.id, mark)
        assert str(world.group.id) in hint and "COHORT_TELEGRAM__CHAT_IDS" in hint
        await tg.wait_until_consumed()
        await asyncio.sleep(0.2)
        assert len(tg.sent_to(world.group)) == 1  # the member got nothing
        # DMs still work.
        mark = tg.mark()
        tg.push_command(tg.private_chat(world.maya), world.maya, "help")
        assert (await _said(world, world.maya.id, mark)).startswith("Here is what I can do")
        await app.interactions.flush()
    after = await snapshot(app.db)
    assert after["audit_log"] == before["audit_log"] == []
    assert after["channel_roles"] == before["channel_roles"] == []
