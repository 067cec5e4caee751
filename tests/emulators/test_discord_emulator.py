"""The real discord.py against the Discord emulator, over 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import discord
import pytest
from discord import app_commands

from tests.emulators.discord_api import (
    Channel,
    ChannelType,
    CommandHidden,
    CommandsSynced,
    DiscordEmulator,
    DmChannelOpened,
    Followup,
    Guild,
    InteractionCallback,
    Permissions,
    RateLimitHit,
    Role,
    RoleChange,
    SentMessage,
    UploadedFile,
    User,
)


@dataclass
class Community:
    emu: DiscordEmulator
    guild: Guild
    general: Channel
    voice: Channel
    moderator: Role
    maya: User
    tomas: User


@pytest.fixture
async def community() -> AsyncIterator[Community]:
    async with DiscordEmulator() as emu:
        guild = emu.add_guild("Cohort Test")
        general = emu.add_channel(guild, "general")
        voice = emu.add_channel(guild, "hangout", type=ChannelType.VOICE)
        moderator = emu.add_role(guild, "moderator", permissions=Permissions.MANAGE_GUILD)
        maya = emu.add_member(guild, "maya")
        tomas = emu.add_member(guild, "tomas", roles=[moderator])
        with emu.patch_discord_py():
            yield Community(emu, guild, general, voice, moderator, maya, tomas)


class Bot(discord.Client):
    def __init__(self, *, intents: discord.Intents | None = None) -> None:
        super().__init__(intents=intents or discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.inbox: asyncio.Queue[discord.Message] = asyncio.Queue()
        self.reactions: asyncio.Queue[discord.RawReactionActionEvent] = asyncio.Queue()
        self.voice: asyncio.Queue[tuple[discord.Member, int | None]] = asyncio.Queue()
        self.ready_fired = asyncio.Event()
        self.resumed = asyncio.Event()

    async def on_ready(self) -> None:
        self.ready_fired.set()

    async def on_message(self, message: discord.Message) -> None:
        if message.author.id != self.user.id:  # the emulator echoes our own sends, like Discord
            await self.inbox.put(message)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self.reactions.put(payload)

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        # discord.py mutates VoiceState objects in place: keep the channel id of this event.
        await self.voice.put((member, after.channel.id if after.channel else None))

    async def on_resumed(self) -> None:
        self.resumed.set()


@contextlib.asynccontextmanager
async def running(
    emu: DiscordEmulator, bot: Bot, *, token: str | None = None
) -> AsyncIterator[Bot]:
    task = asyncio.create_task(bot.start(token or emu.token))
    try:
        await asyncio.wait_for(bot.ready_fired.wait(), 5)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


@pytest.fixture
def bot_factory(
    community: Community,
) -> Callable[..., contextlib.AbstractAsyncContextManager[Bot]]:
    def make(
        intents: discord.Intents | None = None,
    ) -> contextlib.AbstractAsyncContextManager[Bot]:
        return running(community.emu, Bot(intents=intents))

    return make


async def test_client_identifies_and_receives_ready_with_guild_state(community, bot_factory):
    emu = community.emu
    intents = discord.Intents.default()
    intents.members = True
    async with bot_factory(intents) as bot:
        assert bot.user.id == emu.bot_user.id
        assert bot.application_id == emu.application_id
        guild = bot.get_guild(community.guild.id)
        assert guild is not None
        assert guild.name == "Cohort Test"
        assert {c.name for c in guild.channels} == {"general", "hangout"}
        assert isinstance(guild.get_channel(community.voice.id), discord.VoiceChannel)
        assert guild.get_role(community.moderator.id).name == "moderator"
        assert guild.get_member(community.tomas.id).get_role(community.moderator.id)
        assert guild.me.id == emu.bot_user.id

    assert emu.gateway_connects[0]["v"] == "10"
    assert emu.gateway_connects[0]["encoding"] == "json"
    assert emu.identifies[0]["intents"] == intents.value
    assert emu.heartbeats >= 1  # discord.py beats right after HELLO
    assert all(r.status < 400 for r in emu.requests), emu.requests


async def test_injected_message_reaches_on_message_with_content_intent(community, bot_factory):
    intents = discord.Intents.default()
    intents.message_content = True
    async with bot_factory(intents) as bot:
        await community.emu.send_message_create(
            community.guild, community.general, community.maya, "hello cohort"
        )
        message = await asyncio.wait_for(bot.inbox.get(), 2)
    assert message.content == "hello cohort"
    assert message.author.id == community.maya.id
    assert isinstance(message.author, discord.Member)
    assert message.channel.id == community.general.id
    assert message.guild.id == community.guild.id


async def test_message_content_is_empty_without_the_privileged_intent(community, bot_factory):
    async with bot_factory() as bot:
        await community.emu.send_message_create(
            community.guild, community.general, community.maya, "secret text"
        )
        message = await asyncio.wait_for(bot.inbox.get(), 2)
    assert message.content == ""
    assert message.author.id == community.maya.id


async def test_dm_messages_reach_on_message(community, bot_factory):
    async with bot_factory() as bot:
        await community.emu.send_dm_message_create(community.maya, "hi bot")
        message = await asyncio.wait_for(bot.inbox.get(), 2)
    assert isinstance(message.channel, discord.DMChannel)
    assert message.content == "hi bot"  # DMs carry content without the intent


async def test_tree_sync_is_recorded_with_options_and_permissions(community, bot_factory):
    emu = community.emu
    async with bot_factory() as bot:

        @bot.tree.command(name="ping", description="Check the bot is alive")
        @app_commands.describe(times="How many pongs")
        async def ping(interaction: discord.Interaction, times: int = 1) -> None:
            await interaction.response.send_message("pong" * times)

        event = app_commands.Group(name="event", description="Events")

        @event.command(name="create", description="Create an event")
        async def event_create(interaction: discord.Interaction, title: str) -> None:
            await interaction.response.send_message(title)

        @app_commands.command(name="config", description="Configure the bot")
        @app_commands.default_permissions(manage_guild=True)
        async def config(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("ok")

        bot.tree.add_command(event)
        bot.tree.add_command(config, guild=discord.Object(community.guild.id))
        synced = await bot.tree.sync()
        guild_synced = await bot.tree.sync(guild=discord.Object(community.guild.id))

    assert sorted(c.name for c in synced) == ["event", "ping"]
    assert [c.name for c in guild_synced] == ["config"]
    ping_cmd = emu.command("ping")
    assert ping_cmd["options"] == [
        {"type": 4, "name": "times", "description": "How many pongs", "required": False}
    ]
    create = emu.command("event")["options"][0]
    assert (create["type"], create["name"]) == (1, "create")
    assert create["options"][0]["name"] == "title"
    assert create["options"][0]["required"] is True
    config_cmd = emu.command("config", community.guild)
    assert config_cmd["default_member_permissions"] == str(Permissions.MANAGE_GUILD)
    assert [r.guild_id for r in emu.recorder.of_type(CommandsSynced)] == [None, community.guild.id]


async def test_slash_interaction_is_deferred_then_followed_up(community, bot_factory):
    emu = community.emu
    seen: dict[str, object] = {}
    async with bot_factory() as bot:

        @bot.tree.command(name="points", description="Give points")
        async def points(
            interaction: discord.Interaction, member: discord.Member, amount: int
        ) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            seen["user"] = interaction.user
            seen["permissions"] = interaction.permissions
            await interaction.followup.send(
                f"{member.display_name} +{amount}", allowed_mentions=discord.AllowedMentions.none()
            )
            await interaction.followup.send("Leaderboard updated", ephemeral=True)

        await bot.tree.sync()
        interaction = await emu.send_interaction_create(
            community.guild,
            community.general,
            community.tomas,
            "points",
            {"member": community.maya, "amount": 5},
        )
        await emu.wait_for(Followup, lambda f: f.content == "Leaderboard updated")

    [callback] = emu.callbacks_for(interaction)
    followup, second = emu.followups_for(interaction)
    assert (second.original, second.ephemeral) == (False, True)
    assert callback.type == InteractionCallback.DEFER
    assert callback.ephemeral
    assert followup.action == "create"
    assert followup.original  # the first follow-up replaces the "thinking" message
    assert followup.content == "maya +5"
    assert emu.messages[followup.message_id]["flags"] == 64  # ephemeral, no longer loading
    assert seen["user"].id == community.tomas.id
    assert seen["permissions"].manage_guild


async def test_second_acknowledgement_and_late_acknowledgement_fail(community):
    emu = community.emu
    emu.interaction_deadline = 0.2
    errors: list[discord.HTTPException] = []
    async with running(emu, Bot()) as bot:

        @bot.tree.command(name="slow", description="Too slow")
        async def slow(interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.3)
            try:
                await interaction.response.defer()
            except discord.HTTPException as exc:
                errors.append(exc)

        await bot.tree.sync()
        await emu.send_interaction_create(
            community.guild, community.general, community.maya, "slow"
        )
        for _ in range(50):
            if errors:
                break
            await asyncio.sleep(0.05)
    assert isinstance(errors[0], discord.NotFound)
    assert errors[0].code == 10062


async def test_dm_is_delivered_and_closed_dms_raise_forbidden(community, bot_factory):
    emu = community.emu
    emu.close_dms(community.tomas)
    async with bot_factory() as bot:
        maya = await bot.fetch_user(community.maya.id)
        await maya.send("Hack night starts in 30 minutes.")
        tomas = bot.get_user(community.tomas.id) or await bot.fetch_user(community.tomas.id)
        with pytest.raises(discord.Forbidden) as info:
            await tomas.send("Hack night starts in 30 minutes.")

    assert info.value.code == 50007
    assert [m.content for m in emu.dms_to(community.maya)] == ["Hack night starts in 30 minutes."]
    assert emu.dms_to(community.tomas) == []
    assert {r.user_id for r in emu.recorder.of_type(DmChannelOpened)} == {
        community.maya.id,
        community.tomas.id,
    }


async def test_a_429_on_channel_send_is_retried_by_discord_py(community, bot_factory):
    emu = community.emu
    emu.force_rate_limit("send_message", times=2, retry_after=0.2, major=community.general.id)
    async with bot_factory() as bot:
        channel = bot.get_channel(community.general.id)
        loop = asyncio.get_running_loop()
        started = loop.time()
        message = await channel.send("leaderboard")
        elapsed = loop.time() - started

    assert message.content == "leaderboard"
    assert elapsed >= 0.35  # slept retry_after twice
    hits = emu.recorder.of_type(RateLimitHit)
    assert [h.action for h in hits] == ["send_message", "send_message"]
    assert [m.content for m in emu.sent_messages] == ["leaderboard"]
    statuses = [r.status for r in emu.requests if r.action == "send_message"]
    assert statuses == [429, 429, 200]


async def test_bucket_limits_make_discord_py_wait_instead_of_failing(community, bot_factory):
    emu = community.emu
    emu.set_rate_limit("send_message", limit=2, window=0.3)
    async with bot_factory() as bot:
        channel = bot.get_channel(community.general.id)
        await asyncio.gather(*(channel.send(f"post {i}") for i in range(5)))
    assert sorted(m.content for m in emu.sent_messages) == [f"post {i}" for i in range(5)]


async def test_roles_are_granted_and_removed(community, bot_factory):
    emu = community.emu
    async with bot_factory() as bot:
        guild = bot.get_guild(community.guild.id)
        member = guild.get_member(community.maya.id) or await guild.fetch_member(community.maya.id)
        role = guild.get_role(community.moderator.id)
        await member.add_roles(role, reason="reached 100 points")
        await member.remove_roles(role)
        too_high = emu.add_role(community.guild, "owner-only", position=200)
        with pytest.raises(discord.Forbidden) as info:
            await member.add_roles(discord.Object(too_high.id))

    assert info.value.code == 50013
    assert emu.role_changes == [
        RoleChange(
            community.guild.id,
            community.maya.id,
            community.moderator.id,
            True,
            "reached 100 points",
        ),
        RoleChange(community.guild.id, community.maya.id, community.moderator.id, False, None),
    ]


async def test_reactions_and_voice_state_updates_are_delivered(community, bot_factory):
    emu = community.emu
    async with bot_factory() as bot:
        sent = await bot.get_channel(community.general.id).send("React to RSVP")
        await emu.send_reaction_add(
            community.guild, community.general, sent.id, community.maya, "✅"
        )
        reaction = await asyncio.wait_for(bot.reactions.get(), 2)
        await emu.send_voice_state_update(community.guild, community.tomas, community.voice)
        member, joined = await asyncio.wait_for(bot.voice.get(), 2)
        await emu.send_voice_state_update(community.guild, community.tomas, None)
        _, left = await asyncio.wait_for(bot.voice.get(), 2)

    assert (reaction.message_id, reaction.user_id, str(reaction.emoji)) == (
        sent.id,
        community.maya.id,
        "✅",
    )
    assert member.id == community.tomas.id
    assert joined == community.voice.id
    assert left is None


async def test_button_click_is_answered_with_a_message_update(community, bot_factory):
    emu = community.emu
    clicks: list[str] = []

    class Rsvp(discord.ui.View):
        def __init__(self) -> None:
            super().__init__(timeout=None)

        @discord.ui.button(label="Going", custom_id="rsvp:1:yes")
        async def going(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            clicks.append(interaction.user.name)
            await interaction.response.edit_message(content="Going: 1")

    async with bot_factory() as bot:
        bot.add_view(Rsvp())
        post = await bot.get_channel(community.general.id).send("Hack night", view=Rsvp())
        interaction = await emu.send_component_interaction(
            community.guild, community.general, community.maya, post.id, "rsvp:1:yes"
        )
        callback = await emu.wait_for(
            InteractionCallback, lambda c: c.interaction_id == interaction.id
        )

    assert clicks == ["maya"]
    assert callback.type == InteractionCallback.UPDATE_MESSAGE
    assert callback.content == "Going: 1"
    assert emu.messages[post.id]["content"] == "Going: 1"
    assert emu.sent_messages[0].components[0]["components"][0]["custom_id"] == "rsvp:1:yes"


async def test_client_resumes_after_the_gateway_drops_and_gets_missed_events(community):
    emu = community.emu
    intents = discord.Intents.default()
    intents.message_content = True
    async with running(emu, Bot(intents=intents)) as bot:
        await emu.drop_connections(code=4000)
        await emu.send_message_create(community.guild, community.general, community.maya, "missed")
        await asyncio.wait_for(bot.resumed.wait(), 5)
        message = await asyncio.wait_for(bot.inbox.get(), 2)

    assert message.content == "missed"
    assert len(emu.identifies) == 1
    assert len(emu.resumes) == 1


async def test_wrong_token_fails_login(community):
    bot = Bot()
    with pytest.raises(discord.LoginFailure):
        await bot.login("not-the-token")
    await bot.close()


async def test_sent_message_records_files(community, bot_factory):
    import io

    emu = community.emu
    async with bot_factory() as bot:
        channel = bot.get_channel(community.general.id)
        message = await channel.send("calendar", file=discord.File(io.BytesIO(b"BEGIN"), "e.ics"))
    record = await emu.wait_for(SentMessage)
    assert record.files[0].filename == "e.ics"
    assert record.files[0].content == b"BEGIN"
    assert message.attachments[0].filename == "e.ics"


async def test_default_member_permissions_are_enforced_as_discord_does(community, bot_factory):
    emu = community.emu
    guild = community.guild
    helper = emu.add_role(guild, "helper")  # a role without Manage Server
    ana = emu.add_member(guild, "ana", roles=[helper])
    admin_role = emu.add_role(guild, "admins", permissions=Permissions.ADMINISTRATOR)
    boss = emu.add_member(guild, "boss", roles=[admin_role])
    async with bot_factory() as bot:

        @app_commands.command(name="config", description="Configure the bot")
        @app_commands.default_permissions(manage_guild=True)
        async def config(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("ok")

        @app_commands.command(name="lock", description="Nobody but administrators")
        @app_commands.default_permissions()
        async def lock(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("ok")

        bot.tree.add_command(config, guild=discord.Object(guild.id))
        bot.tree.add_command(lock, guild=discord.Object(guild.id))
        await bot.tree.sync(guild=discord.Object(guild.id))
        with pytest.raises(CommandHidden):
            await emu.send_interaction_create(guild, community.general, ana, "config")
        with pytest.raises(CommandHidden):  # "0": only administrators
            await emu.send_interaction_create(guild, community.general, ana, "lock")
        manager = await emu.send_interaction_create(guild, community.general, ana, "config",
                                                    permissions=Permissions.MANAGE_GUILD)
        administrator = await emu.send_interaction_create(guild, community.general, boss,
                                                          "lock")
        for interaction in (manager, administrator):
            await emu.wait_for(InteractionCallback,
                               lambda c, i=interaction: c.interaction_id == i.id)


async def test_attachment_options_are_resolved_and_downloadable(community):
    emu = community.emu
    seen: list[tuple[str, int, bytes]] = []
    async with running(emu, Bot()) as bot:

        @bot.tree.command(name="upload", description="Takes a file")
        async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
            seen.append((file.filename, file.size, await file.read()))
            await interaction.response.send_message("got it")

        await bot.tree.sync()
        assert emu.command("upload")["options"][0]["type"] == 11
        interaction = await emu.send_interaction_create(
            community.guild, community.general, community.maya, "upload",
            {"file": UploadedFile("file", "a.py", b"print(1)\n", "text/x-python")})
        await emu.wait_for(InteractionCallback, lambda c: c.interaction_id == interaction.id)
    assert seen == [("a.py", 9, b"print(1)\n")]
    resolved = interaction.payload["data"]["resolved"]["attachments"]
    assert [a["filename"] for a in resolved.values()] == ["a.py"]


class CodeModal(discord.ui.Modal, title="Your code"):
    code: discord.ui.Label[discord.ui.View] = discord.ui.Label(
        text="Code", component=discord.ui.TextInput(
            custom_id="code", style=discord.TextStyle.paragraph, max_length=4000))


async def test_a_modal_is_validated_shown_and_submitted_as_a_modal_submit(community):
    emu = community.emu
    submitted: list[dict] = []
    errors: list[discord.HTTPException] = []
    async with running(emu, Bot()) as bot:

        @bot.tree.command(name="ask", description="Opens a modal")
        async def ask(interaction: discord.Interaction, bad: bool = False) -> None:
            modal = CodeModal(custom_id="m1")
            if bad:  # Discord refuses text inputs longer than 4000 characters
                modal.code.component.max_length = 4001  # type: ignore[attr-defined]
            modal.stop()  # handled in on_interaction below
            try:
                await interaction.response.send_modal(modal)
            except discord.HTTPException as exc:
                errors.append(exc)

        @bot.event
        async def on_interaction(interaction: discord.Interaction) -> None:
            if interaction.type is discord.InteractionType.modal_submit:
                submitted.append(dict(interaction.data or {}))
                await interaction.response.send_message("thanks", ephemeral=True)

        await bot.tree.sync()
        refused = await emu.send_interaction_create(
            community.guild, community.general, community.maya, "ask", {"bad": True})
        asked = await emu.send_interaction_create(
            community.guild, community.general, community.maya, "ask")
        await emu.wait_for(InteractionCallback, lambda c: c.interaction_id == asked.id)
        assert [c.type for c in emu.callbacks_for(asked)] == [InteractionCallback.MODAL]
        with pytest.raises(ValueError, match="longer than its max_length"):
            await emu.send_modal_submit(asked, {"code": "x" * 4001})
        reply = await emu.send_modal_submit(asked, {"code": "line 1\nline 2"})
        await emu.wait_for(InteractionCallback, lambda c: c.interaction_id == reply.id)
    assert errors and errors[0].status == 400 and emu.callbacks_for(refused) == []
    assert reply.type == 5
    assert submitted == [{"custom_id": "m1", "components": [
        {"type": 18, "id": 1, "component": {
            "type": 4, "id": 1, "custom_id": "code", "value": "line 1\nline 2"}}]}]
    with pytest.raises(LookupError):
        emu.modal_for(reply)  # answered with a message, not a modal
