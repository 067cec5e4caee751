"""discord.py objects ↔ the neutral core (pure functions, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import discord

from bot.core.model import Place, Platform, UserRef

MAX_MESSAGE = 2000  # Discord's limit for a message's content
MAX_PARTS = 5  # a reply longer than this many messages is cut, not spammed
MAX_CUSTOM_ID = 100
CUT_MARK = "\n… (cut: too long for one reply)"


def user_ref(user: discord.abc.User) -> UserRef:
    """The neutral person behind a Discord user or member."""
    return UserRef(Platform.DISCORD, str(user.id), user.display_name, handle=user.name)


def place_of(channel: object, guild: discord.Guild | None) -> Place:
    """Where something happened: a guild channel, a thread or a DM."""
    channel_id = str(getattr(channel, "id", "0"))
    if guild is None or isinstance(channel, discord.DMChannel | discord.GroupChannel):
        return Place(Platform.DISCORD, channel_id, "dm", is_direct=True)
    name = str(getattr(channel, "name", None) or channel_id)
    return Place(Platform.DISCORD, channel_id, name, is_direct=False,
                 community_id=str(guild.id))


def role_keys(user: object) -> tuple[str, ...]:
    """A member's roles, each by name and by id (audiences may name either)."""
    roles: Iterable[discord.Role] = getattr(user, "roles", ()) or ()
    keys: list[str] = []
    for role in roles:
        if role.is_default():
            continue
        keys += [role.name, str(role.id)]
    return tuple(keys)


def is_admin(permissions: discord.Permissions, user: object, admin_roles: Sequence[str]) -> bool:
    """Manage Server (or Administrator), or one of the configured admin roles."""
    if permissions.manage_guild or permissions.administrator:
        return True
    wanted = {r.lower() for r in admin_roles}
    return any(key.lower() in wanted for key in role_keys(user))


def option_values(values: Mapping[str, object]) -> dict[str, object]:
    """Slash-command values as the dispatcher takes them (members become their ids)."""
    converted: dict[str, object] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, discord.abc.User):
            converted[name] = str(value.id)
        else:
            converted[name] = value
    return converted


def split_text(text: str, limit: int = MAX_MESSAGE, max_parts: int = MAX_PARTS) -> list[str]:
    """Split at line breaks (or hard, for a long line) into at most ``max_parts`` messages."""
    text = text or "\u200b"  # Discord refuses an empty message; a zero-width space is not
    parts: list[str] = []
    rest = text
    while rest:
        if len(rest) <= limit:
            parts.append(rest)
            break
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if len(parts) > max_parts:
        parts = parts[:max_parts]
        parts[-1] = parts[-1][: limit - len(CUT_MARK)] + CUT_MARK
    return parts


def action_line(action: str) -> str:
    """A button's action as a command line (``rsvp 3 going`` → ``/rsvp 3 going``)."""
    stripped = action.strip()
    return stripped if stripped.startswith("/") else "/" + stripped
