"""Sending on Discord: DMs and channel posts (the core's ``Messenger``), split to limits.

Buttons become a stopped component view (clicks reach ``on_interaction``), files go as
attachments, and discord.py errors become the core's ``DeliveryFailed``.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import aiohttp
import discord

from bot.adapters.discord import translate
from bot.core.errors import DeliveryFailed, DeliveryFailure
from bot.core.model import Platform, Reply

logger = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


def view_of(reply: Reply) -> discord.ui.View | None:
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


def file_of(reply: Reply) -> discord.File | None:
    """The reply's file as a discord.py upload."""
    if reply.file is None:
        return None
    return discord.File(io.BytesIO(reply.file.data), filename=reply.file.filename)


INVALID_RECIPIENT = 50033  # opening a DM with a user that does not exist
MISSING_PERMISSION_CODES = (50001, 50013)  # "Missing Access", "Missing Permissions"


def failure_of(exc: BaseException, *, direct: bool) -> DeliveryFailed:
    """A discord.py error as the core's delivery failure."""
    if isinstance(exc, discord.RateLimited):
        return DeliveryFailed(DeliveryFailure.TRANSIENT, retry_after=exc.retry_after)
    if isinstance(exc, discord.Forbidden):
        if direct:  # 50007, or any refusal to DM this person
            return DeliveryFailed(DeliveryFailure.DM_CLOSED)
        if exc.code in MISSING_PERMISSION_CODES:
            return DeliveryFailed(DeliveryFailure.NO_PERMISSION)
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


TRANSIENT_ERRORS = (discord.DiscordException, aiohttp.ClientError, TimeoutError, OSError)


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

    def requests(self, reply: Reply, *, user_id: str | None = None,
                 place_id: str | None = None) -> int:
        """HTTP requests a send makes (what Discord's limit counts).

        One per message part, plus opening a DM channel not known yet (or fetching a
        channel not in the cache).
        """
        parts = len(translate.split_text(reply.text))
        try:
            if place_id is not None:
                return parts + (self._client.get_channel(int(place_id)) is None)
            return parts + (user_id is None or int(user_id) not in self._dm_channels)
        except ValueError:  # refused before any request is made
            return 1

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        """DM one person (opening the DM channel the first time)."""
        try:
            return await send(await self._dm_channel(int(user_id)), reply)
        except ValueError:
            raise DeliveryFailed(DeliveryFailure.UNKNOWN_RECIPIENT) from None
        except TRANSIENT_ERRORS as exc:
            raise failure_of(exc, direct=True) from exc

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
        except TRANSIENT_ERRORS as exc:
            raise failure_of(exc, direct=False) from exc


async def send(target: discord.abc.Messageable, reply: Reply) -> str:
    """Send a reply as one or more messages; returns the id of the last one."""
    parts = translate.split_text(reply.text)
    message: discord.Message | None = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        view = view_of(reply) if last else None
        file = file_of(reply) if last else None
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if view is not None:
            kwargs["view"] = view
        if file is not None:
            kwargs["file"] = file
        message = await target.send(part, **kwargs)
    assert message is not None  # split_text always returns at least one part
    return str(message.id)
