"""A protocol-level emulator of the Discord API: REST v10 over HTTP and the gateway WebSocket.

The real, unmodified discord.py talks to it over 127.0.0.1. The emulator keeps a small world
(guilds, channels, roles, members, users, messages, application commands), lets a test inject
gateway events (messages, slash-command and component interactions, reactions, voice state
changes, member joins) and records every outbound call as a typed record the test can assert
on or ``await`` (:meth:`DiscordEmulator.wait_for`).

Pointing discord.py at a different Discord
-----------------------------------------
discord.py has no constructor option for its URLs. Two class attributes decide them, and both
are read at the moment of use, so setting them before ``login``/``connect`` is enough and
nothing private is patched:

* ``discord.http.Route.BASE`` (default ``"https://discord.com/api/v10"``) prefixes every REST
  call. The same ``Route`` class is used by the webhook adapter
  (``discord/webhook/async_.py``), so interaction callbacks (``interaction.response.*``) and
  follow-ups (``interaction.followup.*``) go to the same base. The value includes the API
  version: for this emulator it is :attr:`DiscordEmulator.http_url`
  (``http://127.0.0.1:<port>/api/v10``).
* ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (a ``yarl.URL``, default
  ``wss://gateway.discord.gg/``) is where a plain ``discord.Client`` connects: ``Client.connect``
  calls ``DiscordWebSocket.from_client`` without a gateway, and it never calls
  ``GET /gateway/bot`` (only ``AutoShardedClient`` does, and it also falls back to
  ``DEFAULT_GATEWAY``). discord.py appends ``?v=10&encoding=json&compress=zlib-stream`` (or
  ``zstd-stream`` when a zstd module is importable). The emulator answers in *text* frames,
  which discord.py parses without decompressing (``received_message`` only decompresses
  ``bytes``), so no compression is needed on either side. After READY, resumes go to READY's
  ``resume_gateway_url``, which the emulator sets to its own gateway URL.

Both are process-wide class attributes; :func:`discord_py_urls` sets them and restores the
old values (the production adapter, which runs one client per process, sets them from its
``discord.api_base_url`` and ``discord.gateway_url`` settings). Other facts the emulator
honours because discord.py depends on them: a JSON body is parsed only when the response's
``Content-Type`` is exactly ``application/json``; a 429 is retried only when the response has
a ``Via`` header (otherwise discord.py assumes a Cloudflare ban and raises); ``on_ready`` fires
``guild_ready_timeout`` seconds (default 2.0) after the last GUILD_CREATE, so tests pass
``guild_ready_timeout=0.05`` or so to the client.

Fidelity choices worth knowing
------------------------------
* Events the identified intents do not cover are not delivered (listed in
  :attr:`DiscordEmulator.dropped_events`); without the MESSAGE_CONTENT intent, guild messages
  arrive with empty ``content`` unless they mention the bot.
* Interactions must be acknowledged within ``interaction_deadline`` seconds (3 s, like
  Discord; error 10062 afterwards); a second acknowledgement is error 40060; follow-ups
  before the acknowledgement are error 10015.
* A member whose DMs are closed (:meth:`DiscordEmulator.close_dms`) gets a DM channel, but
  sending to it answers 403 with code 50007, as Discord does.
* Every bucket (route + major parameter) allows ``default_rate_limit`` requests per window and
  reports ``X-RateLimit-*`` headers; :meth:`DiscordEmulator.force_rate_limit` injects 429s.
* The bot's own messages are echoed back as MESSAGE_CREATE, as Discord does.
* IDENTIFY asking for a privileged intent missing from
  :attr:`DiscordEmulator.granted_intents` is closed with 4014 "Disallowed intent(s)".
* Uploads over :attr:`DiscordEmulator.max_upload_bytes` (10 MiB) are 413, code 40005.
* Guild command routes answer 403 "Missing Access" (50001) for guilds in
  :attr:`DiscordEmulator.commands_denied`, as for a bot invited without the
  ``applications.commands`` scope.
* Attachment options (type 11) are given as :class:`UploadedFile` (or ``(name, bytes)``):
  the value is an attachment id, ``resolved.attachments`` describes it and its ``url`` serves
  the bytes, as for a file uploaded with a slash command.
* A modal (callback type 9) is validated as Discord does (custom id and title lengths, 1-5
  components, text inputs inside a label (type 18) or an action row, ``max_length`` up to
  4,000) and never answers a MODAL_SUBMIT or an already acknowledged interaction;
  :meth:`DiscordEmulator.send_modal_submit` submits it as a MODAL_SUBMIT (type 5)
  interaction, refusing values the client would refuse (missing required, too long).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import math
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Literal, TypeVar

from aiohttp import BodyPartReader, WSMsgType, web

from ._common import DEFAULT_TIMEOUT, LocalServer, Recorder, RecordingEmulator, json_response

__all__ = [
    "API_PREFIX",
    "Channel",
    "CommandHidden",
    "CommandsSynced",
    "DeletedMessage",
    "DiscordEmulator",
    "DiscordRequest",
    "DmChannelOpened",
    "EditedMessage",
    "Followup",
    "Guild",
    "InjectedInteraction",
    "Intents",
    "InteractionCallback",
    "Member",
    "Permissions",
    "RateLimitHit",
    "ReactionByBot",
    "Role",
    "RoleChange",
    "SentMessage",
    "UploadedFile",
    "User",
    "discord_py_urls",
]

API_PREFIX: Final = "/api/v10"
DISCORD_EPOCH_MS: Final = 1_420_070_400_000
T = TypeVar("T")


class Intents:
    """Gateway intent bits (the ones the emulator enforces)."""

    GUILDS: Final = 1 << 0
    GUILD_MEMBERS: Final = 1 << 1
    GUILD_VOICE_STATES: Final = 1 << 7
    GUILD_MESSAGES: Final = 1 << 9
    GUILD_MESSAGE_REACTIONS: Final = 1 << 10
    DIRECT_MESSAGES: Final = 1 << 12
    DIRECT_MESSAGE_REACTIONS: Final = 1 << 13
    MESSAGE_CONTENT: Final = 1 << 15
    GUILD_PRESENCES: Final = 1 << 8
    PRIVILEGED: Final = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


class Permissions:
    """Permission bits used by the emulator."""

    ADMINISTRATOR: Final = 1 << 3
    MANAGE_GUILD: Final = 1 << 5
    VIEW_CHANNEL: Final = 1 << 10
    SEND_MESSAGES: Final = 1 << 11
    MANAGE_ROLES: Final = 1 << 28
    ALL: Final = (1 << 53) - 1
    DEFAULT_EVERYONE: Final = VIEW_CHANNEL | SEND_MESSAGES


class ChannelType:
    """Channel type numbers."""

    TEXT: Final = 0
    DM: Final = 1
    VOICE: Final = 2
    CATEGORY: Final = 4


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


# --------------------------------------------------------------------------------------------
# The world
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class User:
    """A Discord user."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        """The user object as Discord sends it."""
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass(eq=False)
class Role:
    """A guild role. The ``@everyone`` role has the guild's id."""

    id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        """The role object as Discord sends it."""
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }


@dataclass(eq=False)
class Channel:
    """A guild channel (text, voice, category) or a DM channel."""

    id: int
    name: str
    type: int = ChannelType.TEXT
    guild_id: int | None = None
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    recipient: User | None = None  # DM channels only
    overwrites: list[dict[str, str | int]] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """The channel object as Discord sends it."""
        if self.type == ChannelType.DM:
            assert self.recipient is not None
            return {
                "id": str(self.id),
                "type": ChannelType.DM,
                "recipients": [self.recipient.payload()],
                "last_message_id": None,
                "flags": 0,
            }
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id) if self.guild_id else None,
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [dict(o) for o in self.overwrites],
            "nsfw": False,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "flags": 0,
        }
        if self.type == ChannelType.TEXT:
            data |= {"topic": self.topic, "last_message_id": None, "rate_limit_per_user": 0}
        elif self.type == ChannelType.VOICE:
            data |= {"bitrate": 64000, "user_limit": 0, "rtc_region": None}
        return data


