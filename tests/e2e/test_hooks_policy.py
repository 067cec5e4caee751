"""Every update gets an answer: platform hooks run under the dispatcher's error policy (#18.5).

``/start`` reopens DMs (``dm_opened``) and reactions and voice joins reach the database too; a
failure there used to escape to the adapter ("update failed") and the member got no reply.
The fault is real: the accounts table is renamed away while the update arrives.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from bot.app import App
from bot.core.model import Platform, UserRef
from tests.e2e.conftest import TelegramWorld
from tests.emulators.telegram_api import SentMessage


@asynccontextmanager
async def accounts_gone(app: App) -> AsyncIterator[None]:
    async with app.db.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE accounts RENAME TO accounts_away"))
    try:
        yield
    finally:
        async with app.db.engine.begin() as connection:
            await connection.execute(text("ALTER TABLE accounts_away RENAME TO accounts"))


def _failures(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_start_is_answered_while_the_database_fails(
    app: App, telegram_bot, telegram_world: TelegramWorld, caplog
):
    tg, maya = telegram_world.tg, telegram_world.maya
    caplog.set_level(logging.ERROR)
    async with accounts_gone(app):
        tg.push_command(tg.private_chat(maya), maya, "start")
        welcome = await tg.wait_for(SentMessage, lambda m: m.chat_id == maya.id)
    assert "Send /help" in welcome.text
    [failure] = _failures(caplog)  # logged once, by the policy, not as "update failed"
    assert failure.getMessage().startswith("hook failed: platform=telegram")
    assert "command=dm_opened" in failure.getMessage()


async def test_a_reaction_that_cannot_be_stored_is_logged_once_by_the_policy(
    app: App, discord_bot, discord_world, caplog
):
    emu, world = discord_world.emu, discord_world
    await app.directory.identify(UserRef(Platform.DISCORD, str(world.maya.id), "maya"))
    message = await emu.send_message_create(world.guild, world.general, world.maya, "hi")
    caplog.set_level(logging.ERROR)
    async with accounts_gone(app):
        await emu.send_reaction_add(world.guild, world.general, int(message["id"]), world.tomas)
        for _ in range(250):
            if _failures(caplog):
                break
            await asyncio.sleep(0.02)
    [failure] = _failures(caplog)
    assert failure.getMessage().startswith("hook failed: platform=discord")
    assert "command=reaction" in failure.getMessage()
