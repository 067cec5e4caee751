"""End to end over the wire: the real ``cohort run`` process against both emulators.

An admin creates an event on Discord, a Discord member and a Telegram member RSVP, and
both get the reminder DM, exactly once, through a storm of 429s on both platforms.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from tests.e2e.process import start_cohort, stop_cohort
from tests.emulators.discord_api import DiscordEmulator, Followup, Permissions, RateLimitHit
from tests.emulators.discord_api import SentMessage as DiscordSent
from tests.emulators.telegram_api import Refused, TelegramEmulator
from tests.emulators.telegram_api import SentMessage as TelegramSent


async def test_members_on_both_platforms_get_their_reminder_once_through_429s(tmp_path: Path):
    async with DiscordEmulator() as emu, TelegramEmulator() as tg:
        guild = emu.add_guild("Cohort Test")
        general = emu.add_channel(guild, "general")
        ada = emu.add_member(guild, "ada")
        maya = emu.add_member(guild, "maya")
        tomas = tg.add_user("Tomas", username="tomas")
        process = await start_cohort(tmp_path, emu, tg, guild,
                                     COHORT_OUTBOX__SWEEP_SECONDS="1",
                                     COHORT_OUTBOX__BACKOFF_SECONDS="1")
        try:
            # The event starts in 2 hours; its only reminder falls due about 8 s from now.
            created = await emu.send_interaction_create(
                guild, general, ada, "event create",
                {"title": "Hack night", "start": "in 2h", "reminders": "1h59m52s"},
                permissions=Permissions.MANAGE_GUILD)
            reply = await emu.wait_for(
                Followup, lambda f: f.interaction_id == created.id and bool(f.content),
                timeout=20)
            match = re.search(r"Created #(\d+)", reply.content)
            assert match, reply.content
            event = match[1]
            rsvp = await emu.send_interaction_create(
                guild, general, maya, "rsvp", {"id": int(event), "answer": "going"})
            going = await emu.wait_for(
                Followup, lambda f: f.interaction_id == rsvp.id and bool(f.content))
            assert "You're going" in going.content
            chat = tg.private_chat(tomas)
            tg.push_command(chat, tomas, "start")
            tg.push_command(chat, tomas, "rsvp", f"{event} going")
            await tg.wait_for(TelegramSent, lambda m: m.chat_id == tomas.id
                              and "You're going" in m.text, timeout=20)
            # A storm of 429s on both platforms just as the reminders fall due.
            emu.force_rate_limit("send_message", times=3, retry_after=1.0)
            tg.force_retry_after("sendMessage", times=3, retry_after=1, chat=tomas)
            discord_dm = await emu.wait_for(
                DiscordSent, lambda m: m.recipient_id == maya.id and "Reminder" in m.content,
                timeout=40)
            telegram_dm = await tg.wait_for(
                TelegramSent, lambda m: m.chat_id == tomas.id and "Reminder" in m.text,
                timeout=40)
            assert f"#{event} Hack night starts in 1 hour" in discord_dm.content
            assert f"#{event} Hack night starts in 1 hour" in telegram_dm.text
            await asyncio.sleep(3)  # several more sweeps: nothing is sent twice
            assert len([m for m in emu.dms_to(maya) if "Reminder" in m.content]) == 1
            assert len([m for m in tg.sent_to(chat) if "Reminder" in m.text]) == 1
            # The storm really happened: each platform refused three sends first.
            assert len([h for h in emu.recorder.of_type(RateLimitHit) if h.forced]) == 3
            assert len([r for r in tg.recorder.of_type(Refused) if r.error_code == 429]) == 3
        finally:
            stderr = await stop_cohort(process)
        assert process.returncode == 0, stderr.decode()[-3000:]
        text = stderr.decode()
        assert "Traceback" not in text, text[text.find("Traceback") - 200:][:3000]

