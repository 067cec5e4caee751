"""python-telegram-bot objects ↔ the neutral core (pure functions, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, User

from bot.core.commands import Command, Where
from bot.core.model import Button, Place, Platform, UserRef
from bot.core.text import split_text as text_split

MAX_MESSAGE = 4096  # Telegram's limit for a message's text
MAX_CALLBACK_DATA = 64  # bytes
MAX_CAPTION = 1024  # a document's or photo's caption
BUTTONS_PER_ROW = 3
WORD_JOINER = "\u2060"
_MENTION = re.compile(r"(?<![\w@])@(?=\w)")


def user_ref(user: User) -> UserRef:
    """The neutral person behind a Telegram user."""
    return UserRef(Platform.TELEGRAM, str(user.id), user.full_name, handle=user.username)


def place_of(chat: Chat) -> Place:
    """A private chat (a DM) or a group."""
    if chat.type == Chat.PRIVATE:
        return Place(Platform.TELEGRAM, str(chat.id), "dm", is_direct=True)
    return Place(Platform.TELEGRAM, str(chat.id), chat.title or str(chat.id), is_direct=False,
                 community_id=str(chat.id))


def neutralise(text: str) -> str:
    """Stop ``@name`` in replies from notifying anyone (a word joiner after the ``@``).

    Replies go out without a parse mode, so nothing else needs escaping.
    """
    return _MENTION.sub("@" + WORD_JOINER, text)


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split a reply into messages within the platform's limit."""
    return text_split(text, limit, empty="…")  # Telegram refuses an empty message


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """Inline buttons whose callback data is the action (those over 64 bytes are left out)."""
    usable = [b for b in buttons if len(b.action.encode()) <= MAX_CALLBACK_DATA]
    if not usable:
        return None
    rows = [
        [InlineKeyboardButton(b.label, callback_data=b.action)
         for b in usable[i:i + BUTTONS_PER_ROW]]
        for i in range(0, len(usable), BUTTONS_PER_ROW)
    ]
    return InlineKeyboardMarkup(rows)


def action_line(action: str) -> str:
    """A button's action as a command line (``rsvp 3 going`` → ``/rsvp 3 going``)."""
    stripped = action.strip()
    return stripped if stripped.startswith("/") else "/" + stripped


def menu(commands: Sequence[Command], *, group: bool, admin: bool) -> list[tuple[str, str]]:
    """(name, description) for a ``setMyCommands`` scope."""
    shown: list[tuple[str, str]] = []
    for command in commands:
        if command.admin and not admin:
            continue
        wheres = {s.where for s in command.subcommands} if command.is_group else {command.where}
        if group and wheres == {Where.DM}:
            continue
        if not group and wheres == {Where.GROUP}:
            continue
        shown.append((command.name, command.help))
    return shown[:100]  # Telegram's limit


def seconds(value: float | timedelta) -> float:
    """PTB gives ``retry_after`` as seconds or (opted in) a timedelta."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
