"""The Discord adapter: a discord.py client, its command tree, listeners and messenger.

Every interaction is deferred first and answered with follow-ups, so slow work (judging,
recommendations) never breaks Discord's three-second rule. Replies never mention anyone
(``AllowedMentions.none()``). Messages, reactions and voice joins/leaves are logged as
interactions; message text only reaches the bot when the message-content intent is on.
"""

from __future__ import annotations

import asyncio
import contextlib
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

from bot.adapters.discord import answers, forms, slash, translate
from bot.adapters.discord.community import DiscordCommunity
from bot.adapters.discord.messaging import (
    NO_MENTIONS,
    TRANSIENT_ERRORS,
    DiscordMessenger,
    send,
)
from bot.adapters.discord.roles import DiscordRoles
from bot.adapters.discord.startup import startup_failure
from bot.adapters.discord.texts import (
    DMS_REOPENED,
    INTENTS_OFF,
    INTENTS_ON,
    NO_DOWNLOAD,
    NOT_GRANTED,
)
from bot.core.clock import Clock
from bot.core.commands import Option, flatten
from bot.core.dispatch import Dispatcher, split_command_line, too_big
from bot.core.errors import StartupFailed, UserError
from bot.core.model import Attachment, Incoming, Platform, Reply, UserRef
from bot.core.ports import InteractionKind, PlatformEvents

logger = logging.getLogger(__name__)

DM_CLOSED_CODE = 50007  # "Cannot send messages to this user"

