"""A channel or group where the bot may not post: not retried, and admins are told once."""

from __future__ import annotations

from bot.core.model import Platform
from bot.services.outbox import OutboxKind, Outgoing
from tests.emulators.discord_api import Followup, Permissions, RateLimitHit, SentMessage
from tests.emulators.telegram_api import SentMessage as TgSent


async def _post(app, platform: Platform, place: str, key: str) -> None:
    async with app.db.unit() as unit:
        await app.outbox.put(unit, [Outgoing(key, OutboxKind.LEADERBOARD, "Top of the week",
                                             app.clock.now(), platform=platform,
                                             place_id=place)])


async def _rows(app) -> dict[str, tuple[str, str | None, int]]:
    async with app.db.unit() as unit:
        return {r.key: (r.status, r.last_error, r.attempts) for r in await unit.outbox.all()}


async def test_discord_missing_permissions_50013_tell_the_admins_once(app, discord_bot,
                                                                     discord_world):
    emu, world = discord_world.emu, discord_world
    ran = await emu.send_interaction_create(world.guild, world.general, world.tomas, "outbox")
    await emu.wait_for(Followup, lambda f: f.interaction_id == ran.id)  # Tomas is an admin
    emu.deny_bot(world.general, Permissions.SEND_MESSAGES)
    await _post(app, Platform.DISCORD, str(world.general.id), "board:1")
    await app.outbox.sweep()
    await app.outbox.sweep()  # the notice is an outbox row too
    await _post(app, Platform.DISCORD, str(world.general.id), "board:2")
    await app.outbox.sweep()
    await app.outbox.sweep()
    rows = await _rows(app)
    assert rows["board:1"] == ("undeliverable", "no permission to post there", 1)
    assert rows["board:2"][0] == "undeliverable"
    notices = [m for m in emu.dms_to(world.tomas) if "not allowed" in m.content]
    assert len(notices) == 1
    assert str(world.general.id) in notices[0].content
    assert "Send Messages" in notices[0].content
    assert [m for m in emu.recorder.of_type(SentMessage)
            if m.channel_id == world.general.id] == []
    assert emu.recorder.of_type(RateLimitHit) == []


async def test_telegram_not_enough_rights_tell_the_admins_once(app, telegram_bot,
                                                              telegram_world):
    tg, world = telegram_world.tg, telegram_world
    tg.start_chat(world.tomas)
    mark = tg.mark()
    tg.push_command(tg.private_chat(world.tomas), world.tomas, "outbox")
    await tg.wait_for(TgSent, lambda m: m.chat_id == world.tomas.id, after=mark)
    tg.restrict_bot(world.group)
    for key in ("board:1", "board:2"):
        await _post(app, Platform.TELEGRAM, str(world.group.id), key)
        await app.outbox.sweep()
        await app.outbox.sweep()
    rows = await _rows(app)
    assert rows["board:1"] == ("undeliverable", "no permission to post there", 1)
    assert rows["board:2"][0] == "undeliverable"
    notices = [m for m in tg.sent_to(world.tomas) if "not allowed" in m.text]
    assert len(notices) == 1 and str(world.group.id) in notices[0].text
    assert tg.sent_to(world.group) == []