@dataclass(eq=False)
class Member:
    """A user's membership of a guild."""

    user: User
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=_now_iso)

    def payload(self, *, with_user: bool = True) -> dict[str, Any]:
        """The guild member object as Discord sends it."""
        data: dict[str, Any] = {
            "nick": self.nick,
            "roles": [str(r) for r in self.roles],
            "joined_at": self.joined_at,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "avatar": None,
            "premium_since": None,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass(eq=False)
class Guild:
    """A guild with its channels, roles and members."""

    id: int
    name: str
    owner_id: int
    channels: dict[int, Channel] = field(default_factory=dict)
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    voice_states: dict[int, int] = field(default_factory=dict)  # user id -> channel id

    @property
    def everyone(self) -> Role:
        """The ``@everyone`` role."""
        return self.roles[self.id]

    def channel(self, name: str) -> Channel:
        """The channel called ``name``."""
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise KeyError(name)

    def role(self, name: str) -> Role:
        """The role called ``name``."""
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(name)

    def permissions_of(self, user_id: int) -> int:
        """The guild-level permissions of a member (owner and administrators get all)."""
        if user_id == self.owner_id:
            return Permissions.ALL
        member = self.members[user_id]
        value = self.everyone.permissions
        for role_id in member.roles:
            value |= self.roles[role_id].permissions
        if value & Permissions.ADMINISTRATOR:
            return Permissions.ALL
        return value

    def top_role_position(self, user_id: int) -> int:
        """The highest position among a member's roles."""
        member = self.members[user_id]
        return max((self.roles[r].position for r in member.roles), default=0)

    def payload(self, *, full: bool) -> dict[str, Any]:
        """The guild object; ``full`` adds what GUILD_CREATE carries."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
        }
        if full:
            data |= {
                "joined_at": _now_iso(),
                "large": False,
                "unavailable": False,
                "member_count": len(self.members),
                "members": [m.payload() for m in self.members.values()],
                "channels": [c.payload() for c in self.channels.values()],
                "threads": [],
                "presences": [],
                "voice_states": [
                    self._voice_state(user_id, channel_id)
                    for user_id, channel_id in self.voice_states.items()
                ],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
            }
        return data

    def _voice_state(self, user_id: int, channel_id: int | None) -> dict[str, Any]:
        return {
            "guild_id": str(self.id),
            "channel_id": str(channel_id) if channel_id else None,
            "user_id": str(user_id),
            "member": self.members[user_id].payload(),
            "session_id": secrets.token_hex(16),
            "deaf": False,
            "mute": False,
            "self_deaf": False,
            "self_mute": False,
            "self_stream": False,
            "self_video": False,
            "suppress": False,
            "request_to_speak_timestamp": None,
        }


# --------------------------------------------------------------------------------------------
# Records (what the bot did)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscordRequest:
    """One REST request, whatever its outcome (kept in :attr:`DiscordEmulator.requests`)."""

    action: str
    method: str
    path: str
    query: Mapping[str, str]
    body: Any
    status: int
    at: float = 0.0  # the event loop's clock (monotonic, or a test's virtual time) when answered


@dataclass(frozen=True)
class UploadedFile:
    """A file uploaded with a message."""

    field: str
    filename: str
    content: bytes
    content_type: str | None


@dataclass(frozen=True)
class SentMessage:
    """A message the bot created with ``POST /channels/{id}/messages``."""

    channel_id: int
    message_id: int
    payload: Mapping[str, Any]
    guild_id: int | None = None
    recipient_id: int | None = None  # set when the channel is a DM
    files: tuple[UploadedFile, ...] = ()

    @property
    def content(self) -> str:
        """The message text."""
        return str(self.payload.get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """The embeds sent."""
        return list(self.payload.get("embeds") or [])

    @property
    def components(self) -> list[dict[str, Any]]:
        """The component rows sent."""
        return list(self.payload.get("components") or [])


@dataclass(frozen=True)
class EditedMessage:
    """A ``PATCH /channels/{id}/messages/{id}``."""

    channel_id: int
    message_id: int
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class DeletedMessage:
    """A ``DELETE /channels/{id}/messages/{id}``."""

    channel_id: int
    message_id: int


@dataclass(frozen=True)
class DmChannelOpened:
    """A ``POST /users/@me/channels``."""

    user_id: int
    channel_id: int


@dataclass(frozen=True)
class InteractionCallback:
    """An interaction response (``POST /interactions/{id}/{token}/callback``)."""

    PONG: ClassVar[int] = 1
    MESSAGE: ClassVar[int] = 4
    DEFER: ClassVar[int] = 5
    DEFERRED_UPDATE: ClassVar[int] = 6
    UPDATE_MESSAGE: ClassVar[int] = 7
    AUTOCOMPLETE: ClassVar[int] = 8
    MODAL: ClassVar[int] = 9

    interaction_id: int
    token: str
    type: int
    data: Mapping[str, Any] | None

    @property
    def content(self) -> str:
        """The message text (type 4 and 7)."""
        return str((self.data or {}).get("content") or "")

    @property
    def ephemeral(self) -> bool:
        """Whether the EPHEMERAL flag (64) is set."""
        return bool(int((self.data or {}).get("flags") or 0) & 64)


@dataclass(frozen=True)
class Followup:
    """A webhook call on an interaction token: a follow-up or an edit of the original."""

    interaction_id: int
    token: str
    action: Literal["create", "edit", "delete"]
    message_id: int
    original: bool  # the message is the interaction's original response
    payload: Mapping[str, Any]

    @property
    def content(self) -> str:
        """The message text."""
        return str(self.payload.get("content") or "")

    @property
    def ephemeral(self) -> bool:
        """Whether the EPHEMERAL flag (64) is set on this request."""
        return bool(int(self.payload.get("flags") or 0) & 64)


@dataclass(frozen=True)
class CommandsSynced:
    """A bulk overwrite of application commands (``guild_id`` None: global)."""

    guild_id: int | None
    commands: tuple[Mapping[str, Any], ...]

    @property
    def names(self) -> list[str]:
        """The command names, in order."""
        return [str(c["name"]) for c in self.commands]


@dataclass(frozen=True)
class RoleChange:
    """A role granted (``added``) or removed."""

    guild_id: int
    user_id: int
    role_id: int
    added: bool
    reason: str | None


@dataclass(frozen=True)
class ReactionByBot:
    """The bot added (or removed) its own reaction."""

    channel_id: int
    message_id: int
    emoji: str
    added: bool


@dataclass(frozen=True)
class RateLimitHit:
    """The emulator answered 429."""

    action: str
    method: str
    path: str
    retry_after: float
    is_global: bool
    forced: bool


Record = (
    SentMessage
    | EditedMessage
    | DeletedMessage
    | DmChannelOpened
    | InteractionCallback
    | Followup
    | CommandsSynced
    | RoleChange
    | ReactionByBot
    | RateLimitHit
)


@dataclass(eq=False)
class InjectedInteraction:
    """An interaction the test injected; ``id`` and ``token`` identify its callbacks."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    guild_id: int | None
    channel_id: int
    user_id: int
    created: float
    acknowledged: int | None = None  # the callback type, once acknowledged
    original_message_id: int | None = None


# --------------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------------


class CommandHidden(PermissionError):
    """The Discord client would not let this member run the command at all."""


class _ApiError(Exception):
    def __init__(
        self, status: int, code: int, message: str, errors: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def response(self) -> web.Response:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return json_response(body, status=self.status)


def _invalid_form(errors: Mapping[str, Any]) -> _ApiError:
    return _ApiError(400, 50035, "Invalid Form Body", errors)


@dataclass
class _ForcedRateLimit:
    action: str
    remaining: int
    retry_after: float
    is_global: bool
    major: int | None


@dataclass(eq=False)
class _Session:
    session_id: str
    intents: int
    conn: _Connection | None
    seq: int = 0
    backlog: list[dict[str, Any]] = field(default_factory=list)
    invalid: bool = False


@dataclass(eq=False)
class _Connection:
    ws: web.WebSocketResponse
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    session: _Session | None = None
    dropped: bool = False  # closed by the emulator: the session stays resumable

    async def send(self, payload: Mapping[str, Any]) -> None:
        async with self.lock:
            if not self.ws.closed:
                await self.ws.send_str(json.dumps(payload, separators=(",", ":")))


_NO_AUTH_ACTIONS: Final = frozenset(
    {
        "interaction_callback",
        "webhook_execute",
        "webhook_message_get",
        "webhook_message_edit",
        "webhook_message_delete",
        "gateway",
    }
)
_PARSED: Final = web.RequestKey("emulator_parsed", tuple)
_BODY: Final = web.RequestKey("emulator_body", object)
_COMMAND_NAME: Final = re.compile(r"^[-_'\w]{1,32}$")
_MAJOR_PARAMS: Final = ("channel_id", "guild_id", "webhook_id", "interaction_id")


@contextlib.contextmanager
def discord_py_urls(api_base_url: str, gateway_url: str) -> Iterator[None]:
    """Point discord.py's REST base and gateway at other URLs, restoring them afterwards.

    Args:
        api_base_url: replaces ``discord.http.Route.BASE`` (include ``/api/v10``).
        gateway_url: replaces ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``.
    """
    import yarl
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = api_base_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        Route.BASE = old_base
        DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


# --------------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------------


def _text_inputs(components: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The text inputs of a modal, inside labels (type 18) or action rows (type 1)."""
    found: list[Mapping[str, Any]] = []
    for component in components:
        if component.get("type") == 18:
            found.extend(_text_inputs([component.get("component") or {}]))
        elif component.get("type") == 1:
            found.extend(_text_inputs(component.get("components") or []))
        elif component.get("type") == 4:
            found.append(component)
    return found


def _validate_modal(data: Mapping[str, Any]) -> None:
    """Discord's checks on a modal response (interaction response type 9)."""
    errors: dict[str, Any] = {}

    def fail(where: str, message: str) -> None:
        errors[where] = {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": message}]}

    if not 1 <= len(str(data.get("custom_id") or "")) <= 100:
        fail("data.custom_id", "Must be between 1 and 100 in length.")
    if not 1 <= len(str(data.get("title") or "")) <= 45:
        fail("data.title", "Must be between 1 and 45 in length.")
    components = list(data.get("components") or [])
    if not 1 <= len(components) <= 5:
        fail("data.components", "Must be between 1 and 5 in length.")
    for index, component in enumerate(components):
        where = f"data.components.{index}"
        kind = component.get("type")
        if kind == 18:
            if not 1 <= len(str(component.get("label") or "")) <= 45:
                fail(f"{where}.label", "Must be between 1 and 45 in length.")
            if len(str(component.get("description") or "")) > 100:
                fail(f"{where}.description", "Must be 100 or fewer in length.")
            inner = [component.get("component") or {}]
        elif kind == 1:
            inner = list(component.get("components") or [])
            if len(inner) != 1:
                fail(f"{where}.components", "A modal action row holds one text input.")
        else:
            fail(f"{where}.type", f"Component type {kind!r} is not allowed in a modal.")
            continue
        for text_input in inner:
            if text_input.get("type") != 4:
                fail(f"{where}.component.type", "Expected a text input (type 4).")
                continue
            if not 1 <= len(str(text_input.get("custom_id") or "")) <= 100:
                fail(f"{where}.component.custom_id", "Must be between 1 and 100 in length.")
            if text_input.get("style") not in (1, 2):
                fail(f"{where}.component.style", "Must be 1 (short) or 2 (paragraph).")
            maximum = text_input.get("max_length")
            if maximum is not None and not 1 <= int(maximum) <= 4000:
                fail(f"{where}.component.max_length", "Must be between 1 and 4000.")
            minimum = text_input.get("min_length")
            if minimum is not None and not 0 <= int(minimum) <= 4000:
                fail(f"{where}.component.min_length", "Must be between 0 and 4000.")
    if errors:
        raise _invalid_form(errors)


class DiscordEmulator(RecordingEmulator[Record]):
    """Discord REST v10 and gateway on 127.0.0.1; use as ``async with DiscordEmulator() as d``.

    Args:
        token: the bot token the REST API and IDENTIFY accept.
        bot_name: the bot user's username.
        heartbeat_interval: seconds announced in HELLO.
        interaction_deadline: seconds within which an interaction must be acknowledged.
        default_rate_limit: ``(requests, window seconds)`` per bucket.
        enforce_intents: drop events the identified intents do not cover.
    """

    def __init__(
        self,
        *,
        token: str = "emulator-bot-token",
        bot_name: str = "Cohort",
        heartbeat_interval: float = 41.25,
        interaction_deadline: float = 3.0,
        default_rate_limit: tuple[int, float] = (50, 1.0),
        enforce_intents: bool = True,
    ) -> None:
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self.interaction_deadline = interaction_deadline
        self.default_rate_limit = default_rate_limit
        self.enforce_intents = enforce_intents
        self._last_id = 0
        self._counter = itertools.count(1)

        self.users: dict[int, User] = {}
        self.bot_user = self.add_user(bot_name, bot=True)
        self.owner = self.add_user("owner")
        self.application_id = self.bot_user.id  # as for every modern Discord bot
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {None: []}
        self.closed_dms: set[int] = set()

        self.recorder: Recorder[Record] = Recorder()
        self.requests: list[DiscordRequest] = []
        self.gateway_connects: list[dict[str, str]] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.dropped_events: list[tuple[str, str]] = []
        self.heartbeats = 0

        self._sessions: dict[str, _Session] = {}
        self._connections: set[_Connection] = set()
        self._identified = asyncio.Event()
        self._interactions: dict[int, InjectedInteraction] = {}
        self._interactions_by_token: dict[str, InjectedInteraction] = {}
        self._forced: list[_ForcedRateLimit] = []
        self._limits: dict[str, tuple[int, float]] = {}
        self._windows: dict[str, list[float]] = {}  # bucket -> [window start, count]
        self._files: dict[int, tuple[str, bytes, str | None]] = {}
        self._modals: dict[int, dict[str, Any]] = {}  # interaction id -> modal it opened
        self.max_upload_bytes = 10 * 1024 * 1024  # a bot's upload limit (413, code 40005)
        # Privileged intents enabled in the Developer Portal (asking for others: close 4014).
        self.granted_intents = Intents.PRIVILEGED
        # Guilds where the bot lacks the applications.commands scope: command routes are 403.
        self.commands_denied: set[int] = set()
        self.server = LocalServer(self._build_app())

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> DiscordEmulator:
        await self.server.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for conn in list(self._connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"emulator shutting down")
        await self.server.stop()

    @property
    def http_url(self) -> str:
        """The REST base, for ``discord.http.Route.BASE`` (``http://127.0.0.1:<port>/api/v10``)."""
        return self.server.origin + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """The gateway, for ``DiscordWebSocket.DEFAULT_GATEWAY`` (``ws://127.0.0.1:<port>/gateway``)."""
        return f"ws://127.0.0.1:{self.server.port}/gateway"

    def patch_discord_py(self) -> contextlib.AbstractContextManager[None]:
        """Point discord.py at this emulator for the duration of a ``with`` block."""
        return discord_py_urls(self.http_url, self.gateway_url)

    # -- the world ------------------------------------------------------------------------

    def new_id(self) -> int:
        """A fresh snowflake (real format: it carries the current time)."""
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last_id = max(candidate, self._last_id + 1)
        return self._last_id

    def add_user(
        self, username: str, *, bot: bool = False, global_name: str | None = None
    ) -> User:
        """A new user known to the API (not yet a member of any guild)."""
        user = User(id=self.new_id(), username=username, global_name=global_name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str = "Test Community", *, owner: User | None = None) -> Guild:
        """A guild with an ``@everyone`` role, its owner and the bot (with a managed role).

        The bot's role has MANAGE_ROLES and sits at position 100, so roles created later with
        :meth:`add_role` are below it unless given a higher position.
        """
        owner = owner or self.owner
        guild = Guild(id=self.new_id(), name=name, owner_id=owner.id)
        guild.roles[guild.id] = Role(
            id=guild.id, name="@everyone", permissions=Permissions.DEFAULT_EVERYONE
        )
        bot_role = Role(
            id=self.new_id(),
            name=self.bot_user.username,
            permissions=Permissions.DEFAULT_EVERYONE | Permissions.MANAGE_ROLES,
            position=100,
            managed=True,
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[owner.id] = Member(owner)
        guild.members[self.bot_user.id] = Member(self.bot_user, roles=[bot_role.id])
        self.guilds[guild.id] = guild
        self.commands[guild.id] = []
        return guild

    def add_channel(
        self, guild: Guild, name: str, *, type: int = ChannelType.TEXT, topic: str | None = None
    ) -> Channel:
        """A new guild channel (``type``: :class:`ChannelType`)."""
        channel = Channel(
            id=self.new_id(),
            name=name,
            type=type,
            guild_id=guild.id,
            position=len(guild.channels),
            topic=topic,
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def add_role(
        self, guild: Guild, name: str, *, permissions: int = 0, position: int | None = None
    ) -> Role:
        """A new role (by default positioned below the bot's role)."""
        if position is None:
            position = 1 + max(
                (r.position for r in guild.roles.values() if r.position < 100), default=0
            )
        role = Role(id=self.new_id(), name=name, permissions=permissions, position=position)
        guild.roles[role.id] = role
        return role

    def add_member(
        self,
        guild: Guild,
        user: User | str,
        *,
        roles: Sequence[Role] = (),
        nick: str | None = None,
    ) -> User:
        """Make ``user`` (or a new user with that name) a member of ``guild``."""
        if isinstance(user, str):
            user = self.add_user(user)
        guild.members[user.id] = Member(user, roles=[r.id for r in roles], nick=nick)
        return user

    def deny_bot(self, channel: Channel, permissions: int) -> None:
        """A member permission overwrite on ``channel`` denying the bot ``permissions``."""
        channel.overwrites.append(
            {"id": str(self.bot_user.id), "type": 1, "allow": "0", "deny": str(permissions)})

    def _check_bot_can_send(self, channel: Channel) -> None:
        """Discord's channel permission check for the bot (guild perms, then overwrites)."""
        guild = self.guilds.get(channel.guild_id) if channel.guild_id else None
        if guild is None:
            return
        allowed = guild.permissions_of(self.bot_user.id)
        if allowed & Permissions.ADMINISTRATOR:
            return
        for overwrite in channel.overwrites:
            if overwrite["id"] == str(self.bot_user.id):
                allowed = (allowed & ~int(overwrite["deny"])) | int(overwrite["allow"])
        if not allowed & Permissions.VIEW_CHANNEL:
            raise _ApiError(403, 50001, "Missing Access")
        if not allowed & Permissions.SEND_MESSAGES:
            raise _ApiError(403, 50013, "Missing Permissions")

    def close_dms(self, user: User | int) -> None:
        """Sending a DM to this user answers 403, code 50007."""
        self.closed_dms.add(user if isinstance(user, int) else user.id)

    def open_dms(self, user: User | int) -> None:
        """Undo :meth:`close_dms`."""
        self.closed_dms.discard(user if isinstance(user, int) else user.id)

    def dm_channel(self, user: User | int) -> Channel:
        """The DM channel with ``user``, created if needed."""
        user_id = user if isinstance(user, int) else user.id
        for channel in self.channels.values():
            if channel.recipient is not None and channel.recipient.id == user_id:
                return channel
        recipient = self.users[user_id]
        channel = Channel(
            id=self.new_id(), name=recipient.username, type=ChannelType.DM, recipient=recipient
        )
        self.channels[channel.id] = channel
        return channel

    # -- rate limits ----------------------------------------------------------------------

    def set_rate_limit(self, action: str, limit: int, window: float) -> None:
        """Each bucket of ``action`` allows ``limit`` requests per ``window`` seconds."""
        self._limits[action] = (limit, window)

    def force_rate_limit(
        self,
        action: str = "send_message",
        *,
        times: int = 1,
        retry_after: float = 0.3,
        is_global: bool = False,
        major: int | None = None,
    ) -> None:
        """Answer the next ``times`` requests of ``action`` with 429.

        Args:
            action: a route name (see :meth:`routes`), e.g. ``"send_message"``.
            times: how many requests to refuse.
            retry_after: the ``retry_after`` the 429 carries, in seconds.
            is_global: a global rate limit (``X-RateLimit-Global``).
            major: only requests with this channel/guild id.
        """
        self._forced.append(_ForcedRateLimit(action, times, retry_after, is_global, major))

    # -- records --------------------------------------------------------------------------

    @property
    def sent_messages(self) -> list[SentMessage]:
        """Messages created with ``POST /channels/{id}/messages``."""
        return self.recorder.of_type(SentMessage)

    def dms_to(self, user: User | int) -> list[SentMessage]:
        """DMs delivered to ``user``."""
        user_id = user if isinstance(user, int) else user.id
        return [m for m in self.sent_messages if m.recipient_id == user_id]

    def callbacks_for(self, interaction: InjectedInteraction) -> list[InteractionCallback]:
        """The callbacks answering ``interaction``."""
        return [
            r
            for r in self.recorder.of_type(InteractionCallback)
            if r.interaction_id == interaction.id
        ]

    def followups_for(self, interaction: InjectedInteraction) -> list[Followup]:
        """Follow-ups and original-message edits on ``interaction``'s token."""
        return [r for r in self.recorder.of_type(Followup) if r.interaction_id == interaction.id]

    @property
    def role_changes(self) -> list[RoleChange]:
        """Role grants and removals."""
        return self.recorder.of_type(RoleChange)

    @property
    def global_commands(self) -> list[dict[str, Any]]:
        """The registered global application commands."""
        return self.commands[None]

    def guild_commands(self, guild: Guild | int) -> list[dict[str, Any]]:
        """The application commands registered in ``guild``."""
        return self.commands.get(guild if isinstance(guild, int) else guild.id, [])

    def command(self, name: str, guild: Guild | None = None) -> dict[str, Any]:
        """A registered command by name (guild scope first when ``guild`` is given)."""
        scopes: list[int | None] = [guild.id, None] if guild else [None]
        for scope in scopes:
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name:
                    return cmd
        registered = {s: [c["name"] for c in cmds] for s, cmds in self.commands.items()}
        raise LookupError(f"command {name!r} is not registered; registered: {registered}")

    async def wait_until_identified(self, timeout: float = DEFAULT_TIMEOUT) -> None:  # noqa: ASYNC109
        """Wait until a gateway session has identified (READY sent)."""
        await asyncio.wait_for(self._identified.wait(), timeout)

    # -- gateway injection ----------------------------------------------------------------

    async def dispatch(self, event: str, data: Mapping[str, Any], *, intent: int | None) -> int:
        """Send a DISPATCH (op 0) to every live session whose intents include ``intent``.

        Returns:
            The number of sessions the event was sent or buffered to (for resuming).
        """
        sessions = [s for s in self._sessions.values() if not s.invalid]
        if not sessions:
            raise RuntimeError(f"cannot dispatch {event}: no gateway session has identified")
        delivered = 0
        for session in sessions:
            if self.enforce_intents and intent is not None and not session.intents & intent:
                self.dropped_events.append((event, f"intent {intent} not requested"))
                continue
            payload = dict(data)
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
                payload = self._apply_content_intent(session, payload)
            await self._send_dispatch(session, event, payload)
            delivered += 1
        return delivered

    async def send_message_create(
        self,
        guild: Guild,
        channel: Channel,
        author: User,
        content: str,
        *,
        mentions: Sequence[User] = (),
    ) -> dict[str, Any]:
        """A member posts ``content`` in a guild channel; returns the message payload."""
        member = guild.members.get(author.id)
        message = self._store_message(
            channel,
            author,
            {"content": content},
            member=member,
            mentions=[
                u.payload()
                | (
                    {"member": guild.members[u.id].payload(with_user=False)}
                    if u.id in guild.members
                    else {}
                )
                for u in mentions
            ],
        )
        await self.dispatch("MESSAGE_CREATE", message, intent=Intents.GUILD_MESSAGES)
        return message

    async def send_dm_message_create(self, author: User, content: str) -> dict[str, Any]:
        """A user DMs the bot; returns the message payload."""
        channel = self.dm_channel(author)
        message = self._store_message(channel, author, {"content": content})
        await self.dispatch("MESSAGE_CREATE", message, intent=Intents.DIRECT_MESSAGES)
        return message

    async def send_interaction_create(
        self,
        guild: Guild | None,
        channel: Channel,
        user: User,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> InjectedInteraction:
        """A user runs a registered slash command; typed options follow its registration.

        Args:
            guild: the guild (None for a DM with the bot; ``channel`` is then the DM channel).
            channel: where the command is run.
            user: who runs it (must be a member of ``guild``).
            command: the command path, e.g. ``"ping"`` or ``"event create"``.
            options: option values by name; users/members, channels and roles may be given as
                objects (or ids) and are added to ``resolved`` as Discord does.
            permissions: overrides the member's computed permissions.
            locale: the user's locale.

        Raises:
            CommandHidden: in a guild, when the member lacks the command's
                ``default_member_permissions`` (Discord's client neither lists nor sends it).
        """
        path = command.split()
        cmd = self.command(path[0], guild)
        if guild is not None:
            self._check_default_permissions(cmd, guild, user, permissions)
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": cmd.get("type", 1)}
        if "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        container = data
        schema: list[dict[str, Any]] = list(cmd.get("options") or [])
        for token in path[1:]:
            sub = next((o for o in schema if o["name"] == token and o.get("type") in (1, 2)), None)
            if sub is None:
                raise LookupError(f"{cmd['name']} has no subcommand {token!r}")
            node: dict[str, Any] = {"type": sub["type"], "name": token, "options": []}
            container.setdefault("options", []).append(node)
            container = node
            schema = list(sub.get("options") or [])
        resolved: dict[str, dict[str, Any]] = {}
        values = self._option_values(guild, schema, dict(options or {}), resolved)
        if values or container is data:
            container["options"] = values
        if resolved:
            data["resolved"] = resolved
        return await self._inject_interaction(
            2, guild, channel, user, data, permissions=permissions, locale=locale
        )

    async def send_component_interaction(
        self,
        guild: Guild | None,
        channel: Channel,
        user: User,
        message_id: int,
        custom_id: str,
        *,
        component_type: int = 2,
        values: Sequence[str] | None = None,
    ) -> InjectedInteraction:
        """A user clicks a button (or picks from a select) on a message the bot sent."""
        if message_id not in self.messages:
            raise LookupError(f"unknown message {message_id}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        return await self._inject_interaction(
            3, guild, channel, user, data, message=self.messages[message_id]
        )

    def modal_for(self, interaction: InjectedInteraction) -> dict[str, Any]:
        """The modal the bot answered ``interaction`` with (callback type 9)."""
        if interaction.id not in self._modals:
            raise LookupError(f"interaction {interaction.id} was not answered with a modal")
        return self._modals[interaction.id]

    async def send_modal_submit(
        self, interaction: InjectedInteraction, values: Mapping[str, str]
    ) -> InjectedInteraction:
        """The user fills in and submits the modal the bot opened for ``interaction``.

        The submission echoes the modal's layout (labels or action rows) with each text
        input's ``value``; like the Discord client, a missing required input or one over its
        ``max_length`` cannot be submitted (ValueError). Calling it twice models a repeated
        submission of the same modal.
        """
        modal = self.modal_for(interaction)
        inputs = {c["custom_id"]: c for c in _text_inputs(modal["components"])}
        unknown = set(values) - set(inputs)
        if unknown:
            raise ValueError(f"the modal has no inputs {sorted(unknown)}")
        for custom_id, spec in inputs.items():
            value = values.get(custom_id, "")
            if spec.get("required", True) and not value:
                raise ValueError(f"input {custom_id!r} is required")
            if len(value) > int(spec.get("max_length") or 4000):
                raise ValueError(f"input {custom_id!r} is longer than its max_length")

        def submitted(component: Mapping[str, Any]) -> dict[str, Any]:
            out: dict[str, Any] = {"type": component["type"], "id": component.get("id", 1)}
            if component["type"] == 4:
                out["custom_id"] = component["custom_id"]
                out["value"] = values.get(component["custom_id"], "")
            elif component["type"] == 18:
                out["component"] = submitted(component["component"])
            else:
                out["components"] = [submitted(c) for c in component.get("components", [])]
            return out

        data = {"custom_id": modal["custom_id"],
                "components": [submitted(c) for c in modal["components"]]}
        guild = self.guilds.get(interaction.guild_id or 0)
        channel = self.channels[interaction.channel_id]
        user = self.users[interaction.user_id]
        return await self._inject_interaction(5, guild, channel, user, data)

    async def send_reaction_add(
        self, guild: Guild | None, channel: Channel, message_id: int, user: User, emoji: str = "👍"
    ) -> None:
        """``user`` reacts to a message with a unicode emoji."""
        data: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(channel.id),
            "message_id": str(message_id),
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "burst_colors": [],
            "type": 0,
        }
        author = self.messages.get(message_id, {}).get("author")
        if author:
            data["message_author_id"] = author["id"]
        intent = Intents.DIRECT_MESSAGE_REACTIONS
        if guild is not None:
            data["guild_id"] = str(guild.id)
            data["member"] = guild.members[user.id].payload()
            intent = Intents.GUILD_MESSAGE_REACTIONS
        await self.dispatch("MESSAGE_REACTION_ADD", data, intent=intent)

    async def send_reaction_remove(
        self, guild: Guild | None, channel: Channel, message_id: int, user: User, emoji: str = "👍"
    ) -> None:
        """``user`` removes a reaction."""
        data: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(channel.id),
            "message_id": str(message_id),
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
        intent = Intents.DIRECT_MESSAGE_REACTIONS
        if guild is not None:
            data["guild_id"] = str(guild.id)
            intent = Intents.GUILD_MESSAGE_REACTIONS
        await self.dispatch("MESSAGE_REACTION_REMOVE", data, intent=intent)

    async def send_voice_state_update(
        self, guild: Guild, user: User, channel: Channel | None
    ) -> None:
        """``user`` joins ``channel`` (a voice channel), or leaves voice when it is None."""
        if channel is None:
            guild.voice_states.pop(user.id, None)
        else:
            guild.voice_states[user.id] = channel.id
        data = guild._voice_state(user.id, channel.id if channel else None)
        await self.dispatch("VOICE_STATE_UPDATE", data, intent=Intents.GUILD_VOICE_STATES)

    async def send_member_join(self, guild: Guild, user: User) -> None:
        """``user`` joins ``guild`` (GUILD_MEMBER_ADD, needs the GUILD_MEMBERS intent)."""
        member = guild.members.setdefault(user.id, Member(user))
        data = member.payload() | {"guild_id": str(guild.id)}
        await self.dispatch("GUILD_MEMBER_ADD", data, intent=Intents.GUILD_MEMBERS)

    async def send_member_remove(self, guild: Guild, user: User) -> None:
        """``user`` leaves ``guild``."""
        guild.members.pop(user.id, None)
        data = {"guild_id": str(guild.id), "user": user.payload()}
        await self.dispatch("GUILD_MEMBER_REMOVE", data, intent=Intents.GUILD_MEMBERS)

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway socket with ``code`` (4000: the client should RESUME)."""
        for conn in list(self._connections):
            conn.dropped = True
            await conn.ws.close(code=code, message=b"emulator dropped the connection")

    async def send_reconnect(self) -> None:
        """Ask every connected client to reconnect and resume (op 7)."""
        for conn in list(self._connections):
            await conn.send({"op": 7, "d": None, "s": None, "t": None})

    async def invalidate_sessions(self) -> None:
        """Invalidate every session (op 9, not resumable): clients must IDENTIFY again."""
        for session in self._sessions.values():
            session.invalid = True
            if session.conn is not None:
                await session.conn.send({"op": 9, "d": False, "s": None, "t": None})

    # -- helpers for injected payloads ----------------------------------------------------

    @staticmethod
    def _check_default_permissions(
        cmd: Mapping[str, Any], guild: Guild, user: User, permissions: int | None
    ) -> None:
        """Discord's rule: a member needs every bit of ``default_member_permissions``.

        Administrator (and the owner) pass everything; ``"0"`` leaves only them. Per-command
        overrides exist but only a server's admins can set them by hand, never a bot.
        """
        required = cmd.get("default_member_permissions")
        if required is None:
            return
        held = guild.permissions_of(user.id) if permissions is None else permissions
        if held & Permissions.ADMINISTRATOR or user.id == guild.owner_id:
            return
        needed = int(required)
        if needed == 0 or held & needed != needed:
            raise CommandHidden(
                f"/{cmd['name']} needs permissions {required}; {user.username} has {held}, "
                "so Discord does not offer the command to them"
            )

    def _option_values(
        self,
        guild: Guild | None,
        schema: list[dict[str, Any]],
        given: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
    ) -> list[dict[str, Any]]:
        values: list[dict[str, Any]] = []
        by_name = {o["name"]: o for o in schema}
        unknown = set(given) - set(by_name)
        if unknown:
            raise ValueError(
                f"options {sorted(unknown)} are not declared; declared: {list(by_name)}"
            )
        for opt in schema:
            name = opt["name"]
            if name not in given:
                if opt.get("required"):
                    raise ValueError(f"required option {name!r} is missing")
                continue
            raw = given[name]
            kind = int(opt["type"])
            value: Any
            if kind == 3:
                value = str(raw)
            elif kind == 4:
                value = int(raw)
            elif kind == 5:
                value = bool(raw)
            elif kind == 10:
                value = float(raw)
            elif (
                kind in (6, 9)
                and isinstance(raw, User | int)
                and (kind == 6 or (raw if isinstance(raw, int) else raw.id) in self.users)
            ):
                user = self.users[raw if isinstance(raw, int) else raw.id]
                value = str(user.id)
                resolved.setdefault("users", {})[value] = user.payload()
                if guild is not None and user.id in guild.members:
                    member = guild.members[user.id].payload(with_user=False)
                    member["permissions"] = str(guild.permissions_of(user.id))
                    resolved.setdefault("members", {})[value] = member
            elif kind in (8, 9):
                assert guild is not None, "role options need a guild"
                role = raw if isinstance(raw, Role) else guild.roles[int(raw)]
                value = str(role.id)
                resolved.setdefault("roles", {})[value] = role.payload()
            elif kind == 7:
                channel = raw if isinstance(raw, Channel) else self.channels[int(raw)]
                value = str(channel.id)
                resolved.setdefault("channels", {})[value] = {
                    "id": value,
                    "name": channel.name,
                    "type": channel.type,
                    "permissions": str(Permissions.ALL),
                    "parent_id": None,
                }
            elif kind == 11:
                upload = (raw if isinstance(raw, UploadedFile)
                          else UploadedFile(name, raw[0], raw[1], None))
                described = self._attachments([upload])[0]
                value = described["id"]
                resolved.setdefault("attachments", {})[value] = described | {
                    "ephemeral": True}
            else:
                raise ValueError(f"option type {kind} is not supported by the emulator")
            values.append({"name": name, "type": kind, "value": value})
        return values

    async def _inject_interaction(
        self,
        kind: int,
        guild: Guild | None,
        channel: Channel,
        user: User,
        data: dict[str, Any],
        *,
        permissions: int | None = None,
        locale: str = "en-US",
        message: dict[str, Any] | None = None,
    ) -> InjectedInteraction:
        interaction_id = self.new_id()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "channel_id": str(channel.id),
            "channel": channel.payload(),
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild is not None:
            member = guild.members.get(user.id)
            if member is None:
                raise LookupError(f"{user.username} is not a member of {guild.name}")
            member_payload = member.payload()
            member_payload["permissions"] = str(
                guild.permissions_of(user.id) if permissions is None else permissions
            )
            payload |= {
                "guild_id": str(guild.id),
                "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
                "guild_locale": "en-US",
                "member": member_payload,
                "app_permissions": str(guild.permissions_of(self.bot_user.id)),
                "authorizing_integration_owners": {"0": str(guild.id)},
                "context": 0,
            }
        else:
            payload |= {
                "user": user.payload(),
                "app_permissions": str(Permissions.DEFAULT_EVERYONE),
                "authorizing_integration_owners": {"0": str(user.id)},
                "context": 1,
            }
        if message is not None:
            payload["message"] = message
        interaction = InjectedInteraction(
            id=interaction_id,
            token=token,
            type=kind,
            payload=payload,
            guild_id=guild.id if guild else None,
            channel_id=channel.id,
            user_id=user.id,
            created=time.monotonic(),
        )
        self._interactions[interaction_id] = interaction
        self._interactions_by_token[token] = interaction
        await self.dispatch("INTERACTION_CREATE", payload, intent=None)
        return interaction

    def _store_message(
        self,
        channel: Channel,
        author: User,
        body: Mapping[str, Any],
        *,
        member: Member | None = None,
        mentions: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        webhook_id: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        message_id = self.new_id()
        message: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel.id),
            "author": author.payload(),
            "content": body.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": mentions or [],
            "mention_roles": [],
            "attachments": attachments or [],
            "embeds": list(body.get("embeds") or []),
            "components": list(body.get("components") or []),
            "pinned": False,
            "type": 0,
            "flags": int(body.get("flags") or 0),
            "nonce": body.get("nonce"),
        }
        if channel.guild_id is not None:
            message["guild_id"] = str(channel.guild_id)
            if member is not None:
                message["member"] = member.payload(with_user=False)
        if webhook_id is not None:
            message["webhook_id"] = str(webhook_id)
        if body.get("message_reference"):
            message["message_reference"] = body["message_reference"]
            message["type"] = 19
        if extra:
            message |= extra
        self.messages[message_id] = message
        return message

    def _apply_content_intent(self, session: _Session, message: dict[str, Any]) -> dict[str, Any]:
        if session.intents & Intents.MESSAGE_CONTENT or "guild_id" not in message:
            return message
        bot_id = str(self.bot_user.id)
        if message.get("author", {}).get("id") == bot_id:
            return message
        if any(m.get("id") == bot_id for m in message.get("mentions", [])):
            return message
        return message | {"content": "", "embeds": [], "attachments": [], "components": []}

    # -- gateway --------------------------------------------------------------------------

    async def _send_dispatch(self, session: _Session, event: str, data: Mapping[str, Any]) -> None:
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.backlog.append(payload)
        if session.conn is not None:
            await session.conn.send(payload)

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.gateway_connects.append(dict(request.query))
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"only encoding=json is emulated")
            return ws
        if request.query.get("v", "10") not in ("9", "10"):
            await ws.close(code=4012, message=b"Invalid API version")
            return ws
        conn = _Connection(ws)
        self._connections.add(conn)
        try:
            await conn.send(
                {
                    "op": 10,
                    "d": {"heartbeat_interval": int(self.heartbeat_interval * 1000)},
                    "s": None,
                    "t": None,
                }
            )
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    await ws.close(code=4002, message=b"expected text frames")
                    break
                await self._on_gateway_message(conn, json.loads(msg.data))
        finally:
            self._connections.discard(conn)
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                if not conn.dropped and ws.close_code in (1000, 1001):
                    # A client closing with 1000/1001 ends its session (Discord does too).
                    session.invalid = True
        return ws

    async def _on_gateway_message(self, conn: _Connection, message: Mapping[str, Any]) -> None:
        op = message.get("op")
        data = message.get("d")
        if op == 1:
            self.heartbeats += 1
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(conn, data or {})
        elif op == 6:
            await self._resume(conn, data or {})
        elif op == 8:
            await self._request_members(conn, data or {})
        elif op in (3, 4):
            return  # presence and voice state updates: accepted, not modelled
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode")

    async def _identify(self, conn: _Connection, data: Mapping[str, Any]) -> None:
        self.identifies.append(dict(data))
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated")
            return
        if str(data.get("token", "")).removeprefix("Bot ") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed")
            return
        if "intents" not in data:
            await conn.ws.close(code=4013, message=b"Invalid intent(s)")
            return
        asked = int(data["intents"]) & Intents.PRIVILEGED
        if asked & ~self.granted_intents:
            # Privileged intents not enabled for the application in the Developer Portal.
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session = _Session(
            session_id=secrets.token_hex(16), intents=int(data["intents"]), conn=conn
        )
        conn.session = session
        self._sessions[session.session_id] = session
        ready: dict[str, Any] = {
            "v": 10,
            "user": self.bot_user.payload() | {"verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["discord-emulator"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await self._send_dispatch(session, "READY", ready)
        for guild in self.guilds.values():
            payload = guild.payload(full=True)
            if self.enforce_intents and not session.intents & Intents.GUILD_MEMBERS:
                # Without GUILD_MEMBERS, Discord only sends the bot and members in voice.
                keep = {str(self.bot_user.id)} | {str(u) for u in guild.voice_states}
                payload["members"] = [m for m in payload["members"] if m["user"]["id"] in keep]
            await self._send_dispatch(session, "GUILD_CREATE", payload)
        self._identified.set()

    async def _resume(self, conn: _Connection, data: Mapping[str, Any]) -> None:
        self.resumes.append(dict(data))
        session = self._sessions.get(str(data.get("session_id")))
        if (
            session is None
            or session.invalid
            or str(data.get("token", "")).removeprefix("Bot ") != self.token
        ):
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        session.conn = conn
        conn.session = session
        seq = int(data.get("seq") or 0)
        for payload in session.backlog:
            if payload["s"] > seq:
                await conn.send(payload)
        await self._send_dispatch(session, "RESUMED", {"_trace": ["discord-emulator"]})

    async def _request_members(self, conn: _Connection, data: Mapping[str, Any]) -> None:
        if conn.session is None:
            await conn.ws.close(code=4003, message=b"Not authenticated")
            return
        guild = self.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        members = list(guild.members.values())
        if data.get("user_ids"):
            wanted = {int(u) for u in data["user_ids"]}
            members = [m for m in members if m.user.id in wanted]
        elif data.get("query"):
            members = [m for m in members if m.user.username.startswith(data["query"])]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self._send_dispatch(conn.session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- REST plumbing --------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        for method, path, action, handler in self.routes():
            app.router.add_route(method, API_PREFIX + path, handler, name=action)
        app.router.add_get("/gateway", self._gateway, name="gateway")
        app.router.add_get("/", self._gateway, name="gateway_root")
        app.router.add_get("/attachments/{file_id}/{filename}", self._download, name="attachment")
        return app

    def routes(
        self,
    ) -> list[tuple[str, str, str, Callable[[web.Request], Any]]]:
        """The emulated REST routes: ``(method, path, action name, handler)``."""
        return [
            ("GET", "/gateway", "get_gateway", self._get_gateway),
            ("GET", "/gateway/bot", "get_gateway_bot", self._get_gateway_bot),
            ("GET", "/users/@me", "get_current_user", self._get_me),
            ("GET", "/users/{user_id}", "get_user", self._get_user),
            ("GET", "/oauth2/applications/@me", "get_application", self._get_application),
            ("POST", "/users/@me/channels", "create_dm", self._create_dm),
            ("GET", "/channels/{channel_id}", "get_channel", self._get_channel),
            ("POST", "/channels/{channel_id}/messages", "send_message", self._send_message),
            (
                "GET",
                "/channels/{channel_id}/messages/{message_id}",
                "get_message",
                self._get_message,
            ),
            (
                "PATCH",
                "/channels/{channel_id}/messages/{message_id}",
                "edit_message",
                self._edit_message,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}",
                "delete_message",
                self._delete_message,
            ),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                "add_reaction",
                self._add_reaction,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                "remove_reaction",
                self._remove_reaction,
            ),
            ("GET", "/guilds/{guild_id}", "get_guild", self._get_guild),
            ("GET", "/guilds/{guild_id}/channels", "get_guild_channels", self._get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", "get_roles", self._get_roles),
            ("POST", "/guilds/{guild_id}/roles", "create_role", self._create_role),
            ("GET", "/guilds/{guild_id}/members", "list_members", self._list_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", "get_member", self._get_member),
            (
                "PUT",
                "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
                "add_role",
                self._add_role,
            ),
            (
                "DELETE",
                "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
                "remove_role",
                self._remove_role,
            ),
            (
                "GET",
                "/applications/{application_id}/commands",
                "get_global_commands",
                self._get_commands,
            ),
            (
                "PUT",
                "/applications/{application_id}/commands",
                "bulk_overwrite_global_commands",
                self._put_commands,
            ),
            (
                "POST",
                "/applications/{application_id}/commands",
                "create_global_command",
                self._post_command,
            ),
            (
                "DELETE",
                "/applications/{application_id}/commands/{command_id}",
                "delete_global_command",
                self._delete_command,
            ),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                "get_guild_commands",
                self._get_commands,
            ),
            (
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                "bulk_overwrite_guild_commands",
                self._put_commands,
            ),
            (
                "POST",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                "create_guild_command",
                self._post_command,
            ),
            (
                "DELETE",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                "delete_guild_command",
                self._delete_command,
            ),
            (
                "POST",
                "/interactions/{interaction_id}/{token}/callback",
                "interaction_callback",
                self._interaction_callback,
            ),
            ("POST", "/webhooks/{webhook_id}/{token}", "webhook_execute", self._webhook_execute),
            (
                "GET",
                "/webhooks/{webhook_id}/{token}/messages/{message_id}",
                "webhook_message_get",
                self._webhook_message_get,
            ),
            (
                "PATCH",
                "/webhooks/{webhook_id}/{token}/messages/{message_id}",
                "webhook_message_edit",
                self._webhook_message_edit,
            ),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{token}/messages/{message_id}",
                "webhook_message_delete",
                self._webhook_message_delete,
            ),
        ]

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            response: web.StreamResponse = await handler(request)
            return response
        action = request.match_info.route.name or "unknown"
        headers: dict[str, str] = {}
        try:
            if action == "unknown":
                raise _ApiError(404, 0, "404: Not Found")
            authorized = request.headers.get("Authorization") == f"Bot {self.token}"
            if action not in _NO_AUTH_ACTIONS and not authorized:
                raise _ApiError(401, 0, "401: Unauthorized")
            limited = self._check_rate_limit(request, action, headers)
            response = limited if limited is not None else await handler(request)
        except _ApiError as exc:
            response = exc.response()
        except web.HTTPException:
            response = _ApiError(405, 0, "405: Method Not Allowed").response()
        if response.status != 429:
            response.headers.update(headers)
        self.requests.append(
            DiscordRequest(
                action=action,
                method=request.method,
                path=request.path.removeprefix(API_PREFIX),
                query=dict(request.query),
                body=request.get(_BODY),
                status=response.status,
                at=asyncio.get_running_loop().time(),
            )
        )
        return response

    def _bucket(self, request: web.Request, action: str) -> tuple[str, int | None]:
        major: int | None = None
        for name in _MAJOR_PARAMS:
            if name in request.match_info:
                with contextlib.suppress(ValueError):
                    major = int(request.match_info[name])
                break
        return f"{action}:{major}", major

    def _check_rate_limit(
        self, request: web.Request, action: str, headers: dict[str, str]
    ) -> web.Response | None:
        bucket, major = self._bucket(request, action)
        bucket_hash = hashlib.sha1(action.encode(), usedforsecurity=False).hexdigest()[:16]
        for forced in self._forced:
            if (
                forced.action == action
                and forced.remaining > 0
                and (forced.major is None or forced.major == major)
            ):
                forced.remaining -= 1
                return self._too_many(
                    request, action, bucket_hash, forced.retry_after, forced.is_global, True
                )
        limit, window = self._limits.get(action, self.default_rate_limit)
        now = asyncio.get_running_loop().time()  # windows run on the loop's (virtual) time
        state = self._windows.setdefault(bucket, [now, 0])
        if now - state[0] >= window:
            state[0], state[1] = now, 0
        reset_after = max(window - (now - state[0]), 0.001)
        if state[1] >= limit:
            return self._too_many(request, action, bucket_hash, reset_after, False, False)
        state[1] += 1
        headers.update(
            {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": str(limit - int(state[1])),
                "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": bucket_hash,
            }
        )
        return None

    def _too_many(
        self,
        request: web.Request,
        action: str,
        bucket_hash: str,
        retry_after: float,
        is_global: bool,
        forced: bool,
    ) -> web.Response:
        self.recorder.record(
            RateLimitHit(
                action=action,
                method=request.method,
                path=request.path.removeprefix(API_PREFIX),
                retry_after=retry_after,
                is_global=is_global,
                forced=forced,
            )
        )
        headers = {
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Limit": "1",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
            "X-RateLimit-Scope": "global" if is_global else "user",
            # discord.py treats a 429 without Via as a Cloudflare ban and does not retry.
            "Via": "1.1 google",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
            "code": 0,
        }
        return json_response(body, status=429, headers=headers)

    async def _body(self, request: web.Request) -> tuple[dict[str, Any], list[UploadedFile]]:
        if _PARSED in request:
            parsed: tuple[dict[str, Any], list[UploadedFile]] = request[_PARSED]
            return parsed
        payload: dict[str, Any] = {}
        files: list[UploadedFile] = []
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):  # nested multipart: unsupported
                    continue
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                elif part.filename is not None:
                    files.append(
                        UploadedFile(
                            field=part.name or "",
                            filename=part.filename,
                            content=bytes(await part.read()),
                            content_type=part.headers.get("Content-Type"),
                        )
                    )
                elif part.name:
                    payload[part.name] = await part.text()
        elif request.can_read_body:
            text = await request.text()
            if text:
                try:
                    payload = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise _ApiError(400, 50109, "The request body contains invalid JSON.") from exc
        request[_PARSED] = (payload, files)
        request[_BODY] = (
            payload if not files else payload | {"_files": [f.filename for f in files]}
        )
        return payload, files

    def _attachments(self, files: list[UploadedFile]) -> list[dict[str, Any]]:
        out = []
        for f in files:
            file_id = self.new_id()
            self._files[file_id] = (f.filename, f.content, f.content_type)
            url = f"{self.server.origin}/attachments/{file_id}/{f.filename}"
            out.append(
                {
                    "id": str(file_id),
                    "filename": f.filename,
                    "size": len(f.content),
                    "url": url,
                    "proxy_url": url,
                    "content_type": f.content_type,
                }
            )
        return out

    async def _download(self, request: web.Request) -> web.Response:
        stored = self._files.get(int(request.match_info["file_id"]))
        if stored is None:
            raise web.HTTPNotFound
        _, content, content_type = stored
        return web.Response(body=content, content_type=content_type or "application/octet-stream")

    def _validate_message_body(self, body: Mapping[str, Any], files: list[UploadedFile]) -> None:
        if sum(len(f.content) for f in files) > self.max_upload_bytes:
            raise _ApiError(413, 40005, "Request entity too large")
        content = body.get("content") or ""
        if len(content) > 2000:
            raise _invalid_form(
                {
                    "content": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_MAX_LENGTH",
                                "message": "Must be 2000 or fewer in length.",
                            }
                        ]
                    }
                }
            )
        if len(body.get("embeds") or []) > 10:
            raise _invalid_form({"embeds": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH"}]}})
        if not (
            content
            or body.get("embeds")
            or body.get("components")
            or files
            or body.get("sticker_ids")
            or body.get("poll")
        ):
            raise _ApiError(400, 50006, "Cannot send an empty message")

    def _channel(self, request: web.Request) -> Channel:
        channel = self.channels.get(int(request.match_info["channel_id"]))
        if channel is None:
            raise _ApiError(404, 10003, "Unknown Channel")
        return channel

    def _guild(self, request: web.Request) -> Guild:
        guild = self.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            raise _ApiError(404, 10004, "Unknown Guild")
        return guild

    def _message(self, request: web.Request, channel: Channel) -> dict[str, Any]:
        message = self.messages.get(int(request.match_info["message_id"]))
        if message is None or message["channel_id"] != str(channel.id):
            raise _ApiError(404, 10008, "Unknown Message")
        return message

    # -- REST handlers --------------------------------------------------------------------

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    async def _get_me(self, request: web.Request) -> web.Response:
        return json_response(
            self.bot_user.payload() | {"verified": True, "mfa_enabled": False, "flags": 0}
        )

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self.users.get(int(request.match_info["user_id"]))
        if user is None:
            raise _ApiError(404, 10013, "Unknown User")
        return json_response(user.payload())

    async def _get_application(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(self.application_id),
                "name": self.bot_user.username,
                "icon": None,
                "description": "Discord emulator application",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.owner.payload(),
                "verify_key": "0" * 64,
                "team": None,
                "flags": 0,
                "bot": self.bot_user.payload(),
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "tags": [],
            }
        )

    async def _create_dm(self, request: web.Request) -> web.Response:
        body, _ = await self._body(request)
        try:
            user_id = int(body["recipient_id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise _invalid_form(
                {"recipient_id": {"_errors": [{"code": "BASE_TYPE_REQUIRED"}]}}
            ) from exc
        if user_id not in self.users or user_id == self.bot_user.id:
            raise _ApiError(400, 50033, "Invalid Recipient(s)")
        channel = self.dm_channel(user_id)
        self.recorder.record(DmChannelOpened(user_id=user_id, channel_id=channel.id))
        return json_response(channel.payload())

    async def _get_channel(self, request: web.Request) -> web.Response:
        return json_response(self._channel(request).payload())

    async def _send_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        body, files = await self._body(request)
        recipient_id = channel.recipient.id if channel.recipient else None
        if recipient_id is not None and recipient_id in self.closed_dms:
            raise _ApiError(403, 50007, "Cannot send messages to this user")
        if channel.type == ChannelType.CATEGORY:
            raise _ApiError(400, 50008, "Cannot send messages in a non-text channel")
        self._check_bot_can_send(channel)
        self._validate_message_body(body, files)
        guild = self.guilds.get(channel.guild_id) if channel.guild_id else None
        member = guild.members.get(self.bot_user.id) if guild else None
        message = self._store_message(
            channel, self.bot_user, body, member=member, attachments=self._attachments(files)
        )
        self.recorder.record(
            SentMessage(
                channel_id=channel.id,
                message_id=int(message["id"]),
                payload=body,
                guild_id=channel.guild_id,
                recipient_id=recipient_id,
                files=tuple(files),
            )
        )
        await self._echo("MESSAGE_CREATE", message, channel)
        return json_response(message)

    async def _echo(self, event: str, message: dict[str, Any], channel: Channel) -> None:
        if not any(not s.invalid for s in self._sessions.values()):
            return
        intent = Intents.GUILD_MESSAGES if channel.guild_id else Intents.DIRECT_MESSAGES
        await self.dispatch(event, message, intent=intent)

    async def _get_message(self, request: web.Request) -> web.Response:
        return json_response(self._message(request, self._channel(request)))

    async def _edit_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        if message["author"]["id"] != str(self.bot_user.id):
            raise _ApiError(403, 50005, "Cannot edit a message authored by another user")
        body, files = await self._body(request)
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                message[key] = (
                    body[key] if body[key] is not None else ([] if key != "content" else "")
                )
        if files:
            message["attachments"] = self._attachments(files)
        message["edited_timestamp"] = _now_iso()
        self.recorder.record(
            EditedMessage(channel_id=channel.id, message_id=int(message["id"]), payload=body)
        )
        await self._echo("MESSAGE_UPDATE", message, channel)
        return json_response(message)

    async def _delete_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        del self.messages[int(message["id"])]
        self.recorder.record(DeletedMessage(channel_id=channel.id, message_id=int(message["id"])))
        data: dict[str, Any] = {"id": message["id"], "channel_id": str(channel.id)}
        if channel.guild_id:
            data["guild_id"] = str(channel.guild_id)
        if any(not s.invalid for s in self._sessions.values()):
            intent = Intents.GUILD_MESSAGES if channel.guild_id else Intents.DIRECT_MESSAGES
            await self.dispatch("MESSAGE_DELETE", data, intent=intent)
        return web.Response(status=204)

    async def _add_reaction(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        emoji = request.match_info["emoji"]
        self.recorder.record(ReactionByBot(channel.id, int(message["id"]), emoji, True))
        return web.Response(status=204)

    async def _remove_reaction(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        emoji = request.match_info["emoji"]
        self.recorder.record(ReactionByBot(channel.id, int(message["id"]), emoji, False))
        return web.Response(status=204)

    async def _get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        data = guild.payload(full=False)
        if request.query.get("with_counts") in ("true", "1"):
            data |= {
                "approximate_member_count": len(guild.members),
                "approximate_presence_count": 0,
            }
        return json_response(data)

    async def _get_guild_channels(self, request: web.Request) -> web.Response:
        return json_response([c.payload() for c in self._guild(request).channels.values()])

    async def _get_roles(self, request: web.Request) -> web.Response:
        return json_response([r.payload() for r in self._guild(request).roles.values()])

    async def _create_role(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        self._require_manage_roles(guild)
        body, _ = await self._body(request)
        role = self.add_role(
            guild,
            str(body.get("name") or "new role"),
            permissions=int(body.get("permissions") or 0),
        )
        role.color = int(body.get("color") or 0)
        role.hoist = bool(body.get("hoist"))
        role.mentionable = bool(body.get("mentionable"))
        await self._dispatch_if_connected(
            "GUILD_ROLE_CREATE",
            {"guild_id": str(guild.id), "role": role.payload()},
            Intents.GUILDS,
        )
        return json_response(role.payload())

    async def _list_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        limit = int(request.query.get("limit", "1"))
        after = int(request.query.get("after", "0"))
        members = sorted(
            (m for m in guild.members.values() if m.user.id > after), key=lambda m: m.user.id
        )
        return json_response([m.payload() for m in members[:limit]])

    async def _get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = guild.members.get(int(request.match_info["user_id"]))
        if member is None:
            raise _ApiError(404, 10007, "Unknown Member")
        return json_response(member.payload())

    def _require_manage_roles(self, guild: Guild, role: Role | None = None) -> None:
        perms = guild.permissions_of(self.bot_user.id)
        if not perms & Permissions.MANAGE_ROLES:
            raise _ApiError(403, 50013, "Missing Permissions")
        if role is not None and role.position >= guild.top_role_position(self.bot_user.id):
            raise _ApiError(403, 50013, "Missing Permissions")

    async def _change_role(self, request: web.Request, *, add: bool) -> web.Response:
        guild = self._guild(request)
        member = guild.members.get(int(request.match_info["user_id"]))
        if member is None:
            raise _ApiError(404, 10007, "Unknown Member")
        role = guild.roles.get(int(request.match_info["role_id"]))
        if role is None or role.id == guild.id:
            raise _ApiError(404, 10011, "Unknown Role")
        self._require_manage_roles(guild, role)
        if add and role.id not in member.roles:
            member.roles.append(role.id)
        elif not add and role.id in member.roles:
            member.roles.remove(role.id)
        reason = request.headers.get("X-Audit-Log-Reason")
        self.recorder.record(RoleChange(guild.id, member.user.id, role.id, add, reason))
        await self._dispatch_if_connected(
            "GUILD_MEMBER_UPDATE",
            member.payload() | {"guild_id": str(guild.id)},
            Intents.GUILD_MEMBERS,
        )
        return web.Response(status=204)

    async def _add_role(self, request: web.Request) -> web.Response:
        return await self._change_role(request, add=True)

    async def _remove_role(self, request: web.Request) -> web.Response:
        return await self._change_role(request, add=False)

    async def _dispatch_if_connected(
        self, event: str, data: Mapping[str, Any], intent: int
    ) -> None:
        if any(not s.invalid for s in self._sessions.values()):
            await self.dispatch(event, data, intent=intent)

    # -- application commands -------------------------------------------------------------

    def _command_scope(self, request: web.Request) -> int | None:
        if int(request.match_info["application_id"]) != self.application_id:
            raise _ApiError(403, 50001, "Missing Access")
        if "guild_id" not in request.match_info:
            return None
        guild = self._guild(request)
        if guild.id in self.commands_denied:
            # The bot was invited without the applications.commands scope.
            raise _ApiError(403, 50001, "Missing Access")
        return guild.id

    async def _get_commands(self, request: web.Request) -> web.Response:
        return json_response(self.commands[self._command_scope(request)])

    def _validate_options(self, options: Any, where: str, errors: dict[str, Any]) -> None:
        if not isinstance(options, list):
            errors[where] = "must be a list"
            return
        if len(options) > 25:
            errors[where] = "Must be 25 or fewer in length."
        seen: set[str] = set()
        optional_seen = False
        for i, opt in enumerate(options):
            here = f"{where}.{i}"
            name = str(opt.get("name", ""))
            if not _COMMAND_NAME.match(name) or name != name.lower():
                errors[f"{here}.name"] = f"Invalid option name {name!r}"
            if name in seen:
                errors[f"{here}.name"] = f"Duplicate option name {name!r}"
            seen.add(name)
            if not 1 <= len(str(opt.get("description", ""))) <= 100:
                errors[f"{here}.description"] = "Must be between 1 and 100 in length."
            kind = opt.get("type")
            if kind not in range(1, 12):
                errors[f"{here}.type"] = f"Invalid option type {kind!r}"
            if kind in (1, 2):
                self._validate_options(opt.get("options") or [], f"{here}.options", errors)
                continue
            if opt.get("required"):
                if optional_seen:
                    errors[f"{here}.required"] = (
                        "Required options must be placed before non-required options"
                    )
            else:
                optional_seen = True
            if len(opt.get("choices") or []) > 25:
                errors[f"{here}.choices"] = "Must be 25 or fewer in length."

    def _normalize_command(
        self, raw: Mapping[str, Any], scope: int | None, index: int, errors: dict[str, Any]
    ) -> dict[str, Any]:
        name = str(raw.get("name", ""))
        kind = int(raw.get("type") or 1)
        description = str(raw.get("description") or "")
        if kind == 1:
            if not _COMMAND_NAME.match(name) or name != name.lower():
                errors[f"{index}.name"] = f"Invalid command name {name!r}"
            if not 1 <= len(description) <= 100:
                errors[f"{index}.description"] = "Must be between 1 and 100 in length."
            self._validate_options(raw.get("options") or [], f"{index}.options", errors)
        elif not 1 <= len(name) <= 32:
            errors[f"{index}.name"] = "Must be between 1 and 32 in length."
        perms = raw.get("default_member_permissions")
        existing = next(
            (c for c in self.commands.get(scope, []) if c["name"] == name and c["type"] == kind),
            None,
        )
        cmd: dict[str, Any] = {
            "id": existing["id"] if existing else str(self.new_id()),
            "application_id": str(self.application_id),
            "version": str(self.new_id()),
            "type": kind,
            "name": name,
            "name_localizations": raw.get("name_localizations"),
            "description": description,
            "description_localizations": raw.get("description_localizations"),
            "options": list(raw.get("options") or []),
            "default_member_permissions": None if perms is None else str(perms),
            "dm_permission": raw.get("dm_permission", True),
            "nsfw": bool(raw.get("nsfw", False)),
            "contexts": raw.get("contexts"),
            "integration_types": raw.get("integration_types") or [0],
        }
        if scope is not None:
            cmd["guild_id"] = str(scope)
        return cmd

    async def _put_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        body = json.loads(await request.text() or "[]")
        request[_BODY] = body
        if not isinstance(body, list):
            raise _invalid_form({"_errors": [{"code": "BASE_TYPE_ARRAY"}]})
        if len(body) > 100:
            raise _invalid_form({"_errors": [{"message": "Must be 100 or fewer in length."}]})
        errors: dict[str, Any] = {}
        commands = [self._normalize_command(raw, scope, i, errors) for i, raw in enumerate(body)]
        keys = [(c["name"], c["type"]) for c in commands]
        if len(set(keys)) != len(keys):
            errors["_errors"] = "Application command names must be unique"
        if errors:
            raise _invalid_form(errors)
        self.commands[scope] = commands
        self.recorder.record(CommandsSynced(guild_id=scope, commands=tuple(commands)))
        return json_response(commands)

    async def _post_command(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        body, _ = await self._body(request)
        errors: dict[str, Any] = {}
        cmd = self._normalize_command(body, scope, 0, errors)
        if errors:
            raise _invalid_form(errors)
        current = [c for c in self.commands[scope] if c["id"] != cmd["id"]]
        self.commands[scope] = [*current, cmd]
        return json_response(cmd, status=201)

    async def _delete_command(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        command_id = request.match_info["command_id"]
        before = self.commands[scope]
        self.commands[scope] = [c for c in before if c["id"] != command_id]
        if len(before) == len(self.commands[scope]):
            raise _ApiError(404, 10063, "Unknown application command")
        return web.Response(status=204)

    # -- interactions ---------------------------------------------------------------------

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        interaction = self._interactions.get(int(request.match_info["interaction_id"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise _ApiError(404, 10062, "Unknown interaction")
        body, files = await self._body(request)
        if interaction.acknowledged is not None:
            raise _ApiError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - interaction.created > self.interaction_deadline:
            raise _ApiError(404, 10062, "Unknown interaction")
        kind = int(body.get("type", 0))
        data = body.get("data")
        allowed = {4, 5, 6, 7, 8, 9} if interaction.type != 1 else {1}
        if kind not in allowed:
            raise _invalid_form({"type": {"_errors": [{"code": "BASE_TYPE_CHOICES"}]}})
        if kind in (6, 7) and interaction.type != 3:
            raise _ApiError(400, 40004, "Interaction type not supported for this interaction")
        if kind == 9:
            if interaction.type == 5:  # a modal cannot answer a modal submission
                raise _ApiError(400, 40004, "Interaction type not supported for this interaction")
            _validate_modal(data or {})
            self._modals[interaction.id] = dict(data or {})
        channel = self.channels.get(interaction.channel_id)
        resource: dict[str, Any] = {"type": kind}
        message: dict[str, Any] | None = None
        flags = int((data or {}).get("flags") or 0)
        if kind in (4, 5) and channel is not None:
            if kind == 4:
                self._validate_message_body(data or {}, files)
            else:
                flags |= 128  # LOADING
            message = self._store_message(
                channel,
                self.bot_user,
                (data or {}) | {"flags": flags},
                attachments=self._attachments(files),
                webhook_id=self.application_id,
                extra={
                    "type": 20,
                    "interaction_metadata": {
                        "id": str(interaction.id),
                        "type": interaction.type,
                        "user": self.users[interaction.user_id].payload(),
                    },
                },
            )
            interaction.original_message_id = int(message["id"])
            resource["message"] = message
        elif kind == 7 and "message" in interaction.payload:
            original = self.messages.get(int(interaction.payload["message"]["id"]))
            if original is not None:
                for key in ("content", "embeds", "components"):
                    if data and key in data:
                        original[key] = data[key]
                resource["message"] = original
        interaction.acknowledged = kind
        self.recorder.record(
            InteractionCallback(
                interaction_id=interaction.id, token=interaction.token, type=kind, data=data
            )
        )
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        reply: dict[str, Any] = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.type,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & 64),
            },
            "resource": resource,
        }
        if message is not None:
            reply["interaction"]["response_message_id"] = message["id"]
        return json_response(reply)

    def _webhook_interaction(self, request: web.Request) -> InjectedInteraction:
        interaction = self._interactions_by_token.get(request.match_info["token"])
        if (
            interaction is None
            or int(request.match_info["webhook_id"]) != self.application_id
            or time.monotonic() - interaction.created > 15 * 60
        ):
            raise _ApiError(404, 10015, "Unknown Webhook")
        return interaction

    def _webhook_message(
        self, request: web.Request, interaction: InjectedInteraction
    ) -> tuple[dict[str, Any], bool]:
        raw_id = request.match_info["message_id"]
        original = raw_id == "@original"
        message_id = interaction.original_message_id if original else int(raw_id)
        message = self.messages.get(message_id or 0)
        if message is None:
            raise _ApiError(404, 10008, "Unknown Message")
        return message, original

    async def _webhook_execute(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        if interaction.acknowledged is None:
            raise _ApiError(404, 10015, "Unknown Webhook")
        body, files = await self._body(request)
        self._validate_message_body(body, files)
        original = self.messages.get(interaction.original_message_id or 0)
        if original is not None and int(original.get("flags") or 0) & 128:
            # After a deferred response, the first follow-up replaces the "thinking" message
            # (keeping the defer's ephemeral flag), as Discord does.
            for key in ("content", "embeds", "components"):
                original[key] = body.get(key) or ([] if key != "content" else "")
            if files:
                original["attachments"] = self._attachments(files)
            original["flags"] = int(original["flags"]) & ~128
            self.recorder.record(
                Followup(
                    interaction_id=interaction.id,
                    token=interaction.token,
                    action="create",
                    message_id=int(original["id"]),
                    original=True,
                    payload=body,
                )
            )
            if request.query.get("wait") in ("1", "true", "True"):
                return json_response(original)
            return web.Response(status=204)
        channel = self.channels[interaction.channel_id]
        message = self._store_message(
            channel,
            self.bot_user,
            body,
            attachments=self._attachments(files),
            webhook_id=self.application_id,
        )
        self.recorder.record(
            Followup(
                interaction_id=interaction.id,
                token=interaction.token,
                action="create",
                message_id=int(message["id"]),
                original=False,
                payload=body,
            )
        )
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(message)
        return web.Response(status=204)

    async def _webhook_message_get(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        message, _ = self._webhook_message(request, interaction)
        return json_response(message)

    async def _webhook_message_edit(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        message, original = self._webhook_message(request, interaction)
        body, files = await self._body(request)
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = (
                    body[key] if body[key] is not None else ([] if key != "content" else "")
                )
        if files:
            message["attachments"] = self._attachments(files)
        message["flags"] = int(message.get("flags") or 0) & ~128  # no longer loading
        message["edited_timestamp"] = _now_iso()
        self.recorder.record(
            Followup(
                interaction_id=interaction.id,
                token=interaction.token,
                action="edit",
                message_id=int(message["id"]),
                original=original,
                payload=body,
            )
        )
        return json_response(message)

    async def _webhook_message_delete(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        message, original = self._webhook_message(request, interaction)
        del self.messages[int(message["id"])]
        self.recorder.record(
            Followup(
                interaction_id=interaction.id,
                token=interaction.token,
                action="delete",
                message_id=int(message["id"]),
                original=original,
                payload={},
            )
        )
        return web.Response(status=204)
