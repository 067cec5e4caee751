"""Sending on Telegram: text in parts, files (a short text as their caption), retries.

``deliver`` is shared by command replies and the outbox's :class:`TelegramMessenger`; PTB
errors become the core's ``DeliveryFailed`` at this edge.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, InputFile, Message, ReplyParameters
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.adapters.telegram import translate
from bot.core.errors import DeliveryFailed, DeliveryFailure
from bot.core.model import Platform, Reply

logger = logging.getLogger(__name__)


def failure_of(exc: TelegramError, *, direct: bool) -> DeliveryFailed:
    """A PTB error as the core's delivery failure."""
    if not direct and "not enough rights" in str(exc).lower():  # restricted in the group
        return DeliveryFailed(DeliveryFailure.NO_PERMISSION)
    if isinstance(exc, Forbidden):  # never started the bot, blocked it, or left the group
        return DeliveryFailed(DeliveryFailure.DM_CLOSED if direct
                              else DeliveryFailure.UNKNOWN_RECIPIENT)
    if isinstance(exc, RetryAfter):
        return DeliveryFailed(DeliveryFailure.TRANSIENT,
                              retry_after=translate.seconds(exc.retry_after))
    if isinstance(exc, BadRequest):  # chat not found, malformed: retrying will not help
        return DeliveryFailed(DeliveryFailure.UNKNOWN_RECIPIENT)
    return DeliveryFailed(DeliveryFailure.TRANSIENT)  # TimedOut, NetworkError, server errors


REPLY_RETRIES = 3


# A chat changed its id (old, new): a group became a supergroup.
Moved = Callable[[int, int], Awaitable[object]]


async def deliver(bot: Bot, chat_id: int, reply: Reply, *, reply_to: int | None = None,
                  patient: bool = False, moved: Moved | None = None) -> str:
    """Send a reply as text message(s) and an optional file; returns the last message id.

    ``patient`` (a command's immediate reply): a 429 waits its ``retry_after`` and retries
    the part it hit, so a reply is delayed, never lost or half-sent. The outbox is not
    patient: it reschedules the whole row itself. A group that became a supergroup
    (``ChatMigrated``) is reported to ``moved`` and the part goes to the new chat.
    """
    async def send(call: Any, *args: Any, **kwargs: Any) -> Message:
        nonlocal chat_id
        for attempt in range(REPLY_RETRIES + 1):
            try:
                message: Message = await call(chat_id, *args, **kwargs)
            except ChatMigrated as exc:
                if attempt == REPLY_RETRIES:
                    raise
                logger.info("telegram: chat %s is now %s", chat_id, exc.new_chat_id)
                if moved is not None:
                    await moved(chat_id, int(exc.new_chat_id))
                chat_id = int(exc.new_chat_id)
            except RetryAfter as exc:
                if not patient or attempt == REPLY_RETRIES:
                    raise
                wait = translate.seconds(exc.retry_after)
                logger.info("telegram: reply rate-limited, retrying in %.1f s", wait)
                await asyncio.sleep(wait)
            else:
                return message
        raise AssertionError("unreachable")

    text = translate.neutralise(reply.text)
    parts = translate.split_text(text)
    markup = translate.keyboard(reply.buttons)
    if len(reply.buttons) and markup is None:
        logger.warning("telegram: buttons dropped (callback data over 64 bytes)")
    quote = (ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
             if reply_to is not None else None)
    if reply.file is not None and len(text) <= translate.MAX_CAPTION:
        # One message: text that promises a file never goes out without it.
        document = InputFile(reply.file.data, filename=reply.file.filename)
        call = (bot.send_photo if reply.file.content_type.startswith("image/")
                else bot.send_document)
        message = await send(call, document, caption=text, reply_markup=markup,
                             reply_parameters=quote)
        return str(message.message_id)
    sent: Message | None = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1 and reply.file is None
        sent = await send(bot.send_message, part,
                          reply_markup=markup if last else None,
                          reply_parameters=quote if index == 0 else None)
    if reply.file is not None:
        document = InputFile(reply.file.data, filename=reply.file.filename)
        if reply.file.content_type.startswith("image/"):
            sent = await send(bot.send_photo, document, reply_markup=markup)
        else:
            sent = await send(bot.send_document, document, reply_markup=markup)
    assert sent is not None
    return str(sent.message_id)


def messages_of(reply: Reply) -> int:
    """How many messages :func:`deliver` sends for ``reply``."""
    text = translate.neutralise(reply.text)
    if reply.file is not None and len(text) <= translate.MAX_CAPTION:
        return 1
    return len(translate.split_text(text)) + (reply.file is not None)


class TelegramMessenger:
    """DMs and group posts on Telegram; raises ``DeliveryFailed``."""

    platform = Platform.TELEGRAM

    def __init__(self, bot: Bot, moved: Moved | None = None) -> None:
        self._bot = bot
        self._moved = moved

    def requests(self, reply: Reply, *, user_id: str | None = None,
                 place_id: str | None = None) -> int:
        """Messages a send makes (what Telegram's limits count), as :func:`messages_of`."""
        return messages_of(reply)

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        """DM one person (a private chat's id is the user's id)."""
        return await self._send(user_id, reply, direct=True)

    async def send_place(self, place_id: str, reply: Reply) -> str | None:
        """Post in a group."""
        return await self._send(place_id, reply, direct=False)

    async def _send(self, chat: str, reply: Reply, *, direct: bool) -> str:
        try:
            chat_id = int(chat)
        except ValueError:
            raise DeliveryFailed(DeliveryFailure.UNKNOWN_RECIPIENT) from None
        try:
            return await deliver(self._bot, chat_id, reply, moved=self._moved)
        except TelegramError as exc:
            raise failure_of(exc, direct=direct) from exc
