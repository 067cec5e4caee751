"""The Discord adapter with the real discord.py against the Discord emulator, over 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.app import App
from bot.core.errors import (
    DeliveryFailed,
    DeliveryFailure,
    NotPermitted,
    StartupFailed,
    UserError,
)
from bot.core.model import Button, FileOut, Reply
from bot.services.outbox import OutboxKind, Outgoing
from storage.rows.activity import InteractionRow
from tests.e2e.conftest import DiscordWorld, discord_options
from tests.emulators.discord_api import (
    CommandHidden,
    CommandsSynced,
    Followup,
    InteractionCallback,
    Permissions,
    RateLimitHit,
    RoleChange,
    SentMessage,
)


async def _followups(world: DiscordWorld, interaction, count: int = 1) -> list[Followup]:
    for _ in range(200):
        found = [f for f in world.emu.followups_for(interaction) if f.action == "create"]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.01)
    raise AssertionError(f"no follow-up: {world.emu.records[-5:]}")


async def _interactions(app: App) -> list[InteractionRow]:
    await app.interactions.flush()
    async with app.db.unit() as unit:
        return await unit.interactions.all()


async def test_commands_are_synced_to_the_guild_with_typed_options(discord_bot, discord_world):
    emu = discord_world.emu
    synced = emu.recorder.of_type(CommandsSynced)
    assert synced and synced[-1].guild_id == discord_world.guild.id
    names = {c["name"] for c in emu.guild_commands(discord_world.guild)}
    assert {"help", "profile", "link", "unlink", "config", "mydata"} <= names

    profile = emu.command("profile", discord_world.guild)
    options = {o["name"]: o for o in profile["options"]}
    assert options["interests"]["type"] == 3 and options["interests"]["max_length"] == 500
    assert options["dms"]["type"] == 5
    assert all(not o.get("required") for o in options.values())
    assert options["timezone"]["description"].startswith("IANA time zone")

    config = emu.command("config", discord_world.guild)
    assert config["default_member_permissions"] == str(Permissions.MANAGE_GUILD)
    channel = next(o for o in config["options"] if o["name"] == "channel")
    assert channel["type"] == 1  # a subcommand
    role = channel["options"][0]
    assert role["required"] is True
    assert [c["value"] for c in role["choices"]] == ["announcements", "leaderboard"]
    assert profile.get("default_member_permissions") is None


async def test_an_interaction_is_deferred_then_answered_without_mentions(
        discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    interaction = await emu.send_interaction_create(world.guild, world.general, world.maya,
                                                    "profile", {"interests": "rust @everyone"})
    followups = await _followups(world, interaction)
    callbacks = emu.callbacks_for(interaction)
    assert [c.type for c in callbacks] == [5]  # deferred first
    assert "Profile updated" in followups[0].content
    assert followups[0].payload["allowed_mentions"] == {"parse": []}


async def test_a_private_reply_is_ephemeral_in_a_guild(discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    interaction = await emu.send_interaction_create(world.guild, world.general, world.maya,
                                                    "unlink")
    followup = (await _followups(world, interaction))[0]
    assert "not linked" in followup.content
    assert followup.ephemeral
    assert any(f.action == "delete" and f.original for f in emu.followups_for(interaction))


async def test_admin_commands_check_manage_guild_at_run_time(app, discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    with pytest.raises(CommandHidden):  # no admin roles: Discord hides it from members
        await emu.send_interaction_create(world.guild, world.general, world.maya,
                                          "config channel", {"role": "announcements"})

    allowed = await emu.send_interaction_create(world.guild, world.general, world.tomas,
                                                "config channel", {"role": "announcements"})
    assert "announcements" in (await _followups(world, allowed))[0].content
    async with app.db.unit() as unit:
        rows = await unit.channels.all()
    assert [(r.platform, r.role, r.place_id) for r in rows] == [
        ("discord", "announcements", str(world.general.id))]


async def test_messages_reactions_and_voice_are_recorded(app, discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    message = await emu.send_message_create(world.guild, world.general, world.maya, "hi all")
    await emu.send_reaction_add(world.guild, world.general, int(message["id"]), world.tomas)
    await emu.send_voice_state_update(world.guild, world.maya, world.voice)
    # discord.py updates the VoiceState it hands to listeners in place: a leave processed
    # before the join's listener ran would hide the join (real joins and leaves are seconds
    # apart).
    await asyncio.sleep(0.1)
    await emu.send_voice_state_update(world.guild, world.maya, None)
    for _ in range(100):
        rows = await _interactions(app)
        if len(rows) >= 4:
            break
        await asyncio.sleep(0.02)
    kinds = sorted((r.kind, r.name) for r in rows)
    assert kinds == [("message", None), ("reaction", "👍"), ("voice", "join"),
                     ("voice", "leave")]
    assert {r.place_id for r in rows if r.kind == "voice"} == {str(world.voice.id)}


async def test_a_closed_dm_becomes_dm_closed_and_the_outbox_marks_it_undeliverable(
        app, discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    emu.close_dms(world.maya)
    with pytest.raises(DeliveryFailed) as failed:
        await discord_bot.messenger.send_direct(str(world.maya.id), Reply("hello"))
    assert failed.value.reason is DeliveryFailure.DM_CLOSED

    member = await app.directory.identify(_ref(world.maya))
    async with app.db.unit() as unit:
        await app.outbox.put(unit, [Outgoing("t:1", OutboxKind.NOTICE, "A notice",
                                             app.clock.now(), member_id=member.member_id)])
    await app.outbox.sweep()
    async with app.db.unit() as unit:
        [row] = await unit.outbox.all()
        [account] = await unit.members.all_accounts()
    assert row.status == "undeliverable"
    assert account.dm_closed_at is not None


async def test_dms_and_posts_are_split_carry_buttons_and_files(discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    long = "\n".join(f"line {i} " + "x" * 90 for i in range(60))  # ~5 900 characters
    reply = Reply(long, buttons=(Button("Going", "rsvp 1 going"),),
                  file=FileOut("a.txt", b"data", "text/plain"))
    message_id = await discord_bot.messenger.send_place(str(world.general.id), reply)
    sent = [m for m in emu.sent_messages if m.channel_id == world.general.id]
    assert len(sent) == 3 and all(len(m.content) <= 2000 for m in sent)
    assert message_id == str(sent[-1].message_id)
    assert sent[-1].components[0]["components"][0]["custom_id"] == "rsvp 1 going"
    assert sent[-1].files[0].content == b"data"
    assert all(m.payload["allowed_mentions"] == {"parse": []} for m in sent)

    await discord_bot.messenger.send_direct(str(world.tomas.id), Reply("hello @everyone"))
    assert emu.dms_to(world.tomas)[0].content == "hello @everyone"


async def test_a_button_click_runs_its_action_through_the_dispatcher(discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    await discord_bot.messenger.send_place(
        str(world.general.id), Reply("Pick", buttons=(Button("Help", "help profile"),)))
    sent = emu.sent_messages[-1]
    clicked = await emu.send_component_interaction(world.guild, world.general, world.maya,
                                                   sent.message_id, "help profile")
    followup = (await _followups(world, clicked))[0]
    deferred = emu.callbacks_for(clicked)[0]
    assert deferred.type == 5 and deferred.ephemeral  # the answer is for the clicker only
    assert "/profile" in followup.content and followup.original


async def test_a_short_429_is_waited_out_and_a_long_one_is_transient(discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    emu.force_rate_limit("send_message", retry_after=0.2)
    await discord_bot.messenger.send_place(str(world.general.id), Reply("after a pause"))
    assert emu.recorder.of_type(RateLimitHit)
    assert emu.sent_messages[-1].content == "after a pause"

    emu.force_rate_limit("send_message", retry_after=45.0)
    with pytest.raises(DeliveryFailed) as failed:
        await discord_bot.messenger.send_place(str(world.general.id), Reply("later"))
    assert failed.value.reason is DeliveryFailure.TRANSIENT
    assert failed.value.retry_after == pytest.approx(45.0)


async def test_roles_are_granted_and_removed_by_name_or_id(discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    speaker = emu.add_role(world.guild, "speaker")  # made after the bot connected
    roles = discord_bot.roles
    guild_id, user_id = str(world.guild.id), str(world.maya.id)
    await roles.grant_role(guild_id, user_id, "moderator", reason="reward")
    change = await emu.wait_for(RoleChange)
    assert (change.role_id, change.added, change.reason) == (world.moderator.id, True, "reward")
    await roles.remove_role(guild_id, user_id, str(world.moderator.id))
    assert emu.role_changes[-1].added is False
    await roles.grant_role(guild_id, user_id, "Speaker")
    assert emu.role_changes[-1].role_id == speaker.id
    assert await roles.has_role(guild_id, user_id, str(speaker.id))
    with pytest.raises(UserError):
        await roles.grant_role(guild_id, user_id, "no such role")


async def test_a_role_above_the_bot_is_not_permitted(discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    emu.add_role(world.guild, "owner-ish", position=150)
    with pytest.raises(NotPermitted):
        await discord_bot.roles.grant_role(str(world.guild.id), str(world.maya.id), "owner-ish")


async def test_a_message_gets_no_reply_and_bots_are_ignored(app, discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    mark = emu.mark()
    await emu.send_message_create(world.guild, world.general, emu.bot_user, "echo")
    await asyncio.sleep(0.1)
    assert not [r for r in emu.records[mark:] if isinstance(r, SentMessage | InteractionCallback)]
    assert await _interactions(app) == []


def _ref(user):
    from bot.core.model import Platform, UserRef

    return UserRef(Platform.DISCORD, str(user.id), user.username, handle=user.username)


async def test_the_adapter_restores_discord_py_urls_on_exit(app, discord_world):
    from discord.http import Route

    from tests.e2e.conftest import discord_options

    before = Route.BASE
    async with DiscordAdapter(app.dispatcher, app.presence, app.clock,
                              discord_options(discord_world, sync_commands=False)):
        assert discord_world.emu.http_url == Route.BASE
    assert before == Route.BASE


async def test_a_file_that_cannot_be_sent_is_reported_instead_of_promised(discord_bot,
                                                                         discord_world):
    emu, world = discord_world.emu, discord_world
    emu.max_upload_bytes = 10  # the export is bigger: 413, code 40005
    interaction = await emu.send_interaction_create(world.guild, world.general, world.maya,
                                                    "mydata")
    [told] = await _followups(world, interaction)
    assert told.content.startswith("I couldn't send you the file cohort-")
    assert told.ephemeral
    assert not [m for m in emu.messages.values() if "everything I store" in
                str(m.get("content"))]


async def test_a_failing_command_sync_is_retried_and_the_bot_connects_anyway(
        app, discord_world):
    emu, world = discord_world.emu, discord_world
    emu.commands_denied.add(world.guild.id)  # invited without applications.commands
    adapter = DiscordAdapter(app.dispatcher, app.presence, app.clock,
                             discord_options(world, sync_retry_seconds=0.2))
    async with adapter:
        assert adapter.client.is_ready()
        assert emu.recorder.of_type(CommandsSynced) == []
        emu.commands_denied.clear()  # the organiser re-invites the bot with the scope
        synced = await emu.wait_for(CommandsSynced, timeout=5)
    assert "help" in synced.names


async def test_an_interaction_clears_a_dms_closed_mark_and_tells_the_member_once(
        app, discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    emu.close_dms(world.maya)
    member = await app.directory.identify(_ref(world.maya))
    async with app.db.unit() as unit:
        await app.outbox.put(unit, [Outgoing("t:1", OutboxKind.NOTICE, "A reminder",
                                             app.clock.now(), member_id=member.member_id)])
    await app.outbox.sweep()  # refused: maya is marked "DMs closed"

    first = await emu.send_interaction_create(world.guild, world.general, world.maya,
                                              "profile")
    told = await _followups(world, first, count=2)
    assert "Profile of maya" in told[0].content
    assert told[1].ephemeral and "couldn't DM you reminders" in told[1].content
    async with app.db.unit() as unit:
        [account] = await unit.members.all_accounts()
    assert account.dm_closed_at is None  # the next reminder is tried again

    second = await emu.send_interaction_create(world.guild, world.general, world.maya,
                                               "profile")
    await _followups(world, second)
    await asyncio.sleep(0.2)
    assert len([f for f in emu.followups_for(second) if f.action == "create"]) == 1


async def _message_awards(app: App, member_id: int) -> list[str]:
    async with app.db.unit() as unit:
        return [r.kind for r in await unit.points.ledger(member_id) if r.kind == "message"]


async def test_without_message_content_messages_earn_points_by_the_cooldown_rule(
        app, discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    member = await app.directory.identify(_ref(world.maya))
    await emu.send_message_create(world.guild, world.general, world.maya, "ok")
    for _ in range(100):
        if await _message_awards(app, member.member_id):
            break
        await asyncio.sleep(0.02)
    # Text is withheld, so "ok" is not judged too short; the cooldown still holds.
    await emu.send_message_create(world.guild, world.general, world.maya, "ok")
    await asyncio.sleep(0.2)
    assert await _message_awards(app, member.member_id) == ["message"]


async def test_intents_are_logged_at_start(app, discord_world, caplog):
    caplog.set_level(logging.INFO, logger="bot.adapters.discord.adapter")
    adapter = DiscordAdapter(app.dispatcher, app.presence, app.clock,
                             discord_options(discord_world))
    async with adapter:
        pass
    [line] = [r.getMessage() for r in caplog.records if "intents:" in r.getMessage()]
    assert "message content OFF" in line and "cooldown rule only" in line


async def test_privileged_intent_not_granted_is_explained(app, discord_world):
    discord_world.emu.granted_intents = 0  # Message Content not enabled in the portal
    adapter = DiscordAdapter(app.dispatcher, app.presence, app.clock,
                             discord_options(discord_world, message_content=True))
    with pytest.raises(StartupFailed, match="Message Content Intent"):
        async with adapter:
            pass
