"""A protocol-level emulator of the Telegram Bot API over HTTP.

The real, unmodified python-telegram-bot (PTB) talks to it over 127.0.0.1: the Bot API at
``/bot<token>/<method>`` and file downloads at ``/file/bot<token>/<file_path>``. A test
pushes updates (messages, commands, callback queries, documents) into a queue that
``getUpdates`` long-polls (or that is POSTed to a webhook after ``setWebhook``), and every
call the bot makes is recorded as a typed record it can assert on or ``await``
(:meth:`TelegramEmulator.wait_for`).

Pointing PTB at it
------------------
``ApplicationBuilder().token(emu.token).base_url(emu.base_url).base_file_url(emu.base_file_url)``
(the same two options exist on ``telegram.Bot``). PTB appends the token to both values, so
they end in ``/bot`` and ``/file/bot`` exactly like the defaults
(``https://api.telegram.org/bot`` and ``https://api.telegram.org/file/bot``); a value containing
``{token}`` is formatted instead. ``getFile`` answers a relative ``file_path`` and PTB prefixes
it with the base file URL, so downloads come here too.

How requests arrive: PTB posts form fields (``application/x-www-form-urlencoded``, or
``multipart/form-data`` when a file is uploaded) in which every non-string value is
JSON-encoded; the emulator also accepts JSON bodies and query strings, as the Bot API does.

Fidelity choices worth knowing
------------------------------
* A bot cannot message a user who never wrote to it: ``sendMessage`` to such a private chat
  answers 403 "Forbidden: bot can't initiate conversation with a user". Any update pushed
  from a user in their private chat (``/start`` included) counts as starting the bot; so does
  :meth:`TelegramEmulator.start_chat`. :meth:`TelegramEmulator.block_bot` gives
  "Forbidden: bot was blocked by the user", :meth:`TelegramEmulator.forbid` any 403.
* Group privacy mode is on by default, as for a new BotFather bot: in groups the bot
  receives commands, replies to its messages and mentions of it, nothing else (dropped
  updates are listed in :attr:`TelegramEmulator.dropped_updates`); a bot that is a group
  administrator receives everything. Simplification: a bare ``/command`` (without
  ``@bot``) is always delivered, as when this bot is the only one in the group.
* :meth:`TelegramEmulator.force_retry_after` answers 429 with ``parameters.retry_after``.
* :meth:`TelegramEmulator.migrate_to_supergroup` models a group becoming a supergroup: a
  new chat id, the two migration service messages, and 400 with ``migrate_to_chat_id`` for
  sends to the old id.
* A file over :attr:`TelegramEmulator.max_upload_bytes` (50 MB, the Bot API's limit for
  uploads) is refused with 413 "Request Entity Too Large".
* ``flood_limits=True`` enforces the published flood limits on sends (Bots FAQ, as quoted
  by python-telegram-bot's wiki "Avoiding flood limits"): at most 30 messages in any second
  overall and 20 in any minute to one group or channel; beyond them a 429 whose
  ``retry_after`` is the whole seconds until the window has room. Telegram calls its
  limits flexible; the emulator applies them exactly. Private chats (~1/s) are not
  enforced: short bursts there are tolerated.
* ``editMessageText`` with unchanged text and markup is 400 "message is not modified", and
  ``callback_data`` over 64 bytes is 400 "BUTTON_DATA_INVALID", as on Telegram.
* A new ``getUpdates`` ends an older pending long poll (it returns ``[]``), so a poll
  abandoned by a cancelled client never swallows updates: updates stay queued until a later
  ``offset`` confirms them, as on Telegram.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import copy
import itertools
import json
import math
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import aiohttp
from aiohttp import web

from ._common import DEFAULT_TIMEOUT, LocalServer, Recorder, RecordingEmulator, json_response

__all__ = [
    "AnsweredCallback",
    "Chat",
    "CommandsSet",
    "DeletedMessage",
    "EditedMessage",
    "Refused",
    "SentFile",
    "SentMessage",
    "StoredFile",
    "TelegramEmulator",
    "TelegramRequest",
    "TgUser",
]

T = TypeVar("T")

CANT_INITIATE: Final = "Forbidden: bot can't initiate conversation with a user"
BLOCKED: Final = "Forbidden: bot was blocked by the user"
UPDATE_TYPES: Final = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "message_reaction",
)


# --------------------------------------------------------------------------------------------
# The world
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class TgUser:
    """A Telegram user (or the bot)."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    is_bot: bool = False
    language_code: str | None = "en"

    def payload(self) -> dict[str, Any]:
        """The User object."""
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": self.is_bot,
            "first_name": self.first_name,
        }
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass(eq=False)
class Chat:
    """A chat: ``private`` (id == the user's id), ``group``, ``supergroup`` or ``channel``."""

    id: int
    type: str
    title: str | None = None
    user: TgUser | None = None  # private chats
    members: dict[int, str] = field(default_factory=dict)  # user id -> status

    def payload(self) -> dict[str, Any]:
        """The Chat object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.username:
                data["username"] = self.user.username
        else:
            data["title"] = self.title
        return data


@dataclass(frozen=True)
class StoredFile:
    """A file known to the emulator (uploaded by the bot or by a test)."""

    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str
    content: bytes
    mime_type: str | None


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TelegramRequest:
    """One Bot API call, whatever its outcome (kept in :attr:`TelegramEmulator.requests`)."""

    method: str
    params: Mapping[str, Any]
    status: int
    description: str | None = None
    at: float = 0.0  # time.monotonic() when it was answered


# Methods that post a message (the flood limits count them).
SEND_METHODS = frozenset({
    "sendmessage", "sendphoto", "senddocument", "sendvideo", "sendaudio", "sendvoice",
    "sendanimation", "sendsticker", "sendlocation", "sendpoll", "sendmediagroup",
    "copymessage", "forwardmessage",
})
FLOOD_OVERALL = (30, 1.0)  # messages, seconds
FLOOD_GROUP = (20, 60.0)


def _buttons(markup: Mapping[str, Any] | None) -> list[tuple[str, str | None]]:
    rows = (markup or {}).get("inline_keyboard") or []
    return [(b.get("text", ""), b.get("callback_data")) for row in rows for b in row]


@dataclass(frozen=True)
class SentMessage:
    """A ``sendMessage``."""

    chat_id: int
    message_id: int
    text: str
    params: Mapping[str, Any]

    @property
    def reply_markup(self) -> Mapping[str, Any] | None:
        """The reply markup, decoded."""
        markup = self.params.get("reply_markup")
        return markup if isinstance(markup, Mapping) else None

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """Inline keyboard buttons as ``(text, callback_data)``, row by row."""
        return _buttons(self.reply_markup)


@dataclass(frozen=True)
class SentFile:
    """A ``sendDocument`` or ``sendPhoto``."""

    method: str
    chat_id: int
    message_id: int
    file: StoredFile
    caption: str | None
    params: Mapping[str, Any]


@dataclass(frozen=True)
class EditedMessage:
    """An ``editMessageText`` / ``editMessageReplyMarkup`` / ``editMessageCaption``."""

    method: str
    chat_id: int
    message_id: int
    text: str | None
    reply_markup: Mapping[str, Any] | None
    params: Mapping[str, Any]

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """Inline keyboard buttons as ``(text, callback_data)``."""
        return _buttons(self.reply_markup)


@dataclass(frozen=True)
class DeletedMessage:
    """A ``deleteMessage``."""

    chat_id: int
    message_id: int


@dataclass(frozen=True)
class AnsweredCallback:
    """An ``answerCallbackQuery``."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    params: Mapping[str, Any]


