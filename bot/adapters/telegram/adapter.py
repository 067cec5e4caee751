"""The Telegram adapter: a python-telegram-bot Application, run by hand next to our loop.

PTB's own job queue is off (one scheduler per process: ours). Commands arrive as text and go
through the shared parser; ``/cmd@OtherBot`` is left to the other bot. ``/start`` in a
private chat records that the member can be DMed (Telegram bots cannot write first) and may
carry a deep-link payload: ``t.me/<bot>?start=link-CODE`` runs ``/link CODE``. Inline buttons
come back as callback queries whose data is a command line. With group privacy mode on (the
BotFather default) the bot only sees commands, replies and mentions in groups; that is
enough for commands, and chat activity is then counted only where the bot is an admin.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
    Chat,
    InputFile,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    MessageReactionHandler,
    filters,
)

from bot.adapters.telegram import translate
from bot.core.clock import Clock
from bot.core.dispatch import Dispatcher, split_command_line
from bot.core.errors import DeliveryFailed, DeliveryFailure
from bot.core.model import Attachment, Incoming, Platform, Reply
from bot.core.ports import InteractionKind, PlatformEvents

logger = logging.getLogger(__name__)

WELCOME = ("Hello! I'm Cohort, your community's assistant. I can DM you reminders and "
           "recommendations here now. Send /help to see what I can do.")
NO_DM = ("I can't send that here, and I can't DM you yet: open a private chat with me, "
         "press Start, and ask again.")


@dataclass(frozen=True, slots=True)
class TelegramOptions:
    """What the adapter needs from settings."""

    token: str
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str | None = None
    poll_timeout: int = 30
    admin_ids: Sequence[int] = field(default=())
    admin_cache_seconds: float = 60.0


def _failure(exc: TelegramError, *, direct: bool) -> DeliveryFailed:
    """A PTB error as the core's delivery failure."""
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


async def deliver(bot: Bot, chat_id: int, reply: Reply, *, reply_to: int | None = None,
                  patient: bool = False) -> str:
    """Send a reply as text message(s) and an optional file; returns the last message id.

    ``patient`` (a command's immediate reply): a 429 waits its ``retry_after`` and retries
    the part it hit, so a reply is delayed, never lost or half-sent. The outbox is not
    patient: it reschedules the whole row itself.
    """
    async def send(call: Any, *args: Any, **kwargs: Any) -> Message:
        for attempt in range(REPLY_RETRIES + 1):
            try:
                message: Message = await call(*args, **kwargs)
            except RetryAfter as exc:
                if not patient or attempt == REPLY_RETRIES:
                    raise
                wait = translate.seconds(exc.retry_after)
                logger.info("telegram: reply rate-limited, retrying in %.1f s", wait)
                await asyncio.sleep(wait)
            else:
                return message
        raise AssertionError("unreachable")

    parts = translate.split_text(translate.neutralise(reply.text))
    markup = translate.keyboard(reply.buttons)
    if len(reply.buttons) and markup is None:
        logger.warning("telegram: buttons dropped (callback data over 64 bytes)")
    quote = (ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
             if reply_to is not None else None)
    sent: Message | None = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1 and reply.file is None
        sent = await send(bot.send_message, chat_id, part,
                          reply_markup=markup if last else None,
                          reply_parameters=quote if index == 0 else None)
    if reply.file is not None:
        document = InputFile(reply.file.data, filename=reply.file.filename)
        if reply.file.content_type.startswith("image/"):
            sent = await send(bot.send_photo, chat_id, document, reply_markup=markup)
        else:
            sent = await send(bot.send_document, chat_id, document, reply_markup=markup)
    assert sent is not None
    return str(sent.message_id)


class TelegramMessenger:
    """DMs and group posts on Telegram; raises ``DeliveryFailed``."""

    platform = Platform.TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

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
            return await deliver(self._bot, chat_id, reply)
        except TelegramError as exc:
            raise _failure(exc, direct=direct) from exc


