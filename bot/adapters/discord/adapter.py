"""The Discord adapter: a discord.py client, its command tree, listeners and messenger.

Every interaction is deferred first and answered with follow-ups, so slow work (judging,
recommendations) never breaks Discord's three-second rule. Replies never mention anyone
(``AllowedMentions.none()``). Messages, reactions and voice joins/leaves are logged as
interactions; message text only reaches the bot when the message-content intent is on.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord import slash, translate
from bot.core.clock import Clock
from bot.core.dispatch import Dispatcher, split_command_line
from bot.core.errors import DeliveryFailed, DeliveryFailure, NotPermitted, UserError
from bot.core.model import Incoming, Platform, Reply, UserRef
from bot.core.ports import InteractionKind, PlatformEvents

logger = logging.getLogger(__name__)

DM_CLOSED_CODE = 50007  # "Cannot send messages to this user"
NO_MENTIONS = discord.AllowedMentions.none()


@dataclass(frozen=True, slots=True)
class DiscordOptions:
    """What the adapter needs from settings (plain values: adapters do not read config)."""

    token: str
    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    guild_id: int | None = None
    message_content: bool = False
    admin_roles: Sequence[str] = field(default=())
    sync_commands: bool = True
    guild_ready_timeout: float = 2.0
    ready_timeout: float = 60.0
    # 429s asking for a longer wait than this (discord.py's minimum is 30 s) are not slept
    # through: they become DeliveryFailed(TRANSIENT, retry_after) and the outbox reschedules.
    max_ratelimit_timeout: float = 30.0


def _point_at(api_base_url: str, gateway_url: str) -> tuple[str, yarl.URL]:
    """Set discord.py's REST base and gateway (process-wide class attributes, read at use).

    discord.py has no constructor option for them; these two attributes are its documented
    knobs (a plain ``Client`` connects to ``DEFAULT_GATEWAY`` and never asks
    ``GET /gateway/bot``). Returns the old values so they can be restored.
    """
    old = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    Route.BASE = api_base_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    return old


def _view(reply: Reply) -> discord.ui.View | None:
    """Buttons as a component row; a click comes back as an interaction with the action."""
    buttons = [b for b in reply.buttons if len(b.action) <= translate.MAX_CUSTOM_ID]
    if len(buttons) < len(reply.buttons):
        logger.warning("dropped %d buttons whose action is too long for Discord",
                       len(reply.buttons) - len(buttons))
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons[:25]:
        view.add_item(discord.ui.Button(label=button.label[:80], custom_id=button.action))
    # Stopped views are not kept in discord.py's view store: clicks reach on_interaction.
    view.stop()
    return view


def _file(reply: Reply) -> discord.File | None:
    if reply.file is None:
        return None
    return discord.File(io.BytesIO(reply.file.data), filename=reply.file.filename)


INVALID_RECIPIENT = 50033  # opening a DM with a user that does not exist


def _failure(exc: BaseException, *, direct: bool) -> DeliveryFailed:
    """A discord.py error as the core's delivery failure."""
    if isinstance(exc, discord.RateLimited):
        return DeliveryFailed(DeliveryFailure.TRANSIENT, retry_after=exc.retry_after)
    if isinstance(exc, discord.Forbidden):
        if direct:  # 50007, or any refusal to DM this person
            return DeliveryFailed(DeliveryFailure.DM_CLOSED)
        return DeliveryFailed(DeliveryFailure.UNKNOWN_RECIPIENT)
    if isinstance(exc, discord.NotFound):
        return DeliveryFailed(DeliveryFailure.UNKNOWN_RECIPIENT)
    if isinstance(exc, discord.HTTPException) and exc.code == INVALID_RECIPIENT:
        return DeliveryFailed(DeliveryFailure.UNKNOWN_RECIPIENT)  # no such user to DM
    if isinstance(exc, discord.HTTPException) and exc.status == 429:
        retry = exc.response.headers.get("Retry-After")
        try:
            wait = float(retry) if retry is not None else None
        except ValueError:
            wait = None
        return DeliveryFailed(DeliveryFailure.TRANSIENT, retry_after=wait)
    return DeliveryFailed(DeliveryFailure.TRANSIENT)


_TRANSIENT_ERRORS = (discord.DiscordException, aiohttp.ClientError, TimeoutError, OSError)


DM_CHANNEL_CACHE = 100_000  # user id -> DM channel id pairs kept (16 bytes-ish each)


