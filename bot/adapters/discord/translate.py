"""discord.py objects ↔ the neutral core (pure functions, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import discord

from bot.core.model import Place, Platform, UserRef
from bot.core.text import split_text as text_split

MAX_MESSAGE = 2000  # Discord's limit for a message's content
MAX_CUSTOM_ID = 100


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


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split a reply into messages within the platform's limit."""
    # Discord refuses an empty message; a zero-width space is not empty.
    return text_split(text, limit, empty="\u200b")


def action_line(action: str) -> str:
    """A button's action as a command line (``rsvp 3 going`` → ``/rsvp 3 going``)."""
    stripped = action.strip()
    return stripped if stripped.startswith("/") else "/" + stripped


def form_values(data: Mapping[str, object]) -> dict[str, str]:
    """The text inputs of a submitted modal by custom id.

    Inputs arrive inside labels (type 18, ``component``) or, the older layout, inside
    action rows (type 1, ``components``).
    """
    found: dict[str, str] = {}
    stack: list[object] = list(data.get("components") or [])  # type: ignore[call-overload]
    while stack:
        item = stack.pop()
        if not isinstance(item, Mapping):
            continue
        if item.get("type") == 4 and "custom_id" in item:
            found[str(item["custom_id"])] = str(item.get("value") or "")
        stack.extend(item.get("components") or [])
        if "component" in item:
            stack.append(item["component"])
    return found
