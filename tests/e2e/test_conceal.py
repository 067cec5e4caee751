"""/submit in a Telegram group: the message with the code is removed so nobody copies it."""

from __future__ import annotations

import asyncio

from tests.emulators.telegram_api import DeletedMessage, Refused, SentMessage


async def test_code_posted_in_a_group_is_removed_when_the_bot_may(telegram_bot, telegram_world):
    tg, world = telegram_world.tg, telegram_world
    world.group.members[tg.bot.id] = "administrator"
    update = tg.push_command(world.group, world.maya, "submit", "999 ```print(1)```")
    deleted = await tg.wait_for(DeletedMessage, lambda d: d.chat_id == world.group.id)
    assert deleted.message_id == update["message"]["message_id"]
    answer = await tg.wait_for(SentMessage, lambda m: m.chat_id == world.group.id)
    assert "999" in answer.text  # the member still gets an answer (no such challenge)


async def test_without_the_right_the_code_stays_and_the_bot_still_answers(
        telegram_bot, telegram_world):
    tg, world = telegram_world.tg, telegram_world
    tg.push_command(world.group, world.maya, "submit", "999 ```print(1)```")
    await tg.wait_for(SentMessage, lambda m: m.chat_id == world.group.id)
    refused = [r for r in tg.recorder.of_type(Refused) if r.method == "deleteMessage"]
    assert refused and "can't be deleted" in refused[0].description


async def test_other_commands_in_a_group_are_left_alone(telegram_bot, telegram_world):
    tg, world = telegram_world.tg, telegram_world
    world.group.members[tg.bot.id] = "administrator"
    tg.push_command(world.group, world.maya, "help")
    await tg.wait_for(SentMessage, lambda m: m.chat_id == world.group.id)
    await asyncio.sleep(0.1)
    assert tg.recorder.of_type(DeletedMessage) == []
