"""Announcements carry RSVP buttons; pressing one RSVPs and refreshes the post's count."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core.model import Platform, UserRef
from bot.services.events import EventSpec
from tests.emulators import discord_api, telegram_api


async def _announce(app: App, platform: str, place_id: str) -> int:
    async with app.db.unit() as unit:
        await unit.channels.set_channel(platform, "announcements", place_id)
    ada = await app.directory.identify(UserRef(Platform.CONSOLE, "ada", "ada"))
    view = await app.features.events.create(
        ada, EventSpec(title="Hack night", start=app.clock.now() + timedelta(days=2),
                       capacity=10), None)
    assert await app.features.events.announce(view.id) == 1
    await app.outbox.sweep()
    return view.id


async def test_telegram_rsvp_button_updates_the_announcement(app, telegram_bot, telegram_world):
    tg, world = telegram_world.tg, telegram_world
    event = await _announce(app, "telegram", str(world.group.id))
    post = await tg.wait_for(telegram_api.SentMessage,
                             lambda m: m.chat_id == world.group.id and "New: #" in m.text)
    assert "Going: 0/10" in post.text and post.buttons
    tg.start_chat(world.maya)
    tg.push_callback_query(world.group, world.maya, post.message_id, f"/rsvp {event} going")
    edited = await tg.wait_for(telegram_api.EditedMessage,
                               lambda e: e.message_id == post.message_id)
    assert edited.text is not None and "Going: 1/10" in edited.text
    assert edited.reply_markup  # the buttons stay on the post
    answered = await tg.wait_for(telegram_api.AnsweredCallback, lambda a: True)
    assert answered.text is None  # answered at once, before the RSVP ran
    confirmed = await tg.wait_for(telegram_api.SentMessage,
                                  lambda m: m.chat_id == world.maya.id)
    assert "You're going" in confirmed.text  # private: by DM, not in the group
    report = await app.features.events.attendees(event)
    assert [a.name for a in report.going] == ["Maya"]


async def test_discord_rsvp_button_updates_the_announcement(app, discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    event = await _announce(app, "discord", str(world.general.id))
    post = await emu.wait_for(discord_api.SentMessage,
                              lambda m: m.channel_id == world.general.id
                              and "New: #" in m.content)
    assert "Going: 0/10" in post.content
    await emu.send_component_interaction(world.guild, world.general, world.maya,
                                         post.message_id, f"/rsvp {event} going")
    edited = await emu.wait_for(discord_api.EditedMessage,
                                lambda e: e.message_id == post.message_id)
    assert "Going: 1/10" in str(edited.payload.get("content"))
    report = await app.features.events.attendees(event)
    assert [a.name for a in report.going] == ["maya"]


async def test_a_button_under_a_members_event_view_keeps_that_views_zone(
        app, telegram_bot, telegram_world):
    """Pressing RSVP under a member's /event view keeps its text (#13.9): no UTC rewrite."""
    tg, world = telegram_world.tg, telegram_world
    ada = await app.directory.identify(UserRef(Platform.CONSOLE, "ada", "ada"))
    view = await app.features.events.create(
        ada, EventSpec(title="Hack night", start=app.clock.now() + timedelta(days=2),
                       capacity=10), None)
    tg.push_command(tg.private_chat(world.maya), world.maya, "profile", "timezone=Asia/Tokyo")
    await tg.wait_for(telegram_api.SentMessage, lambda m: "Profile updated" in m.text)
    tg.push_command(world.group, world.maya, "event", str(view.id))
    post = await tg.wait_for(telegram_api.SentMessage,
                             lambda m: m.chat_id == world.group.id and "Hack night" in m.text)
    assert "JST" in post.text and "0/10 seats taken" in post.text and post.buttons
    tg.push_callback_query(world.group, world.maya, post.message_id, f"/rsvp {view.id} going")
    edited = await tg.wait_for(telegram_api.EditedMessage,
                               lambda e: e.message_id == post.message_id)
    assert edited.text == post.text.replace("0/10 seats taken", "1/10 seats taken")
