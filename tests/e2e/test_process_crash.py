"""``kill -9`` of the real ``cohort run`` mid-delivery, then a restart (#18.7).

Sixty members each have one DM due, on SQLite and on PostgreSQL. The real process delivers them over the Telegram
emulator, paced, and is killed with SIGKILL a third of the way through; a second process
picks up. Counted per member: everyone gets their message, nobody more than twice, and the
only duplicates are sends that were in flight at the kill (at most the outbox's concurrency).
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

from bot.services.outbox import OutboxKind, Outgoing
from storage import Database
from tests.conftest import START
from tests.e2e.process import start_cohort, stop_cohort
from tests.emulators.discord_api import DiscordEmulator
from tests.emulators.telegram_api import SentMessage, TelegramEmulator

MEMBERS = 60
IN_FLIGHT = 8  # the outbox's send concurrency: the most a kill can leave sent-but-unrecorded
PACE = {"COHORT_OUTBOX__SWEEP_SECONDS": "0.5", "COHORT_OUTBOX__TELEGRAM_PER_SECOND": "15"}


def _counts(tg: TelegramEmulator) -> Counter[int]:
    return Counter(m.chat_id for m in tg.recorder.of_type(SentMessage)
                   if m.text.startswith("Notice for"))


async def _until(check, seconds: float) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_kill_9_mid_delivery_then_restart_every_member_gets_their_dm(
    db: Database, database_url: str, tmp_path: Path
):
    pace = {**PACE, "COHORT_DATABASE_URL": database_url}
    async with DiscordEmulator() as emu, TelegramEmulator() as tg:
        guild = emu.add_guild("Cohort Test")
        emu.add_channel(guild, "general")
        users = [tg.add_user(f"U{i}", username=f"u{i}") for i in range(MEMBERS)]
        async with db.unit() as unit:
            for i, user in enumerate(users):
                tg.start_chat(user)
                member = await unit.members.create("telegram", str(user.id), user.first_name,
                                                   user.username, START)
                await unit.outbox.add_many([Outgoing(
                    f"probe:{i}", OutboxKind.NOTICE, f"Notice for u{i}", START,
                    member_id=member.id).row(START)])

        first = await start_cohort(tmp_path, emu, tg, guild, **pace)
        try:
            await _until(lambda: sum(_counts(tg).values()) >= MEMBERS // 3, 180)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        assert first.returncode == -signal.SIGKILL
        before_restart = sum(_counts(tg).values())
        assert before_restart < MEMBERS  # killed mid-delivery, not after it

        second = await start_cohort(tmp_path, emu, tg, guild, **pace)
        delivered = True
        try:
            await _until(lambda: len(_counts(tg)) == MEMBERS, 180)  # a start can be slow on a busy CI box
            await asyncio.sleep(2)  # several more sweeps: nothing else goes out
        except AssertionError:
            delivered = False
        finally:
            stderr = await stop_cohort(second)
        assert delivered, (len(_counts(tg)), stderr.decode()[-4000:])
        assert second.returncode == 0, stderr.decode()[-3000:]
        log = stderr.decode()  # SIGTERM while sweeping every 0.5 s: a quiet stop (#18.6)
        assert "Traceback" not in log and "raised an exception" not in log, log[-3000:]

        counts = _counts(tg)
        assert set(counts) == {u.id for u in users}  # nothing lost
        assert max(counts.values()) <= 2
        assert sum(n - 1 for n in counts.values()) <= IN_FLIGHT
        async with db.unit() as unit:
            statuses = Counter(r.status for r in await unit.outbox.all())
        assert statuses == {"sent": MEMBERS}