@dataclass(frozen=True, slots=True)
class DiscordOptions:
    """What the adapter needs from settings (plain values: adapters do not read config)."""

    token: str
    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    guild_id: int | None = None
    message_content: bool = False
    guild_ids: Sequence[int] = field(default=())  # the community; other servers are ignored
    admin_roles: Sequence[str] = field(default=())
    admin_ids: Sequence[int] = field(default=())
    sync_commands: bool = True
    guild_ready_timeout: float = 2.0
    ready_timeout: float = 60.0
    # 429s asking for a longer wait than this (discord.py's minimum is 30 s) are not slept
    # through: they become DeliveryFailed(TRANSIENT, retry_after) and the outbox reschedules.
    max_ratelimit_timeout: float = 30.0
    # A failed command sync (a 429 on a quick restart, an outage) is retried after this
    # long (doubling, at most an hour) or the 429's retry_after; the bot runs meanwhile.
    sync_retry_seconds: float = 60.0


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
        self.community = DiscordCommunity(self.client, options.guild_ids, options.admin_roles,
                                          options.admin_ids)
        self._leaves = {path: leaf for path, (leaf, _) in flatten(dispatcher.commands).items()}
        self._forms = forms.Forms()
        self.tree = app_commands.CommandTree(self.client)
        role_admins = bool(options.admin_roles or options.admin_ids)
        for command in slash.build(dispatcher.commands, self._run_command,
                                   role_admins=role_admins):
            self.tree.add_command(command)
        self.tree.error(self._on_tree_error)
        self.messenger = DiscordMessenger(self.client)
        self.roles = DiscordRoles(self.client)
        self._task: asyncio.Task[None] | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._old_urls: tuple[str, yarl.URL] | None = None
        for listener in (self.on_message, self.on_raw_reaction_add, self.on_voice_state_update,
                         self.on_interaction):
            self.client.event(listener)

    async def __aenter__(self) -> DiscordAdapter:
        self._old_urls = _point_at(self._options.api_base_url, self._options.gateway_url)
        try:
            await self._connect()
        except BaseException as exc:
            await self._close()
            failure = startup_failure(exc, self._options.api_base_url)
            if failure is exc:
                raise
            raise failure from exc
        logger.info("discord: connected as %s", self.client.user)
        logger.info(INTENTS_ON if self._options.message_content else INTENTS_OFF)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._close()

    async def _connect(self) -> None:
        await self.client.login(self._options.token)
        if self._options.sync_commands:
            await self._sync_or_retry(self._options.sync_retry_seconds)
        # reconnect=True: discord.py resumes or re-identifies with backoff after drops.
        self._task = asyncio.create_task(self.client.connect(reconnect=True),
                                         name="discord-gateway")
        ready = asyncio.create_task(self.client.wait_until_ready())
        await asyncio.wait({ready, self._task}, timeout=self._options.ready_timeout,
                           return_when=asyncio.FIRST_COMPLETED)
        if self._task.done():  # login refused, intents not allowed …
            ready.cancel()
            try:
                self._task.result()
            except discord.PrivilegedIntentsRequired:  # close code 4014
                raise StartupFailed(NOT_GRANTED, transient=False) from None
            raise RuntimeError("the Discord gateway connection ended at start")
        if not ready.done():
            ready.cancel()
            raise TimeoutError("Discord did not become ready in time")
        self.community.log_start()

    async def _close(self) -> None:
        if self._sync_task is not None:
            self._sync_task.cancel()
            self._sync_task = None
        await self.client.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 10)
            self._task = None
        if self._old_urls is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._old_urls
            self._old_urls = None

    async def _sync_or_retry(self, backoff: float) -> None:
        """Sync the commands; on failure log it and try again later (start never waits)."""
        try:
            await self.sync_commands()
        except TRANSIENT_ERRORS as exc:
            wait = exc.retry_after if isinstance(exc, discord.RateLimited) else backoff
            logger.warning("discord: command sync failed (%s); retrying in %.0f s", exc, wait)
            self._sync_task = asyncio.create_task(self._sync_later(wait, min(backoff * 2, 3600)),
                                                  name="discord-command-sync")

    async def _sync_later(self, wait: float, backoff: float) -> None:
        await asyncio.sleep(wait)
        await self._sync_or_retry(backoff)

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

    async def _outside(self, interaction: discord.Interaction) -> bool:
        """Whether the interaction comes from a server that is not the community.

        Such interactions get no answer, except a server administrator while no community
        is configured: they learn the server's id and the setting to add it to.
        """
        if self.community.serves(interaction.guild_id):
            return False
        hint = self.community.setup_answer(interaction)
        if hint is not None:
            await interaction.response.send_message(hint, ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
        return True

    async def _incoming(self, interaction: discord.Interaction, command: str, text: str,
                        options: dict[str, object] | None, *,
                        via_button: bool = False) -> Incoming:
        return Incoming(
            author=translate.user_ref(interaction.user),
            place=translate.place_of(interaction.channel or discord.Object(
                id=interaction.channel_id or 0), interaction.guild),
            text=text,
            source_id=str(interaction.id),
            received_at=self._clock.now(),
            command=command,
            options=options,
            is_admin=await self.community.is_admin(interaction),
            roles=translate.role_keys(interaction.user),
            via_button=via_button,
            post_text=(interaction.message.content
                       if via_button and interaction.message is not None else None),
        )

    async def _run_command(self, interaction: discord.Interaction, path: str,
                           values: Mapping[str, Any]) -> None:
        if await self._outside(interaction):
            return
        leaf = self._leaves.get(path)
        form = forms.option_to_ask(leaf, values) if leaf is not None else None
        if form is not None:  # a modal must be the first response: no defer before it
            await self._open_form(interaction, path, form, translate.option_values(values))
            return
        # Acknowledge first: everything after this may take as long as it needs.
        await interaction.response.defer(thinking=True)
        public = interaction.guild_id is not None
        try:
            options = await self._read_files(values)
        except UserError as exc:
            await answers.answer(interaction, [Reply(str(exc), private=True, feedback=True)],
                               deferred_public=public)
            return
        incoming = await self._incoming(interaction, path, "", options)
        await answers.answer(interaction, await self._dispatcher.handle(incoming),
                           deferred_public=public)
        await self._dms_reopened(interaction)

    async def _dms_reopened(self, interaction: discord.Interaction) -> None:
        """Any interaction clears a "DMs closed" mark, so reminders are tried again.

        The member hears once, in the channel where they act (ephemeral), why reminders
        did not reach them: the mark is gone after this, so it is said only once.
        """
        if not await self._events.dm_opened(translate.user_ref(interaction.user)):
            return
        if interaction.guild_id is None:
            return  # they are in a DM with the bot: nothing to explain
        try:
            await interaction.followup.send(DMS_REOPENED, ephemeral=True,
                                            allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            logger.info("discord: could not tell %s about closed DMs", interaction.user.id)

    async def _read_files(self, values: Mapping[str, Any]) -> dict[str, object]:
        """Download attachment options (size checked first) as neutral attachments."""
        options = translate.option_values(values)
        limit = self._dispatcher.limits.max_attachment
        for name, value in list(options.items()):
            if not isinstance(value, discord.Attachment):
                continue
            if value.size > limit:
                raise UserError(too_big(value.filename, value.size, limit))
            try:
                data = await value.read()
            except (discord.HTTPException, aiohttp.ClientError, TimeoutError):
                logger.warning("discord: could not download attachment %s", value.id)
                raise UserError(NO_DOWNLOAD.format(name=value.filename)) from None
            options[name] = Attachment(value.filename, data,
                                       value.content_type or "application/octet-stream")
        return options

    async def _open_form(self, interaction: discord.Interaction, path: str, option: Option,
                         options: dict[str, object]) -> None:
        """Answer with a modal asking for ``option``; its submission completes the command."""
        custom_id = self._forms.open(path, interaction.user.id, option.name, options,
                                     asyncio.get_running_loop().time())
        try:
            await interaction.response.send_modal(forms.modal(custom_id, path, options, option))
        except discord.HTTPException:
            self._forms.forget(custom_id)
            logger.exception("discord: could not open a form for interaction %s",
                             interaction.id)

    async def _submit_form(self, interaction: discord.Interaction) -> None:
        """A submitted modal runs its command once; a repeat or unknown form is refused."""
        data: Mapping[str, Any] = interaction.data or {}
        form = self._forms.take(str(data.get("custom_id", "")), interaction.user.id,
                                asyncio.get_running_loop().time())
        if form is None:
            await interaction.response.send_message(forms.GONE, ephemeral=True)
            return
        text = translate.form_values(data).get(form.option, "")
        await interaction.response.defer(thinking=True)
        incoming = await self._incoming(interaction, form.path, "",
                                  {**form.options, form.option: text})
        await answers.answer(interaction, await self._dispatcher.handle(incoming),
                           deferred_public=interaction.guild_id is not None)
        await self._dms_reopened(interaction)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Button clicks run the button's action as a command line; forms complete theirs."""
        if interaction.type is discord.InteractionType.modal_submit:
            await self._submit_form(interaction)
            return
        if interaction.type is not discord.InteractionType.component:
            return  # application commands are routed by the command tree
        data: Mapping[str, Any] = interaction.data or {}
        line = split_command_line(translate.action_line(str(data.get("custom_id", ""))))
        if line is None or await self._outside(interaction):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        incoming = await self._incoming(interaction, line[0], line[1], None, via_button=True)
        replies = await self._dispatcher.handle(incoming)
        await answers.update_post(interaction, replies)
        await answers.answer(interaction, replies, deferred_public=False)
        await self._dms_reopened(interaction)

    async def _on_tree_error(self, interaction: discord.Interaction,
                             error: app_commands.AppCommandError) -> None:
        logger.error("discord: interaction %s failed: %r", interaction.id, error)

    async def on_message(self, message: discord.Message) -> None:
        """A chat message: logged (and seen by listeners); bots are ignored."""
        if message.author.bot or not self.community.serves(
                message.guild.id if message.guild else None):
            return
        # Without the Message Content intent a guild message's text is withheld (unless it
        # mentions the bot): the message still counts, its text cannot be judged.
        hidden = (message.guild is not None and not self._options.message_content
                  and not any(u == self.client.user for u in message.mentions))
        incoming = Incoming(
            author=translate.user_ref(message.author),
            place=translate.place_of(message.channel, message.guild),
            text=message.content,
            source_id=str(message.id),
            received_at=self._clock.now(),
            roles=translate.role_keys(message.author),
            text_hidden=hidden,
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
        if user is None or user.bot or not self.community.serves(payload.guild_id):
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
        if (member.bot or before.channel == after.channel
                or not self.community.serves(member.guild.id)):
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
