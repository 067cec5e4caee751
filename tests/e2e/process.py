"""Start the real ``cohort run`` process against both emulators, and stop it with SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.emulators.discord_api import DiscordEmulator, Guild
from tests.emulators.telegram_api import TelegramEmulator

ROOT = Path(__file__).parents[2]


async def start_cohort(tmp_path: Path, emu: DiscordEmulator, tg: TelegramEmulator,
                       guild: Guild, **settings: str) -> asyncio.subprocess.Process:
    """``cohort run`` on a fresh SQLite file, connected and polling when this returns."""
    process = await spawn_cohort(tmp_path, emu, tg, guild, **settings)
    await emu.wait_until_identified(timeout=90)  # a loaded machine starts Python slowly
    while not any(r.method == "deleteWebhook" for r in tg.requests):  # noqa: ASYNC110
        await asyncio.sleep(0.02)  # polling starts right after
    return process


async def spawn_cohort(tmp_path: Path, emu: DiscordEmulator, tg: TelegramEmulator,
                       guild: Guild, **settings: str) -> asyncio.subprocess.Process:
    """``cohort run`` on a fresh SQLite file, pointed at the emulators (not awaited)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHORT_")}
    env.update({
        "COHORT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cohort.db",
        "COHORT_DATA_DIR": str(tmp_path / "data"),
        "COHORT_DISCORD__TOKEN": emu.token,
        "COHORT_DISCORD__API_BASE_URL": emu.http_url,
        "COHORT_DISCORD__GATEWAY_URL": emu.gateway_url,
        "COHORT_DISCORD__GUILD_ID": str(guild.id),
        "COHORT_DISCORD__GUILD_IDS": str(guild.id),
        "COHORT_DISCORD__GUILD_READY_TIMEOUT": "0.05",
        "COHORT_TELEGRAM__TOKEN": tg.token,
        "COHORT_TELEGRAM__BASE_URL": tg.base_url,
        "COHORT_TELEGRAM__BASE_FILE_URL": tg.base_file_url,
        "COHORT_TELEGRAM__POLL_TIMEOUT": "1",
        "COHORT_WEB__PORT": "0",  # any free port: parallel runs never race for 8080
        "PYTHONPATH": str(ROOT),
        **settings,
    })
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def stop_cohort(process: asyncio.subprocess.Process) -> bytes:
    """SIGTERM, then the process's stderr once it has exited."""
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    return stderr
