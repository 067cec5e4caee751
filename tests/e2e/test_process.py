"""The real ``cohort run`` process against both emulators at once, stopped with SIGTERM."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.process import spawn_cohort, start_cohort, stop_cohort
from tests.emulators.discord_api import DiscordEmulator, Followup
from tests.emulators.telegram_api import SentMessage, TelegramEmulator


async def test_cohort_run_serves_discord_and_telegram_and_stops_on_sigterm(tmp_path: Path):
    async with DiscordEmulator() as emu, TelegramEmulator() as tg:
        guild = emu.add_guild("Cohort Test")
        general = emu.add_channel(guild, "general")
        maya = emu.add_member(guild, "maya")
        tomas = tg.add_user("Tomas", username="tomas")
        process = await start_cohort(tmp_path, emu, tg, guild)
        try:
            interaction = await emu.send_interaction_create(guild, general, maya, "help")
            followup = await emu.wait_for(Followup, lambda f: f.interaction_id == interaction.id)
            tg.push_command(tg.private_chat(tomas), tomas, "help")
            sent = await tg.wait_for(SentMessage, lambda m: m.chat_id == tomas.id)
            assert followup.content.startswith("Here is what I can do")
            assert sent.text.startswith("Here is what I can do")
        finally:
            stderr = await stop_cohort(process)
        assert process.returncode == 0, stderr.decode()[-3000:]
        assert b"stopping" in stderr
        assert b"Traceback" not in stderr, stderr.decode()[-3000:]


async def test_privileged_intent_not_granted_is_explained_and_cohort_exits(tmp_path: Path):
    async with DiscordEmulator() as emu, TelegramEmulator() as tg:
        guild = emu.add_guild("Cohort Test")
        emu.granted_intents = 0  # Message Content is not enabled in the Developer Portal
        process = await spawn_cohort(tmp_path, emu, tg, guild,
                                     COHORT_DISCORD__MESSAGE_CONTENT="true")
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    text = stderr.decode()
    assert process.returncode == 2, text[-3000:]
    assert "cohort: Discord refused the connection" in text
    assert "Message Content Intent" in text and "COHORT_DISCORD__MESSAGE_CONTENT=false" in text
    assert "Traceback" not in text, text[-3000:]
