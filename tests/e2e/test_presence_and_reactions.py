"""Platform activity that means something: reactions earn the message's author points, and
joining voice during an online event one is going to counts as attending it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.app import App
from bot.core.model import Member, Platform, UserRef
from bot.services.events import Answer, EventSpec


def _ref(user) -> UserRef:
    return UserRef(Platform.DISCORD, str(user.id), user.username, handle=user.username)


async def _balance(app: App, member: Member) -> int:
    return (await app.features.points.standing(member)).balance


async def _eventually(check, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_a_reaction_earns_the_messages_author_points(app, discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    maya = await app.directory.identify(_ref(world.maya))
    message = await emu.send_message_create(world.guild, world.general, world.maya, "hi")

    async def chatted() -> bool:  # its text is withheld (no Message Content): it counts
        return await _balance(app, maya) > 0

    await _eventually(chatted)
    before = await _balance(app, maya)
    await emu.send_reaction_add(world.guild, world.general, int(message["id"]), world.tomas)

    async def rewarded() -> bool:
        return await _balance(app, maya) == before + app.features.points.rules.reaction_points

    await _eventually(rewarded)
    tomas = await app.directory.identify(_ref(world.tomas))
    assert await _balance(app, tomas) == 0  # reacting earns nothing; receiving does


async def test_joining_voice_during_an_online_event_is_attendance(app, clock, discord_bot,
                                                                  discord_world):
    emu, world = discord_world.emu, discord_world
    ada = await app.directory.identify(UserRef(Platform.CONSOLE, "ada", "ada"))
    online = await app.features.events.create(ada, EventSpec(
        title="Online study", start=clock.now() + timedelta(hours=1),
        online_url="https://meet.example.org/s"), None)
    offline = await app.features.events.create(ada, EventSpec(
        title="Offline meetup", start=clock.now() + timedelta(hours=1), venue="Room 2"), None)
    maya = await app.directory.identify(_ref(world.maya))
    for event in (online, offline):
        await app.features.events.rsvp(maya, event.id, Answer.GOING)
    clock.advance(timedelta(hours=1, minutes=10))  # both are running now
    await emu.send_voice_state_update(world.guild, world.maya, world.voice)

    async def checked_in() -> bool:
        report = await app.features.events.attendees(online.id)
        return [a.name for a in report.checked_in] == [maya.display_name]

    await _eventually(checked_in)
    offline_report = await app.features.events.attendees(offline.id)
    assert offline_report.checked_in == []  # an offline session needs its code
