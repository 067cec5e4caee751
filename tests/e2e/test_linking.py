"""Linking a Discord and a Telegram account over both emulators (merging: services/members)."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.app import App
from bot.core.model import Platform
from tests.e2e.conftest import DiscordWorld, TelegramWorld
from tests.emulators.discord_api import Followup
from tests.emulators.telegram_api import SentMessage
from tests.harness import snapshot

CODE = re.compile(r"code is ([A-Z0-9]{8})")


async def _discord_dm(world: DiscordWorld, user, command: str, options=None) -> str:
    emu = world.emu
    interaction = await emu.send_interaction_create(None, emu.dm_channel(user), user, command,
                                                    options)
    followup = await emu.wait_for(
        Followup, lambda f: f.interaction_id == interaction.id and f.action == "create")
    return followup.content


async def _telegram(world: TelegramWorld, user, command: str, args: str = "") -> str:
    tg = world.tg
    mark = tg.mark()
    tg.push_command(tg.private_chat(user), user, command, args)
    sent = await tg.wait_for(SentMessage, lambda m: m.chat_id == user.id, after=mark)
    return sent.text


async def _members(app: App) -> list[tuple[int, list[str]]]:
    async with app.db.unit() as unit:
        accounts = await unit.members.all_accounts()
    by_member: dict[int, list[str]] = {}
    for account in accounts:
        by_member.setdefault(account.member_id, []).append(account.platform)
    return sorted((k, sorted(v)) for k, v in by_member.items())


async def test_a_code_from_discord_links_the_telegram_account(
        app, discord_global_bot, telegram_bot, discord_world, telegram_world):
    app.platforms.add_deep_link(Platform.TELEGRAM, telegram_bot.deep_link)
    issued = await _discord_dm(discord_world, discord_world.maya, "link")
    code = CODE.search(issued)
    assert code, issued
    assert f"https://t.me/cohort_test_bot?start=link-{code[1]}" in issued

    answer = await _telegram(telegram_world, telegram_world.maya, "link", code[1])
    assert answer.startswith("Linked!")
    members = await _members(app)
    assert [platforms for _, platforms in members] == [["discord", "telegram"]]

    again = await _telegram(telegram_world, telegram_world.maya, "link", code[1])
    assert "wrong or has expired" in again  # one-time

    separated = await _discord_dm(discord_world, discord_world.maya, "unlink")
    assert separated.startswith("Unlinked")
    assert sorted(p for _, p in await _members(app)) == [["discord"], ["telegram"]]


async def test_a_telegram_deep_link_runs_link_from_start(
        app, discord_global_bot, telegram_bot, discord_world, telegram_world):
    issued = await _discord_dm(discord_world, discord_world.tomas, "link")
    code = CODE.search(issued)
    assert code
    answer = await _telegram(telegram_world, telegram_world.tomas, "start", f"link-{code[1]}")
    assert answer.startswith("Linked!")
    assert [p for _, p in await _members(app)] == [["discord", "telegram"]]


async def test_bad_codes_change_nothing(app, discord_global_bot, telegram_bot, discord_world,
                                        telegram_world):
    issued = await _discord_dm(discord_world, discord_world.maya, "link")
    code = CODE.search(issued)
    assert code
    await _telegram(telegram_world, telegram_world.maya, "help")  # both members exist
    await app.interactions.flush()
    before = await snapshot(app.db)

    assert "wrong or has expired" in await _telegram(telegram_world, telegram_world.maya,
                                                     "link", "ZZZZ9999")
    assert "your own" in await _discord_dm(discord_world, discord_world.maya, "link",
                                           {"code": code[1]})
    app.clock.advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    assert "wrong or has expired" in await _telegram(telegram_world, telegram_world.maya,
                                                     "link", code[1])
    assert await snapshot(app.db) == before


async def test_link_only_in_a_dm(discord_global_bot, discord_world):
    emu = discord_world.emu
    assert emu.command("link")["contexts"] == [1, 2]
