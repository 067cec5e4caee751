"""The real ``cohort run`` process against both emulators at once, stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.emulators.discord_api import DiscordEmulator, Followup
from tests.emulators.telegram_api import SentMessage, TelegramEmulator

ROOT = Path(__file__).parents[2]


async def test_cohort_run_serves_discord_and_telegram_and_stops_on_sigterm(tmp_path: Path):
    async with DiscordEmulator() as emu, TelegramEmulator() as tg:
        guild = emu.add_guild("Cohort Test")
        general = emu.add_channel(guild, "general")
        maya = emu.add_member(guild, "maya")
        tomas = tg.add_user("Tomas", username="tomas")
        env = {k: v for k, v in os.environ.items() if not k.startswith("COHORT_")}
        env.update({
            "COHORT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cohort.db",
            "COHORT_DATA_DIR": str(tmp_path / "data"),
            "COHORT_DISCORD__TOKEN": emu.token,
            "COHORT_DISCORD__API_BASE_URL": emu.http_url,
            "COHORT_DISCORD__GATEWAY_URL": emu.gateway_url,
            "COHORT_DISCORD__GUILD_ID": str(guild.id),
            "COHORT_DISCORD__GUILD_READY_TIMEOUT": "0.05",
            "COHORT_TELEGRAM__TOKEN": tg.token,
            "COHORT_TELEGRAM__BASE_URL": tg.base_url,
            "COHORT_TELEGRAM__BASE_FILE_URL": tg.base_file_url,
            "COHORT_TELEGRAM__POLL_TIMEOUT": "1",
            "PYTHONPATH": str(ROOT),
        })
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            await emu.wait_until_identified(timeout=20)
            while not any(r.method == "deleteWebhook" for r in tg.requests):  # noqa: ASYNC110
                await asyncio.sleep(0.02)  # polling starts right after
            interaction = await emu.send_interaction_create(guild, general, maya, "help")
            followup = await emu.wait_for(Followup, lambda f: f.interaction_id == interaction.id)
            tg.push_command(tg.private_chat(tomas), tomas, "help")
            sent = await tg.wait_for(SentMessage, lambda m: m.chat_id == tomas.id)
            assert followup.content.startswith("Here is what I can do")
            assert sent.text.startswith("Here is what I can do")
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 15)
        assert process.returncode == 0, stderr.decode()[-3000:]
        assert b"stopping" in stderr
        assert b"Traceback" not in stderr, stderr.decode()[-3000:]