class TelegramAdapter:
    """Owns a PTB ``Application``; an async context manager that starts and stops it."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        events: PlatformEvents,
        clock: Clock,
        options: TelegramOptions,
    ) -> None:
        self._dispatcher = dispatcher
        self._events = events
        self._clock = clock
        self._options = options
        self.application: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(options.token)
            .base_url(options.base_url)
            .base_file_url(options.base_file_url)
            .job_queue(None)  # one scheduler per process: ours
            .concurrent_updates(True)  # a slow command must not hold up everyone else
            .build()
        )
        self.messenger = TelegramMessenger(self.application.bot)
        self.username: str | None = None
        self._names = {c.name for c in dispatcher.commands}
        self._admins: dict[int, tuple[float, frozenset[int]]] = {}
        app = self.application
        app.add_handler(MessageHandler(filters.COMMAND, self._on_command))
        app.add_handler(MessageHandler(
            filters.Document.ALL & filters.CaptionRegex(r"^/"), self._on_command))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self._on_text))
        app.add_handler(CallbackQueryHandler(self._on_callback))
        app.add_handler(MessageReactionHandler(self._on_reaction))
        app.add_error_handler(self._on_error)

    async def __aenter__(self) -> TelegramAdapter:
        app = self.application
        await app.initialize()  # getMe
        try:
            self.username = app.bot.username
            await self.set_commands()
            await app.start()
            assert app.updater is not None
            if self._options.mode == "webhook":
                await self._start_webhook()
            else:
                await app.updater.start_polling(
                    timeout=self._options.poll_timeout, bootstrap_retries=3,
                    allowed_updates=Update.ALL_TYPES,
                )
        except BaseException:
            await self._stop()
            raise
        logger.info("telegram: running as @%s (%s)", self.username, self._options.mode)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stop()

    def deep_link(self, payload: str) -> str:
        """``https://t.me/<bot>?start=<payload>``: opens a chat with the bot (after start)."""
        return f"https://t.me/{self.username}?start={payload}"

    async def _start_webhook(self) -> None:
        options = self._options
        if not options.webhook_url:
            raise RuntimeError("telegram.mode = webhook needs telegram.webhook_url")
        assert self.application.updater is not None
        try:
            await self.application.updater.start_webhook(
                listen=options.webhook_listen, port=options.webhook_port,
                url_path="telegram", webhook_url=options.webhook_url,
                secret_token=options.webhook_secret, bootstrap_retries=3,
                allowed_updates=Update.ALL_TYPES,
            )
        except RuntimeError as exc:  # PTB without its webhook extra (tornado)
            raise RuntimeError("webhook mode needs python-telegram-bot[webhooks]") from exc

    async def _stop(self) -> None:
        """Stop fetching, finish the updates already fetched, then close (PTB's order)."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def set_commands(self) -> None:
        """The command menus: private chats, groups, and group administrators."""
        commands = self._dispatcher.commands
        bot = self.application.bot
        private = [BotCommand(n, h) for n, h in translate.menu(commands, group=False,
                                                                  admin=False)]
        group = [BotCommand(n, h) for n, h in translate.menu(commands, group=True, admin=False)]
        admins = [BotCommand(n, h) for n, h in translate.menu(commands, group=True, admin=True)]
        await bot.set_my_commands(private, scope=BotCommandScopeDefault())
        await bot.set_my_commands(private, scope=BotCommandScopeAllPrivateChats())
        await bot.set_my_commands(group, scope=BotCommandScopeAllGroupChats())
        await bot.set_my_commands(admins, scope=BotCommandScopeAllChatAdministrators())

    # -- incoming -------------------------------------------------------------------------

    async def _is_admin(self, chat: Chat, user: User, message: Message | None = None) -> bool:
        """A chat administrator (cached briefly), a configured owner, or an anonymous admin."""
        if user.id in self._options.admin_ids:
            return True
        if message is not None and message.sender_chat is not None:
            return message.sender_chat.id == chat.id  # an admin posting as the group
        now = asyncio.get_running_loop().time()
        if chat.type == Chat.PRIVATE:
            # No chat to ask: an administrator of a group we have seen recently counts.
            return any(user.id in ids for expires, ids in self._admins.values() if expires > now)
        cached = self._admins.get(chat.id)
        if cached is None or cached[0] <= now:
            try:
                members = await self.application.bot.get_chat_administrators(chat.id)
            except TelegramError:
                logger.warning("telegram: could not list administrators of chat %s", chat.id)
                return False
            cached = (now + self._options.admin_cache_seconds,
                      frozenset(m.user.id for m in members))
            self._admins[chat.id] = cached
        return user.id in cached[1]

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat = update.effective_message, update.effective_chat
        user = update.effective_user
        if message is None or chat is None or user is None:
            return
        text = message.text or message.caption or ""
        first = text.split(maxsplit=1)[0] if text.strip() else ""
        addressed = "@" in first
        if addressed and first.split("@", 1)[1].lower() != (self.username or "").lower():
            return  # /cmd@OtherBot
        line = split_command_line(text)
        if line is None:
            return
        name, rest = line
        private = chat.type == Chat.PRIVATE
        author = translate.user_ref(user)
        if name == "start" and "start" not in self._names:
            if not private:
                return
            await self._events.dm_opened(author)
            command, _, payload = rest.partition("-")
            if not rest or command not in self._names:
                await deliver(context.bot, chat.id, Reply(WELCOME), patient=True)
                return
            # A deep link (t.me/<bot>?start=link-CODE) carries a command and its argument.
            name, rest = command, payload.replace("-", " ")
        elif name not in self._names and not private and not addressed:
            return  # probably another bot's command in a shared group
        attachments: tuple[Attachment, ...] = ()
        if message.document is not None:
            limit = self._dispatcher.limits.max_attachment
            size = message.document.file_size or 0
            filename = message.document.file_name or "upload"
            if size > limit:
                await deliver(context.bot, chat.id, Reply(
                    f"`{filename}` is too big ({size} bytes; the limit is {limit})."),
                    reply_to=None if private else message.message_id)
                return
            data = await (await message.document.get_file()).download_as_bytearray()
            attachments = (Attachment(filename, bytes(data),
                                      message.document.mime_type or "application/octet-stream"),)
        incoming = Incoming(
            author=author,
            place=translate.place_of(chat),
            text=rest,
            source_id=f"{chat.id}:{message.message_id}",
            received_at=self._clock.now(),
            command=name,
            attachments=attachments,
            is_admin=await self._is_admin(chat, user, message),
        )
        concealed = not private and self._dispatcher.conceals(name) and await self._conceal(
            message)
        replies = await self._dispatcher.handle(incoming)
        await self._reply(chat, user, replies,
                          reply_to=None if private or concealed else message.message_id)

    async def _conceal(self, message: Message) -> bool:
        """Remove a group message that carries code (needs the delete right in the group)."""
        try:
            await message.delete()
        except TelegramError as exc:
            logger.warning("telegram: could not remove a code message in chat %s: %s",
                           message.chat_id, exc)
            return False
        return True

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat = update.effective_message, update.effective_chat
        user = update.effective_user
        if message is None or chat is None or user is None or user.is_bot:
            return
        if chat.type == Chat.PRIVATE:
            await self._events.dm_opened(translate.user_ref(user))
        incoming = Incoming(
            author=translate.user_ref(user),
            place=translate.place_of(chat),
            text=message.text or "",
            source_id=f"{chat.id}:{message.message_id}",
            received_at=self._clock.now(),
        )
        replies = await self._dispatcher.handle(incoming)
        await self._reply(chat, user, replies, reply_to=message.message_id)

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        user = query.from_user
        message = query.message if isinstance(query.message, Message) else None
        line = split_command_line(translate.action_line(query.data or ""))
        if line is None:
            await query.answer()
            return
        chat = message.chat if message is not None else None
        place = (translate.place_of(chat) if chat is not None
                 else translate.place_of(Chat(user.id, Chat.PRIVATE)))
        incoming = Incoming(
            author=translate.user_ref(user),
            place=place,
            text=line[1],
            source_id=f"callback:{query.id}",
            received_at=self._clock.now(),
            command=line[0],
            is_admin=await self._is_admin(chat, user) if chat is not None else False,
            via_button=True,
            post_text=message.text if message is not None else None,
        )
        replies = await self._dispatcher.handle(incoming)
        await self._update_post(message, replies)
        toast = replies[0].text if replies else ""
        fits = len(replies) <= 1 and len(toast) <= translate.MAX_TOAST and not (
            replies and (replies[0].file or replies[0].buttons))
        # The toast answers the press; anything longer also goes to the chat.
        await query.answer(toast[: translate.MAX_TOAST] or None, show_alert=False)
        if not fits and chat is not None:
            await self._reply(chat, user, replies, reply_to=None)

    async def _update_post(self, message: Message | None, replies: Sequence[Reply]) -> None:
        """Refresh the post a button sits on (its buttons stay)."""
        text = next((r.update_post for r in replies if r.update_post), None)
        if message is None or text is None:
            return
        try:
            await message.edit_text(translate.neutralise(text)[: translate.MAX_MESSAGE],
                                    reply_markup=message.reply_markup)
        except TelegramError as exc:  # "message is not modified" and deleted posts
            logger.info("telegram: post %s not updated: %s", message.message_id, exc)

    async def _on_reaction(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        reaction = update.message_reaction
        if reaction is None or reaction.user is None or not reaction.new_reaction:
            return
        emoji = ",".join(str(getattr(r, "emoji", r.type)) for r in reaction.new_reaction)
        await self._events.activity(
            translate.user_ref(reaction.user), translate.place_of(reaction.chat),
            InteractionKind.REACTION,
            f"{reaction.chat.id}:{reaction.message_id}:{reaction.user.id}:{emoji}",
            name=emoji[:64],
        )

    async def _reply(self, chat: Chat, user: User, replies: Sequence[Reply], *,
                     reply_to: int | None) -> None:
        """Answer in the chat; private replies with a file go by DM when said in a group."""
        for reply in replies:
            try:
                if reply.private and reply.file is not None and chat.type != Chat.PRIVATE:
                    try:
                        await self.messenger.send_direct(str(user.id), reply)
                    except DeliveryFailed:
                        await deliver(self.application.bot, chat.id, Reply(NO_DM), patient=True,
                                      reply_to=reply_to)
                    continue
                await deliver(self.application.bot, chat.id, reply, reply_to=reply_to,
                              patient=True)
            except (TelegramError, DeliveryFailed):
                logger.exception("telegram: could not reply in chat %s", chat.id)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(context.error, NetworkError):
            logger.warning("telegram: network error: %s", context.error)
            return
        logger.error("telegram: update failed", exc_info=context.error)
