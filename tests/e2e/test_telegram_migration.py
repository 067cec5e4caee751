"""A Telegram group that becomes a supergroup keeps working (#12.6): every stored chat id
follows it, and a message sent to the old id goes to the new chat."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.core.model import Platform, Reply
from bot.services.outbox import OutboxKind, Outgoing
from tests.e2e.conftest import TelegramWorld
from tests.emulators.telegram_api import Chat, SentMessage


async def _old_group(app: App, world: TelegramWorld) -> Chat:
    """A basic group holding the announcements role and a queued post (not yet due)."""
    group = world.tg.add_group("Study Group", members=[world.maya], admins=[world.tomas],
                               supergroup=False)
    async with app.db.unit() as unit:
        await unit.channels.set_channel("telegram", "announcements", str(group.id))
        await app.outbox.put(unit, [Outgoing(
            "post:1", OutboxKind.ANNOUNCEMENT, "Hack night on Friday",
            app.clock.now().replace(year=2030), platform=Platform.TELEGRAM,
            place_id=str(group.id))])
    return group


async def _stored_ids(app: App) -> tuple[str | None, list[str | None]]:
    async with app.db.unit() as unit:
        role = await unit.channels.channel_for("telegram", "announcements")
        rows = await unit.outbox.all()
    return role, [r.place_id for r in rows]


async def test_the_migration_messages_move_every_stored_chat_id(app, telegram_bot,
                                                                telegram_world):
    tg, world = telegram_world.tg, telegram_world
    group = await _old_group(app, world)
    supergroup = tg.migrate_to_supergroup(group, world.tomas)
    for _ in range(200):
        stored = await _stored_ids(app)
        if stored[0] == str(supergroup.id):
            break
        await asyncio.sleep(0.02)
    assert stored == (str(supergroup.id), [str(supergroup.id)])


async def test_a_send_to_the_old_id_goes_to_the_supergroup_and_moves_the_ids(
        app, telegram_bot, telegram_world):
    tg, world = telegram_world.tg, telegram_world
    group = await _old_group(app, world)
    supergroup = tg.migrate_to_supergroup(group, world.tomas, announce=False)
    await telegram_bot.messenger.send_place(str(group.id), Reply("Welcome to the new group"))
    sent = await tg.wait_for(SentMessage)
    assert (sent.chat_id, sent.text) == (supergroup.id, "Welcome to the new group")
    assert await _stored_ids(app) == (str(supergroup.id), [str(supergroup.id)])