class DiscordMessenger:
    """DMs and channel posts on Discord; raises ``DeliveryFailed``.

    A DM channel's id never changes, so it is remembered per user: a reminder wave costs
    one request per DM instead of three (look the user up, open the DM, send), and
    discord.py's own cache keeps only the latest 128 private channels (#14.3).
    """

    platform = Platform.DISCORD

    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._dm_channels: dict[int, int] = {}

    async def _dm_channel(self, user_id: int) -> discord.PartialMessageable:
        channel_id = self._dm_channels.get(user_id)
        if channel_id is None:
            data = await self._client.http.start_private_message(user_id)
            channel_id = int(data["id"])
            if len(self._dm_channels) >= DM_CHANNEL_CACHE:
                self._dm_channels.pop(next(iter(self._dm_channels)))  # the oldest
            self._dm_channels[user_id] = channel_id
        return self._client.get_partial_messageable(channel_id, type=discord.ChannelType.private)

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        """DM one person (opening the DM channel the first time)."""
        try:
            return await send(await self._dm_channel(int(user_id)), reply)
        except ValueError:
            raise DeliveryFailed(DeliveryFailure.UNKNOWN_RECIPIENT) from None
        except _TRANSIENT_ERRORS as exc:
            raise _failure(exc, direct=True) from exc

    async def send_place(self, place_id: str, reply: Reply) -> str | None:
        """Post in a channel."""
        try:
            channel = self._client.get_channel(int(place_id)) or await self._client.fetch_channel(
                int(place_id))
            if not isinstance(channel, discord.abc.Messageable):
                raise DeliveryFailed(DeliveryFailure.UNKNOWN_RECIPIENT)
            return await send(channel, reply)
        except ValueError:
            raise DeliveryFailed(DeliveryFailure.UNKNOWN_RECIPIENT) from None
        except _TRANSIENT_ERRORS as exc:
            raise _failure(exc, direct=False) from exc


async def send(target: discord.abc.Messageable, reply: Reply) -> str:
    """Send a reply as one or more messages; returns the id of the last one."""
    parts = translate.split_text(reply.text)
    message: discord.Message | None = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        view = _view(reply) if last else None
        file = _file(reply) if last else None
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if view is not None:
            kwargs["view"] = view
        if file is not None:
            kwargs["file"] = file
        message = await target.send(part, **kwargs)
    assert message is not None  # split_text always returns at least one part
    return str(message.id)


def _find_role(roles: Sequence[discord.Role], wanted: str) -> discord.Role | None:
    """A role by id, else by name (case-insensitive)."""
    if wanted.isdigit():
        by_id = next((r for r in roles if r.id == int(wanted)), None)
        if by_id is not None:
            return by_id
    return next((r for r in roles if r.name.lower() == wanted.lower()), None)


class DiscordRoles:
    """Grants and removes guild roles by name or id (the core's ``RoleManager``)."""

    platform = Platform.DISCORD

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def grant_role(self, community_id: str, user_id: str, role: str, *,
                         reason: str | None = None) -> None:
        """Give a role to a guild member."""
        member, found = await self._resolve(community_id, user_id, role)
        try:
            await member.add_roles(found, reason=reason)
        except discord.Forbidden:
            raise NotPermitted(f"I am not allowed to give the {found.name} role.") from None

    async def remove_role(self, community_id: str, user_id: str, role: str, *,
                          reason: str | None = None) -> None:
        """Take a role from a guild member."""
        member, found = await self._resolve(community_id, user_id, role)
        try:
            await member.remove_roles(found, reason=reason)
        except discord.Forbidden:
            raise NotPermitted(f"I am not allowed to take the {found.name} role.") from None

    async def has_role(self, community_id: str, user_id: str, role: str) -> bool:
        """Whether the member holds the role."""
        member, found = await self._resolve(community_id, user_id, role)
        # Ask the API: a cached member lists only roles the guild cache knows.
        data = await self._client.http.get_member(member.guild.id, member.id)
        return str(found.id) in {str(r) for r in data.get("roles", [])}

    async def _resolve(self, community_id: str, user_id: str,
                       role: str) -> tuple[discord.Member, discord.Role]:
        guild = self._client.get_guild(int(community_id))
        if guild is None:
            raise UserError("I am not in that Discord server.")
        wanted = role.strip().removeprefix("@")
        found = _find_role(guild.roles, wanted)
        if found is None:  # created since we connected: ask the API
            found = _find_role(await guild.fetch_roles(), wanted)
        if found is None:
            raise UserError(f"There is no role called {wanted}.")
        member = guild.get_member(int(user_id))
        if member is None:
            try:
                member = await guild.fetch_member(int(user_id))
            except discord.NotFound:
                raise UserError("That person is not a member of the server.") from None
        return member, found


