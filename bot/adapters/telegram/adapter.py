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

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from telegram import (
    Chat,
    Message,
    Update,
    User,
)
from telegram.error import (
    NetworkError,
    TelegramError,
)
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
from bot.adapters.telegram.community import TelegramCommunity
from bot.adapters.telegram.menus import CommandMenus
from bot.adapters.telegram.messaging import TelegramMessenger, deliver
from bot.adapters.telegram.startup import startup_failure
from bot.adapters.telegram.texts import FILE_FAILED, NO_DM, SENT_DM, WELCOME
from bot.adapters.telegram.webhook import WebhookServer
from bot.core.clock import Clock
from bot.core.dispatch import Dispatcher, split_command_line, too_big
from bot.core.errors import DeliveryFailed, DeliveryFailure
from bot.core.model import Attachment, Incoming, Platform, Reply
from bot.core.ports import InteractionKind, PlatformEvents

logger = logging.getLogger(__name__)

HELD_PER_MEMBER = 10  # private answers kept (in memory) until the member starts a DM
HELD_MEMBERS = 1000  # members with held answers; the longest-waiting is dropped beyond it


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
    chat_ids: Sequence[int] = field(default=())  # the community; other groups are ignored
    admin_ids: Sequence[int] = field(default=())
    admin_cache_seconds: float = 60.0
    # A failed setMyCommands (a 429 on a quick restart, an outage) is retried after this
    # long (doubling, at most an hour) or the 429's retry_after; polling starts meanwhile.
    commands_retry_seconds: float = 60.0


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
        self.messenger = TelegramMessenger(self.application.bot, self._moved)
        self.username: str | None = None
        self._webhook: WebhookServer | None = None
        self._names = {c.name for c in dispatcher.commands}
        self.community = TelegramCommunity(self.application.bot, options.chat_ids,
                                           options.admin_ids, options.admin_cache_seconds)
        self._held: dict[int, list[Reply]] = {}  # private answers waiting for /start
        self._menus = CommandMenus(self.application.bot, dispatcher.commands)
        app = self.application
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self._on_migrate))
        app.add_handler(MessageHandler(filters.COMMAND, self._on_command))
        app.add_handler(MessageHandler(
            filters.Document.ALL & filters.CaptionRegex(r"^/"), self._on_command))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self._on_text))
        app.add_handler(CallbackQueryHandler(self._on_callback))
        app.add_handler(MessageReactionHandler(self._on_reaction))
        app.add_error_handler(self._on_error)

    async def __aenter__(self) -> TelegramAdapter:
        try:
            await self._start()
        except BaseException as exc:
            failure = startup_failure(exc, self._options.base_url)
            if failure is exc:
                raise
            raise failure from exc
        logger.info("telegram: running as @%s (%s)", self.username, self._options.mode)
        self.community.log_start()
        return self

    async def _start(self) -> None:
        app = self.application
        await app.initialize()  # getMe
        try:
            self.username = app.bot.username
            await self._menus.set_or_retry(self._options.commands_retry_seconds)
            await app.start()
            if self._options.mode == "webhook":
                await self._start_webhook()
            else:
                assert app.updater is not None
                await app.updater.start_polling(
                    timeout=self._options.poll_timeout, bootstrap_retries=3,
                    allowed_updates=Update.ALL_TYPES,
                )
        except BaseException:
            await self._stop()
            raise

    async def __aexit__(self, *exc: object) -> None:
        await self._stop()

    def deep_link(self, payload: str) -> str:
        """``https://t.me/<bot>?start=<payload>``: opens a chat with the bot (after start)."""
        return f"https://t.me/{self.username}?start={payload}"

    async def _start_webhook(self) -> None:
        """Receive updates on our own server, which refuses and logs forged calls."""
        options = self._options
        if not options.webhook_url:
            raise RuntimeError("telegram.mode = webhook needs telegram.webhook_url")
        if not options.webhook_secret:
            raise RuntimeError("telegram.mode = webhook needs telegram.webhook_secret")
        self._webhook = WebhookServer(
            self.application.bot, self.application.update_queue,
            secret=options.webhook_secret, listen=options.webhook_listen,
            port=options.webhook_port)
        await self._webhook.start(options.webhook_url, list(Update.ALL_TYPES))

    async def _stop(self) -> None:
        """Stop fetching, finish the updates already fetched, then close (PTB's order)."""
        self._menus.cancel()
        app = self.application
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    # -- incoming -------------------------------------------------------------------------

    async def _moved(self, old: int, new: int) -> None:
        """A group became a supergroup: every stored reference to it follows."""
        await self._events.place_moved(Platform.TELEGRAM, str(old), str(new))

    async def _on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The migration service messages (one in the old group, one in the supergroup)."""
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id is not None:
            await self._moved(message.chat_id, message.migrate_to_chat_id)
        elif message.migrate_from_chat_id is not None:
            await self._moved(message.migrate_from_chat_id, message.chat_id)

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
        if not self.community.serves(chat):
            hint = (await self.community.setup_answer(chat, user, message)
                    if name in self._names or addressed else None)
            if hint is not None:
                await deliver(context.bot, chat.id, Reply(hint), patient=True)
            return
        author = translate.user_ref(user)
        if name == "start" and "start" not in self._names:
            if not private:
                return
            await self._events.dm_opened(author)
            command, _, payload = rest.partition("-")
            if not rest or command not in self._names:
                await deliver(context.bot, chat.id, Reply(WELCOME), patient=True)
                await self._reply(chat, user, self._held.pop(user.id, []), reply_to=None)
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
                await deliver(context.bot, chat.id, Reply(too_big(filename, size, limit)),
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
            is_admin=await self.community.is_admin(chat, user, message),
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
        if (message is None or chat is None or user is None or user.is_bot
                or not self.community.serves(chat)):
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
        # Answered at once, before the command runs: the client stops its spinner, and a
        # slow command can no longer make the answer late (Telegram refuses old queries).
        try:
            await query.answer()
        except TelegramError as exc:
            logger.warning("telegram: could not answer callback query %s: %s", query.id, exc)
        user = query.from_user
        message = query.message if isinstance(query.message, Message) else None
        line = split_command_line(translate.action_line(query.data or ""))
        if line is None:
            return
        chat = message.chat if message is not None else Chat(user.id, Chat.PRIVATE)
        if message is not None and not self.community.serves(chat):
            return
        incoming = Incoming(
            author=translate.user_ref(user),
            place=translate.place_of(chat),
            text=line[1],
            source_id=f"callback:{query.id}",
            received_at=self._clock.now(),
            command=line[0],
            is_admin=await self.community.is_admin(chat, user),
            via_button=True,
            post_text=message.text if message is not None else None,
        )
        replies = await self._dispatcher.handle(incoming)
        await self._update_post(message, replies)
        await self._reply(chat, user, replies, reply_to=None, tell_group=False)

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
        if (reaction is None or reaction.user is None or not reaction.new_reaction
                or not self.community.serves(reaction.chat)):
            return
        emoji = ",".join(str(getattr(r, "emoji", r.type)) for r in reaction.new_reaction)
        await self._events.activity(
            translate.user_ref(reaction.user), translate.place_of(reaction.chat),
            InteractionKind.REACTION,
            f"{reaction.chat.id}:{reaction.message_id}:{reaction.user.id}:{emoji}",
            name=emoji[:64],
        )

    async def _reply(self, chat: Chat, user: User, replies: Sequence[Reply], *,
                     reply_to: int | None, tell_group: bool = True) -> None:
        """Answer in the chat; private replies asked for in a group go by DM.

        The group hears once that a DM was sent (``tell_group``; not for button presses,
        where it would be noise) or, when the member never started a DM, gets a link to
        start one: the answers are held until they do. Each reply is sent on its own: one
        that fails is logged and never drops the replies after it.
        """
        bot = self.application.bot
        group = chat.type != Chat.PRIVATE
        told = False
        for reply in replies:
            privately = group and reply.private and not reply.feedback
            try:
                if privately:
                    delivered = await self._send_privately(user, reply)
                    if not told and (tell_group or not delivered):
                        note = SENT_DM if delivered else NO_DM.format(link=self.deep_link("dm"))
                        await deliver(bot, chat.id, Reply(note), reply_to=reply_to,
                                      patient=True, moved=self._moved)
                        told = True
                    continue
                await deliver(bot, chat.id, reply, reply_to=reply_to, patient=True,
                              moved=self._moved)
            except Exception:  # any failure: the next reply still goes out
                logger.exception("telegram: could not reply in chat %s", chat.id)
                if reply.file is not None:
                    await self._report_file(user.id if privately else chat.id, reply)

    async def _report_file(self, chat_id: int, reply: Reply) -> None:
        """Tell the member a file could not be sent (instead of a reply promising it)."""
        assert reply.file is not None
        try:
            await deliver(self.application.bot, chat_id,
                          Reply(FILE_FAILED.format(name=reply.file.filename)), patient=True)
        except TelegramError:
            logger.exception("telegram: could not report a failed file in chat %s", chat_id)

    async def _send_privately(self, user: User, reply: Reply) -> bool:
        """DM one private answer; False (and the answer held for /start) if DMs are closed."""
        try:
            await self.messenger.send_direct(str(user.id), reply)
        except DeliveryFailed as failed:
            if failed.reason is not DeliveryFailure.DM_CLOSED:
                raise
            if user.id not in self._held and len(self._held) >= HELD_MEMBERS:
                del self._held[next(iter(self._held))]
            held = self._held.setdefault(user.id, [])
            held[:] = [*held, reply][-HELD_PER_MEMBER:]
            return False
        return True

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(context.error, NetworkError):
            logger.warning("telegram: network error: %s", context.error)
            return
        logger.error("telegram: update failed", exc_info=context.error)