@dataclass(frozen=True)
class CommandsSet:
    """A ``setMyCommands`` (or ``deleteMyCommands``: ``commands`` is empty)."""

    commands: tuple[Mapping[str, str], ...]
    scope: Mapping[str, Any]
    language_code: str

    @property
    def names(self) -> list[str]:
        """The command names, in order."""
        return [c["command"] for c in self.commands]


@dataclass(frozen=True)
class Refused:
    """A call the emulator answered with an error (403, 429, 400...)."""

    method: str
    chat_id: int | str | None
    error_code: int
    description: str
    retry_after: int | None = None


Record = (
    SentMessage
    | SentFile
    | EditedMessage
    | DeletedMessage
    | AnsweredCallback
    | CommandsSet
    | Refused
)


class _BotApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None,
                 migrate_to_chat_id: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def response(self) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to_chat_id is not None:
            body["parameters"] = {"migrate_to_chat_id": self.migrate_to_chat_id}
        return json_response(body, status=self.code)


def _bad(description: str) -> _BotApiError:
    return _BotApiError(400, f"Bad Request: {description}")


class _Params:
    """Bot API parameters from a query string, a form, a multipart body or JSON."""

    def __init__(self, values: dict[str, Any], files: dict[str, tuple[str, bytes, str | None]]):
        self.values = values
        self.files = files

    @classmethod
    async def read(cls, request: web.Request) -> _Params:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str, bytes, str | None]] = {}
        if request.content_type == "application/json":
            text = await request.text()
            if text:
                values.update(json.loads(text))
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read(), value.content_type)
                else:
                    values[key] = value
        return cls(values, files)

    def __contains__(self, name: str) -> bool:
        return name in self.values or name in self.files

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        return default if value is None else str(value)

    def require_text(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise _bad(f"parameter {name} is required")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return int(float(value))
        except (TypeError, ValueError) as exc:
            raise _bad(f"parameter {name} must be a number") from exc

    def number(self, name: str, default: float) -> float:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        return float(value)

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def decoded(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise _bad(f"can't parse {name} JSON object") from exc
        return value

    def chat_id(self) -> int | str:
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise _bad("chat_id is empty")
        with contextlib.suppress(TypeError, ValueError):
            return int(value)
        return str(value)

    def plain(self) -> dict[str, Any]:
        """The parameters with JSON-looking values decoded, for records."""
        out: dict[str, Any] = {}
        for key, value in self.values.items():
            if isinstance(value, str) and value[:1] in ("{", "["):
                with contextlib.suppress(json.JSONDecodeError):
                    value = json.loads(value)
            out[key] = value
        for key, (filename, _, _) in self.files.items():
            out[key] = f"<file {filename}>"
        return out


# --------------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------------


class TelegramEmulator(RecordingEmulator[Record]):
    """The Telegram Bot API on 127.0.0.1; use as ``async with TelegramEmulator() as tg``.

    Args:
        token: the bot token (``<bot id>:<secret>``).
        bot_username: the bot's username (commands may be addressed ``/cmd@<username>``).
        bot_first_name: the bot's display name.
        privacy_mode: group privacy mode (on for a new bot).
    """

    def __init__(
        self,
        *,
        token: str = "123456789:EMULATOR-token",
        bot_username: str = "cohort_test_bot",
        bot_first_name: str = "Cohort",
        privacy_mode: bool = True,
        flood_limits: bool = False,
    ) -> None:
        self.token = token
        self.privacy_mode = privacy_mode
        self.flood_limits = flood_limits
        self._sent_times: collections.deque[float] = collections.deque()
        self._group_times: dict[int, collections.deque[float]] = {}
        self.bot = TgUser(
            id=int(token.split(":", 1)[0]),
            first_name=bot_first_name,
            username=bot_username,
            is_bot=True,
        )
        self.users: dict[int, TgUser] = {}
        self.chats: dict[int, Chat] = {}
        self.started: set[int] = set()
        self.blocked: set[int] = set()
        self.forbidden: dict[int, str] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.answered_queries: set[str] = set()
        self.webhook: dict[str, Any] = {}
        # Public HTTPS URL -> the local URL a reverse proxy would forward it to.
        self.proxies: dict[str, str] = {}
        self.bot_settings: dict[str, Any] = {}
        self.dropped_updates: list[dict[str, Any]] = []
        self.delivered_updates: list[dict[str, Any]] = []
        self._delivered_ids: set[int] = set()  # a re-polled update is listed once (O(1))

        self.recorder: Recorder[Record] = Recorder()
        self.requests: list[TelegramRequest] = []
        self._next_user_id = itertools.count(100_001)
        self._next_group_id = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._next_update_id = itertools.count(1)
        self._next_file = itertools.count(1)
        self._pending: list[dict[str, Any]] = []
        self._method_table: dict[str, Callable[[_Params], Any]] | None = None
        self._allowed_updates: list[str] = []
        self._wakeup = asyncio.Event()
        self._poll_generation = 0
        self._closing = False
        self._forced: list[tuple[str, int | None, int, list[int]]] = []
        self.migrated: dict[int, int] = {}  # old group id -> its supergroup's id
        # "Bots can currently send files of up to 50 MB" (larger: 413 Request Entity Too Large).
        self.max_upload_bytes = 50 * 1024 * 1024
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_session: aiohttp.ClientSession | None = None
        self.server = LocalServer(self._build_app())

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> TelegramEmulator:
        await self.server.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closing = True
        self._wake()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._webhook_session is not None:
            await self._webhook_session.close()
        await self.server.stop()

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` (PTB appends the token)."""
        return f"{self.server.origin}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)`` (PTB appends the token)."""
        return f"{self.server.origin}/file/bot"

    # -- the world ------------------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        *,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> TgUser:
        """A new user."""
        user = TgUser(
            id=next(self._next_user_id),
            first_name=first_name,
            username=username,
            language_code=language_code,
        )
        self.users[user.id] = user
        return user

    def private_chat(self, user: TgUser) -> Chat:
        """The private chat between ``user`` and the bot (its id is the user's id)."""
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(id=user.id, type="private", user=user)
            self.chats[chat.id] = chat
        return chat

    def add_group(
        self,
        title: str,
        *,
        members: Sequence[TgUser] = (),
        admins: Sequence[TgUser] = (),
        creator: TgUser | None = None,
        supergroup: bool = True,
        bot_is_admin: bool = False,
    ) -> Chat:
        """A group (supergroup by default) the bot is in, with members and administrators."""
        number = next(self._next_group_id)
        chat_id = -(1_000_000_000_000 + number) if supergroup else -number
        chat = Chat(id=chat_id, type="supergroup" if supergroup else "group", title=title)
        chat.members[self.bot.id] = "administrator" if bot_is_admin else "member"
        if creator is not None:
            chat.members[creator.id] = "creator"
        for user in members:
            chat.members.setdefault(user.id, "member")
        for user in admins:
            chat.members[user.id] = "administrator"
        self.chats[chat.id] = chat
        return chat

    def reverse_proxy(self, public_url: str, local_url: str) -> None:
        """Calls to ``public_url`` (HTTPS, as Telegram requires) reach ``local_url``.

        This is the reverse proxy that terminates TLS in front of a webhook server.
        """
        self.proxies[public_url] = local_url

    def restrict_bot(self, chat: Chat) -> None:
        """An administrator took the bot's right to send messages in ``chat``."""
        chat.members[self.bot.id] = "restricted"

    def migrate_to_supergroup(self, group: Chat, by: TgUser, *, announce: bool = True) -> Chat:
        """``by`` upgrades a basic group to a supergroup, which gets a new id.

        As on Telegram: the old group gets a service message with ``migrate_to_chat_id``,
        the supergroup one with ``migrate_from_chat_id`` (both reach the bot whatever the
        privacy mode), and any later send to the old id is 400 with
        ``parameters.migrate_to_chat_id``. ``announce=False`` leaves the service messages
        out, as for a bot that was offline longer than Telegram keeps updates.
        """
        if group.type != "group":
            raise ValueError("only basic groups migrate")
        number = next(self._next_group_id)
        supergroup = Chat(id=-(1_000_000_000_000 + number), type="supergroup",
                          title=group.title, members=dict(group.members))
        self.chats[supergroup.id] = supergroup
        self.migrated[group.id] = supergroup.id
        if not announce:
            return supergroup
        self.push_update({"message": self._user_message(
            group, by, {"migrate_to_chat_id": supergroup.id})})
        self.push_update({"message": self._user_message(
            supergroup, by, {"migrate_from_chat_id": group.id})})
        return supergroup

    def start_chat(self, user: TgUser) -> None:
        """``user`` has started the bot: it may now message them."""
        self.started.add(user.id)
        self.blocked.discard(user.id)

    def block_bot(self, user: TgUser) -> None:
        """``user`` blocked the bot: sending to them is 403 "bot was blocked by the user"."""
        self.blocked.add(user.id)

    def forbid(self, chat: Chat | TgUser | int, description: str = CANT_INITIATE) -> None:
        """Every send to this chat answers 403 with ``description``."""
        chat_id = chat if isinstance(chat, int) else chat.id
        self.forbidden[chat_id] = description

    def force_retry_after(
        self,
        method: str = "sendMessage",
        *,
        times: int = 1,
        retry_after: int = 1,
        chat: Chat | TgUser | int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 and ``retry_after``."""
        chat_id = chat if isinstance(chat, int | None) else chat.id
        self._forced.append((method, chat_id, retry_after, [times]))

    def add_file(
        self,
        content: bytes,
        file_name: str,
        mime_type: str | None = None,
        *,
        kind: str = "documents",
    ) -> StoredFile:
        """Store a file (as if a user had uploaded it) and return it."""
        number = next(self._next_file)
        stored = StoredFile(
            file_id=f"BQACAgIAAxkB{number:06d}{secrets.token_hex(8)}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{kind}/file_{number}{_suffix(file_name)}",
            file_name=file_name,
            content=content,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    # -- records --------------------------------------------------------------------------

    @property
    def sent_messages(self) -> list[SentMessage]:
        """Every ``sendMessage`` that succeeded."""
        return self.recorder.of_type(SentMessage)

    def sent_to(self, chat: Chat | TgUser | int) -> list[SentMessage]:
        """Messages sent to one chat (a user means their private chat)."""
        chat_id = chat if isinstance(chat, int) else chat.id
        return [m for m in self.sent_messages if m.chat_id == chat_id]

    def commands_for(
        self, scope: str | Mapping[str, Any] = "default", language_code: str = ""
    ) -> list[dict[str, str]]:
        """The commands currently set for a scope (``"default"``, ``"all_private_chats"``,
        ``"all_group_chats"``, ``"all_chat_administrators"`` or a full scope object)."""
        scope_obj = {"type": scope} if isinstance(scope, str) else dict(scope)
        return self.commands.get((_scope_key(scope_obj), language_code), [])

    async def wait_until_consumed(self, timeout: float = DEFAULT_TIMEOUT) -> None:  # noqa: ASYNC109
        """Wait until every pushed update has been fetched by ``getUpdates`` and confirmed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._pending:
            if loop.time() > deadline:
                raise TimeoutError(f"{len(self._pending)} updates still pending")
            await asyncio.sleep(0.01)

    # -- injection ------------------------------------------------------------------------

    def push_update(self, update: Mapping[str, Any]) -> dict[str, Any]:
        """Queue a raw update (``update_id`` is assigned); returns it."""
        # A snapshot: later edits of the same message do not change a queued update.
        full = {"update_id": next(self._next_update_id), **copy.deepcopy(dict(update))}
        self._pending.append(full)
        self._wake()
        return full

    def push_message(
        self,
        chat: Chat,
        from_user: TgUser,
        text: str,
        *,
        entities: Sequence[Mapping[str, Any]] = (),
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """``from_user`` writes ``text`` in ``chat``; returns the update (even if dropped)."""
        message = self._user_message(chat, from_user, {"text": text})
        if entities:
            message["entities"] = [dict(e) for e in entities]
        if reply_to_message_id is not None:
            message["reply_to_message"] = self.messages[(chat.id, reply_to_message_id)]
        return self._push_message_update(chat, from_user, message)

    def push_command(
        self,
        chat: Chat,
        from_user: TgUser,
        command: str,
        args: str = "",
        *,
        mention_bot: bool = False,
    ) -> dict[str, Any]:
        """``from_user`` sends ``/command args`` (``/command@bot args`` with ``mention_bot``)."""
        token = "/" + command.lstrip("/")
        if mention_bot:
            token += f"@{self.bot.username}"
        text = f"{token} {args}" if args else token
        entity = {
            "type": "bot_command",
            "offset": 0,
            "length": len(token.encode("utf-16-le")) // 2,
        }
        return self.push_message(chat, from_user, text, entities=[entity])

    def push_document(
        self,
        chat: Chat,
        from_user: TgUser,
        content: bytes,
        file_name: str,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """``from_user`` uploads a document (the bot can ``getFile`` and download it)."""
        stored = self.add_file(content, file_name, mime_type)
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "file_size": len(content),
        }
        if mime_type:
            document["mime_type"] = mime_type
        body: dict[str, Any] = {"document": document}
        if caption:
            body["caption"] = caption
        message = self._user_message(chat, from_user, body)
        return self._push_message_update(chat, from_user, message)

    def push_callback_query(
        self, chat: Chat, from_user: TgUser, message_id: int, data: str
    ) -> str:
        """``from_user`` presses an inline button on the bot's message; returns the query id."""
        message = self.messages.get((chat.id, message_id))
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat.id}")
        query_id = str(secrets.randbits(63))
        query = {
            "id": query_id,
            "from": from_user.payload(),
            "message": message,
            "chat_instance": str(abs(chat.id) * 7919),
            "data": data,
        }
        self.callback_queries[query_id] = query
        self.push_update({"callback_query": query})
        return query_id

    # -- injection helpers ----------------------------------------------------------------

    def _new_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _user_message(
        self, chat: Chat, from_user: TgUser, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        self.users.setdefault(from_user.id, from_user)
        if chat.type != "private":
            chat.members.setdefault(from_user.id, "member")
        message = {
            "message_id": self._new_message_id(chat.id),
            "from": from_user.payload(),
            "chat": chat.payload(),
            "date": int(time.time()),
            **body,
        }
        self.messages[(chat.id, message["message_id"])] = message
        return message

    def _push_message_update(
        self, chat: Chat, from_user: TgUser, message: dict[str, Any]
    ) -> dict[str, Any]:
        if chat.type == "private":
            self.started.add(from_user.id)
            self.blocked.discard(from_user.id)
        elif self.privacy_mode and not self._visible_in_privacy_mode(chat, message):
            update = {"update_id": None, "message": message}
            self.dropped_updates.append(update)
            return update
        return self.push_update({"message": message})

    def _visible_in_privacy_mode(self, chat: Chat, message: Mapping[str, Any]) -> bool:
        if chat.members.get(self.bot.id) == "administrator":
            return True
        text = str(message.get("text") or message.get("caption") or "")
        if text.startswith("/"):
            return True
        if f"@{self.bot.username}" in text:
            return True
        reply = message.get("reply_to_message")
        return bool(reply and reply.get("from", {}).get("id") == self.bot.id)

    # -- long polling and webhooks --------------------------------------------------------

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()
        if self.webhook.get("url") and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhooks())

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            # Updates are queued in update_id order: drop the confirmed prefix.
            keep = bisect.bisect_left(self._pending, offset, key=lambda u: u["update_id"])
            if keep:
                del self._pending[:keep]

    def _available(self, limit: int) -> list[dict[str, Any]]:
        allowed = set(self._allowed_updates or UPDATE_TYPES) - {
            "chat_member",
            "message_reaction",
        } | (set(self._allowed_updates) & {"chat_member", "message_reaction"})
        out = []
        for update in self._pending:
            kind = next((k for k in update if k != "update_id"), "")
            if kind in allowed:
                out.append(update)
                if len(out) == limit:  # a burst's backlog is not scanned whole per poll
                    break
        return out

    async def _get_updates(self, params: _Params) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise _BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._confirm(params.integer("offset"))
        limit = max(1, min(100, params.integer("limit", 100) or 100))
        allowed = params.decoded("allowed_updates")
        if isinstance(allowed, list) and allowed:
            self._allowed_updates = [str(a) for a in allowed]
        timeout = max(0.0, params.number("timeout", 0.0))
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()  # an older long poll ends now
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            updates = self._available(limit)
            remaining = deadline - loop.time()
            if updates or remaining <= 0 or self._closing or generation != self._poll_generation:
                for update in updates:
                    if update["update_id"] not in self._delivered_ids:
                        self._delivered_ids.add(update["update_id"])
                        self.delivered_updates.append(update)
                return updates
            wakeup = self._wakeup
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), remaining)

    async def _deliver_webhooks(self) -> None:
        if self._webhook_session is None:
            self._webhook_session = aiohttp.ClientSession()
        while self.webhook.get("url") and not self._closing:
            updates = self._available(1)
            if not updates:
                wakeup = self._wakeup
                await wakeup.wait()
                continue
            update = updates[0]
            headers = {"Content-Type": "application/json"}
            if self.webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
            try:
                async with self._webhook_session.post(
                    self.proxies.get(self.webhook["url"], self.webhook["url"]),
                    data=json.dumps(update), headers=headers
                ) as response:
                    delivered = 200 <= response.status < 300
                    if not delivered:
                        self.webhook["last_error_message"] = f"Wrong response: {response.status}"
            except aiohttp.ClientError as exc:
                delivered = False
                self.webhook["last_error_message"] = str(exc)
            if delivered:
                self._pending = [u for u in self._pending if u is not update]
                self._delivered_ids.add(update["update_id"])
                self.delivered_updates.append(update)
            else:
                await asyncio.sleep(0.1)

    # -- HTTP -----------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        return app

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        for stored in self.files.values():
            if stored.file_path == request.match_info["path"]:
                return web.Response(
                    body=stored.content,
                    content_type=stored.mime_type or "application/octet-stream",
                )
        return json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _Params.read(request)
        if self._method_table is None:  # built once: a burst polls hundreds of times
            self._method_table = self._methods()
        handler = self._method_table.get(method.lower())
        chat_id: int | str | None = None
        try:
            if request.match_info["token"] != self.token:
                raise _BotApiError(401, "Unauthorized")
            if handler is None:
                raise _BotApiError(404, "Not Found")
            if "chat_id" in params:
                chat_id = params.chat_id()
            self._check_forced(method, chat_id)
            self._check_flood(method, chat_id)
            result = await handler(params)
            response = json_response({"ok": True, "result": result})
            self.requests.append(
                TelegramRequest(method, params.plain(), 200, at=time.monotonic()))
        except _BotApiError as exc:
            response = exc.response()
            self.requests.append(
                TelegramRequest(method, params.plain(), exc.code, exc.description,
                                at=time.monotonic())
            )
            if exc.code != 404:
                self.recorder.record(
                    Refused(method, chat_id, exc.code, exc.description, exc.retry_after)
                )
        return response

    def _check_flood(self, method: str, chat_id: int | str | None) -> None:
        """With ``flood_limits``: 429 past 30 sends/s overall or 20/min to one group."""
        if not self.flood_limits or method.lower() not in SEND_METHODS:
            return
        now = time.monotonic()
        windows = [(self._sent_times, FLOOD_OVERALL)]
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is not None and chat.type != "private":
            windows.append((self._group_times.setdefault(chat.id, collections.deque()),
                            FLOOD_GROUP))
        for times, (limit, window) in windows:
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= limit:
                retry_after = max(1, math.ceil(times[0] + window - now))
                raise _BotApiError(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for times, _ in windows:
            times.append(now)

    def _check_forced(self, method: str, chat_id: int | str | None) -> None:
        for forced_method, forced_chat, retry_after, remaining in self._forced:
            if (
                forced_method.lower() == method.lower()
                and remaining[0] > 0
                and (forced_chat is None or forced_chat == chat_id)
            ):
                remaining[0] -= 1
                raise _BotApiError(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after
                )

    def _methods(self) -> dict[str, Callable[[_Params], Any]]:
        return {
            "getme": self._get_me,
            "logout": self._true,
            "close": self._true,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setmydescription": self._store_setting("description"),
            "setmyshortdescription": self._store_setting("short_description"),
            "setmyname": self._store_setting("name"),
            "setchatmenubutton": self._store_setting("menu_button"),
            "sendchataction": self._send_chat_action,
            "sendmessage": self._send_message,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "editmessagecaption": self._edit_message_caption,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "getchat": self._get_chat,
            "getchatadministrators": self._get_chat_administrators,
            "getchatmember": self._get_chat_member,
            "getchatmembercount": self._get_chat_member_count,
            "getfile": self._get_file,
        }

    # -- methods --------------------------------------------------------------------------

    async def _true(self, params: _Params) -> bool:
        return True

    async def _get_me(self, params: _Params) -> dict[str, Any]:
        return self.bot.payload() | {
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _set_webhook(self, params: _Params) -> bool:
        url = params.require_text("url")
        if not url.startswith("https://"):  # Telegram only calls webhooks over TLS
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.text("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad("secret token contains unallowed characters")
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        allowed = params.decoded("allowed_updates")
        if isinstance(allowed, list) and allowed:
            self._allowed_updates = [str(a) for a in allowed]
        self.webhook = {"url": url, "secret_token": params.text("secret_token")}
        self._wake()
        return True

    async def _delete_webhook(self, params: _Params) -> bool:
        self.webhook = {}
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, params: _Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook.get("last_error_message"):
            info["last_error_message"] = self.webhook["last_error_message"]
            info["last_error_date"] = int(time.time())
        return info

    def _command_scope(self, params: _Params) -> tuple[dict[str, Any], str]:
        scope = params.decoded("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad("can't parse BotCommandScope")
        if scope["type"] in ("chat", "chat_administrators", "chat_member"):
            chat_id = scope.get("chat_id")
            if chat_id is None or int(chat_id) not in self.chats:
                raise _bad("chat not found")
        return scope, params.text("language_code", "") or ""

    async def _set_my_commands(self, params: _Params) -> bool:
        commands = params.decoded("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands specified")
        cleaned: list[dict[str, str]] = []
        for entry in commands:
            name = str(entry.get("command", ""))
            description = str(entry.get("description", ""))
            if not (1 <= len(name) <= 32) or not all(c.isalnum() or c == "_" for c in name):
                raise _bad("BOT_COMMAND_INVALID")
            if name != name.lower():
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        scope, language = self._command_scope(params)
        self.commands[(_scope_key(scope), language)] = cleaned
        self.recorder.record(CommandsSet(tuple(cleaned), scope, language))
        return True

    async def _get_my_commands(self, params: _Params) -> list[dict[str, str]]:
        scope, language = self._command_scope(params)
        return self.commands.get((_scope_key(scope), language), [])

    async def _delete_my_commands(self, params: _Params) -> bool:
        scope, language = self._command_scope(params)
        self.commands.pop((_scope_key(scope), language), None)
        self.recorder.record(CommandsSet((), scope, language))
        return True

    def _store_setting(self, name: str) -> Callable[[_Params], Any]:
        async def store(params: _Params) -> bool:
            self.bot_settings[name] = params.plain()
            return True

        return store

    def _chat(self, chat_id: int | str) -> Chat:
        if isinstance(chat_id, int):
            chat = self.chats.get(chat_id)
            if chat is None and chat_id in self.users:
                chat = self.private_chat(self.users[chat_id])
            if chat is not None:
                return chat
        raise _bad("chat not found")

    def _check_can_send(self, chat: Chat) -> None:
        if chat.id in self.migrated:
            raise _BotApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                               migrate_to_chat_id=self.migrated[chat.id])
        if chat.id in self.forbidden:
            raise _BotApiError(403, self.forbidden[chat.id])
        if chat.type == "private":
            if chat.id in self.blocked:
                raise _BotApiError(403, BLOCKED)
            if chat.id not in self.started:
                raise _BotApiError(403, CANT_INITIATE)
        elif chat.members.get(self.bot.id) in (None, "left", "kicked"):
            raise _BotApiError(403, "Forbidden: bot is not a member of the supergroup chat")
        elif chat.members.get(self.bot.id) == "restricted":
            raise _bad("not enough rights to send text messages to the chat")

    @staticmethod
    def _validate_markup(markup: Any) -> dict[str, Any] | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise _bad("BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise _bad("text buttons are unallowed in the inline keyboard")
        return markup

    def _bot_message(self, chat: Chat, body: Mapping[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat.id),
            "from": self.bot.payload(),
            "chat": chat.payload(),
            "date": int(time.time()),
            **body,
        }
        self.messages[(chat.id, message["message_id"])] = message
        return message

    def _reply_fields(self, chat: Chat, params: _Params) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        reply = params.decoded("reply_parameters")
        reply_id = reply.get("message_id") if isinstance(reply, dict) else None
        reply_id = reply_id or params.integer("reply_to_message_id")
        if reply_id is not None:
            original = self.messages.get((chat.id, int(reply_id)))
            if original is None:
                allow = isinstance(reply, dict) and reply.get("allow_sending_without_reply")
                if not allow:
                    raise _bad("message to be replied not found")
            else:
                fields["reply_to_message"] = original
        markup = self._validate_markup(params.decoded("reply_markup"))
        if markup and "inline_keyboard" in markup:
            fields["reply_markup"] = markup
        return fields

    async def _send_chat_action(self, params: _Params) -> bool:
        self._chat(params.chat_id())
        return True

    async def _send_message(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params.chat_id())
        text = params.text("text") or ""
        if not text.strip():
            raise _bad("message text is empty")
        if len(text) > 4096:
            raise _bad("message is too long")
        self._check_can_send(chat)
        body: dict[str, Any] = {"text": text, **self._reply_fields(chat, params)}
        entities = params.decoded("entities")
        if entities:
            body["entities"] = entities
        message = self._bot_message(chat, body)
        self.recorder.record(SentMessage(chat.id, message["message_id"], text, params.plain()))
        return message

    def _input_file(self, params: _Params, name: str, kind: str) -> StoredFile:
        if name in params.files:
            filename, content, mime = params.files[name]
            return self.add_file(content, filename or name, mime, kind=kind)
        value = params.text(name)
        if value is None:
            raise _bad(f"there is no {name} in the request")
        if value.startswith("attach://"):
            attached = params.files.get(value.removeprefix("attach://"))
            if attached is None:
                raise _bad(f"wrong file identifier/HTTP URL specified for {name}")
            filename, content, mime = attached
            return self.add_file(content, filename or name, mime, kind=kind)
        if value in self.files:
            return self.files[value]
        if value.startswith(("http://", "https://")):
            filename = value.rsplit("/", 1)[-1] or name
            return self.add_file(b"", filename, None, kind=kind)
        raise _bad("wrong file identifier/HTTP URL specified")

    async def _send_file(self, params: _Params, method: str, field_name: str) -> dict[str, Any]:
        chat = self._chat(params.chat_id())
        self._check_can_send(chat)
        caption = params.text("caption")
        if caption is not None and len(caption) > 1024:
            raise _bad("message caption is too long")
        stored = self._input_file(
            params, field_name, "photos" if field_name == "photo" else "documents"
        )
        if len(stored.content) > self.max_upload_bytes:
            raise _BotApiError(413, "Request Entity Too Large")
        body: dict[str, Any] = self._reply_fields(chat, params)
        if caption:
            body["caption"] = caption
        if field_name == "photo":
            body["photo"] = [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": 640,
                    "height": 480,
                    "file_size": len(stored.content),
                }
            ]
        else:
            document: dict[str, Any] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": stored.file_name,
                "file_size": len(stored.content),
            }
            if stored.mime_type:
                document["mime_type"] = stored.mime_type
            body["document"] = document
        message = self._bot_message(chat, body)
        self.recorder.record(
            SentFile(method, chat.id, message["message_id"], stored, caption, params.plain())
        )
        return message

    async def _send_document(self, params: _Params) -> dict[str, Any]:
        return await self._send_file(params, "sendDocument", "document")

    async def _send_photo(self, params: _Params) -> dict[str, Any]:
        return await self._send_file(params, "sendPhoto", "photo")

    def _editable(self, params: _Params, missing: str) -> tuple[Chat, dict[str, Any]]:
        if params.text("inline_message_id"):
            raise _bad("inline messages are not emulated")
        chat = self._chat(params.chat_id())
        message_id = params.integer("message_id")
        message = self.messages.get((chat.id, message_id or 0))
        if message is None:
            raise _bad(missing)
        if message.get("from", {}).get("id") != self.bot.id:
            raise _bad("message can't be edited")
        return chat, message

    def _apply_edit(
        self,
        method: str,
        params: _Params,
        chat: Chat,
        message: dict[str, Any],
        changes: dict[str, Any],
    ) -> dict[str, Any]:
        markup = self._validate_markup(params.decoded("reply_markup"))
        new_markup = markup if markup and "inline_keyboard" in markup else None
        unchanged = all(message.get(k) == v for k, v in changes.items()) and (
            message.get("reply_markup") == new_markup
        )
        if unchanged:
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.update(changes)
        if new_markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = new_markup
        message["edit_date"] = int(time.time())
        self.recorder.record(
            EditedMessage(
                method,
                chat.id,
                message["message_id"],
                changes.get("text"),
                new_markup,
                params.plain(),
            )
        )
        return message

    async def _edit_message_text(self, params: _Params) -> dict[str, Any]:
        chat, message = self._editable(params, "message to edit not found")
        text = params.text("text") or ""
        if not text.strip():
            raise _bad("message text is empty")
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        return self._apply_edit("editMessageText", params, chat, message, {"text": text})

    async def _edit_message_reply_markup(self, params: _Params) -> dict[str, Any]:
        chat, message = self._editable(params, "message to edit not found")
        return self._apply_edit("editMessageReplyMarkup", params, chat, message, {})

    async def _edit_message_caption(self, params: _Params) -> dict[str, Any]:
        chat, message = self._editable(params, "message to edit not found")
        caption = params.text("caption") or ""
        return self._apply_edit("editMessageCaption", params, chat, message, {"caption": caption})

    async def _delete_message(self, params: _Params) -> bool:
        chat = self._chat(params.chat_id())
        message_id = params.integer("message_id") or 0
        message = self.messages.get((chat.id, message_id))
        if message is None:
            raise _bad("message to delete not found")
        others = message.get("from", {}).get("id") != self.bot.id
        if others and chat.type != "private" and chat.members.get(self.bot.id) != "administrator":
            # Telegram: a bot deletes others' group messages only as an administrator.
            raise _bad("message can't be deleted")
        del self.messages[(chat.id, message_id)]
        self.recorder.record(DeletedMessage(chat.id, message_id))
        return True

    async def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.require_text("callback_query_id")
        if query_id not in self.callback_queries or query_id in self.answered_queries:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.text("text")
        if text is not None and len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self.answered_queries.add(query_id)
        self.recorder.record(
            AnsweredCallback(query_id, text, params.flag("show_alert"), params.plain())
        )
        return True

    async def _get_chat(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params.chat_id())
        return chat.payload() | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _member_payload(self, chat: Chat, user_id: int) -> dict[str, Any]:
        user = self.bot if user_id == self.bot.id else self.users.get(user_id)
        if user is None:
            raise _bad("user not found")
        status = chat.members.get(user_id, "left")
        if chat.type == "private":
            status = "member"
        data: dict[str, Any] = {"status": status, "user": user.payload()}
        if status == "creator":
            data["is_anonymous"] = False
        elif status == "administrator":
            data |= {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
        elif status == "kicked":
            data["until_date"] = 0
        return data

    async def _get_chat_administrators(self, params: _Params) -> list[dict[str, Any]]:
        chat = self._chat(params.chat_id())
        if chat.type == "private":
            raise _bad("there are no administrators in the private chat")
        return [
            self._member_payload(chat, user_id)
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator")
        ]

    async def _get_chat_member(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params.chat_id())
        user_id = params.integer("user_id")
        if user_id is None:
            raise _bad("parameter user_id is required")
        return self._member_payload(chat, user_id)

    async def _get_chat_member_count(self, params: _Params) -> int:
        chat = self._chat(params.chat_id())
        return sum(1 for s in chat.members.values() if s not in ("left", "kicked"))

    async def _get_file(self, params: _Params) -> dict[str, Any]:
        stored = self.files.get(params.require_text("file_id"))
        if stored is None:
            raise _bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }


def _scope_key(scope: Mapping[str, Any]) -> str:
    return json.dumps(
        {k: (int(v) if k in ("chat_id", "user_id") else v) for k, v in scope.items()},
        sort_keys=True,
    )


def _suffix(file_name: str) -> str:
    return "." + file_name.rsplit(".", 1)[1] if "." in file_name else ""