class DiscordAdapter:
    """Owns a ``discord.Client``; an async context manager that connects and disconnects."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        events: PlatformEvents,
        clock: Clock,
        options: DiscordOptions,
    ) -> None:
        self._dispatcher = dispatcher
        self._events = events
        self._clock = clock
        self._options = options
        intents = discord.Intents.default()  # guilds, messages, reactions, voice states
        intents.message_content = options.message_content  # privileged: only to keep text
        self.client = discord.Client(
            intents=intents,
            guild_ready_timeout=options.guild_ready_timeout,
            max_ratelimit_timeout=options.max_ratelimit_timeout,
            allowed_mentions=NO_MENTIONS,
        )
        self.tree = app_commands.CommandTree(self.client)
        for command in slash.build(dispatcher.commands, self._run_command):
            self.tree.add_command(command)
        self.tree.error(self._on_tree_error)
        self.messenger = DiscordMessenger(self.client)
        self.roles = DiscordRoles(self.client)
        self._task: asyncio.Task[None] | None = None
        self._old_urls: tuple[str, yarl.URL] | None = None
        for listener in (self.on_message, self.on_raw_reaction_add, self.on_voice_state_update,
                         self.on_interaction):
            self.client.event(listener)

    async def __aenter__(self) -> DiscordAdapter:
        self._old_urls = _point_at(self._options.api_base_url, self._options.gateway_url)
        try:
            await self._connect()
        except BaseException:
            await self._close()
            raise
        logger.info("discord: connected as %s", self.client.user)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._close()

    async def _connect(self) -> None:
        await self.client.login(self._options.token)
        if self._options.sync_commands:
            await self.sync_commands()
        # reconnect=True: discord.py resumes or re-identifies with backoff after drops.
        self._task = asyncio.create_task(self.client.connect(reconnect=True),
                                         name="discord-gateway")
        ready = asyncio.create_task(self.client.wait_until_ready())
        await asyncio.wait({ready, self._task}, timeout=self._options.ready_timeout,
                           return_when=asyncio.FIRST_COMPLETED)
        if self._task.done():  # login refused, intents not allowed …
            ready.cancel()
            self._task.result()
            raise RuntimeError("the Discord gateway connection ended at start")
        if not ready.done():
            ready.cancel()
            raise TimeoutError("Discord did not become ready in time")

    async def _close(self) -> None:
        await self.client.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 10)
            self._task = None
        if self._old_urls is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._old_urls
            self._old_urls = None

    async def sync_commands(self) -> None:
        """Register the commands: in the development guild if set, else globally."""
        if self._options.guild_id is not None:
            guild = discord.Object(id=self._options.guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        logger.info("discord: synced %d application commands", len(synced))

    # -- incoming -------------------------------------------------------------------------

    def _is_admin(self, interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            return False
        return translate.is_admin(interaction.permissions, interaction.user,
                                  self._options.admin_roles)

    def _incoming(self, interaction: discord.Interaction, command: str, text: str,
                  options: dict[str, object] | None, *, via_button: bool = False) -> Incoming:
        return Incoming(
            author=translate.user_ref(interaction.user),
            place=translate.place_of(interaction.channel or discord.Object(
                id=interaction.channel_id or 0), interaction.guild),
            text=text,
            source_id=str(interaction.id),
            received_at=self._clock.now(),
            command=command,
            options=options,
            is_admin=self._is_admin(interaction),
            roles=translate.role_keys(interaction.user),
            via_button=via_button,
        )

    async def _run_command(self, interaction: discord.Interaction, path: str,
                           values: Mapping[str, Any]) -> None:
        # Acknowledge first: everything after this may take as long as it needs.
        await interaction.response.defer(thinking=True)
        incoming = self._incoming(interaction, path, "", translate.option_values(values))
        await self._answer(interaction, await self._dispatcher.handle(incoming),
                           deferred_public=interaction.guild_id is not None)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Button clicks: run the button's action as a command line."""
        if interaction.type is not discord.InteractionType.component:
            return  # application commands are routed by the command tree
        data: Mapping[str, Any] = interaction.data or {}
        line = split_command_line(translate.action_line(str(data.get("custom_id", ""))))
        if line is None:
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        incoming = self._incoming(interaction, line[0], line[1], None, via_button=True)
        replies = await self._dispatcher.handle(incoming)
        await self._update_post(interaction, replies)
        await self._answer(interaction, replies, deferred_public=False)

    async def _update_post(self, interaction: discord.Interaction,
                           replies: Sequence[Reply]) -> None:
        """Refresh the post the clicked button sits on (its buttons stay)."""
        text = next((r.update_post for r in replies if r.update_post), None)
        if interaction.message is None or text is None:
            return
        try:
            await interaction.message.edit(content=translate.split_text(text)[0],
                                           allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            logger.info("discord: post %s not updated", interaction.message.id)

    async def _answer(self, interaction: discord.Interaction, replies: Sequence[Reply], *,
                      deferred_public: bool) -> None:
        """Follow up a deferred interaction; private replies are ephemeral."""
        try:
            if not replies:
                await interaction.delete_original_response()
                return
            if deferred_public and replies[0].private:
                # The first follow-up would take the public "thinking" message's place.
                await interaction.delete_original_response()
            for reply in replies:
                parts = translate.split_text(reply.text)
                for index, part in enumerate(parts):
                    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS,
                                              "ephemeral": reply.private}
                    if index == len(parts) - 1:
                        view, file = _view(reply), _file(reply)
                        if view is not None:
                            kwargs["view"] = view
                        if file is not None:
                            kwargs["file"] = file
                    await interaction.followup.send(part, **kwargs)
        except discord.HTTPException:
            logger.exception("discord: could not answer interaction %s", interaction.id)

    async def _on_tree_error(self, interaction: discord.Interaction,
                             error: app_commands.AppCommandError) -> None:
        logger.error("discord: interaction %s failed: %r", interaction.id, error)

    async def on_message(self, message: discord.Message) -> None:
        """A chat message: logged (and seen by listeners); bots are ignored."""
        if message.author.bot:
            return
        incoming = Incoming(
            author=translate.user_ref(message.author),
            place=translate.place_of(message.channel, message.guild),
            text=message.content,
            source_id=str(message.id),
            received_at=self._clock.now(),
            roles=translate.role_keys(message.author),
        )
        for reply in await self._dispatcher.handle(incoming):
            try:
                await send(message.channel, reply)
            except discord.HTTPException:
                logger.exception("discord: could not reply in channel %s", message.channel.id)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """A reaction, logged as an interaction of whoever reacted."""
        if self.client.user is not None and payload.user_id == self.client.user.id:
            return
        user: discord.abc.User | None = payload.member or self.client.get_user(payload.user_id)
        if user is None or user.bot:
            return
        guild = self.client.get_guild(payload.guild_id) if payload.guild_id else None
        channel = self.client.get_channel(payload.channel_id) or discord.Object(
            id=payload.channel_id)
        target = None
        author_id = payload.message_author_id
        if author_id is not None and author_id != payload.user_id:
            known = self.client.get_user(author_id)
            target = (translate.user_ref(known) if known is not None
                      else UserRef(Platform.DISCORD, str(author_id), str(author_id)))
        await self._events.activity(
            translate.user_ref(user), translate.place_of(channel, guild),
            InteractionKind.REACTION, f"{payload.message_id}:{payload.user_id}:{payload.emoji}",
            name=str(payload.emoji)[:64], target=target,
        )

    async def on_voice_state_update(self, member: discord.Member, before: discord.VoiceState,
                                    after: discord.VoiceState) -> None:
        """Voice joins and leaves (check-in by presence reads these)."""
        if member.bot or before.channel == after.channel:
            return
        author = translate.user_ref(member)
        # Voice events carry no id of their own; each change is one interaction.
        if before.channel is not None:
            await self._events.activity(
                author, translate.place_of(before.channel, member.guild),
                InteractionKind.VOICE, f"voice:{uuid.uuid4().hex}", name="leave")
        if after.channel is not None:
            await self._events.activity(
                author, translate.place_of(after.channel, member.guild),
                InteractionKind.VOICE, f"voice:{uuid.uuid4().hex}", name="join")
