"""Modals ("forms"): how a multi-line option reaches the bot on Discord.

Slash-command options are single-line, so a command whose ``form`` option is missing (and
no file was attached instead) is answered with a modal holding one paragraph input. The
submission comes back as a MODAL_SUBMIT interaction carrying the form's custom id; the
pending form is taken exactly once, so a form submitted twice (or after a restart, or by
someone else) runs nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import discord

from bot.core.commands import Command, Option, OptionKind

PREFIX = "form:"
LIFETIME = 3600.0  # an unanswered form is forgotten after this long (seconds)
MAX_INPUT = 4000  # Discord's limit for a text input's length
GONE = ("That form was already sent or has expired; nothing was saved. "
        "Run the command again to get a new one.")


@dataclass(frozen=True, slots=True)
class Form:
    """A modal the bot opened: the command it completes and the options given with it."""

    path: str
    user_id: int
    option: str
    options: dict[str, object]
    expires: float


def option_to_ask(leaf: Command, values: Mapping[str, Any]) -> Option | None:
    """The option to ask in a form: declared ``form``, missing, and no file given instead."""
    form = next((o for o in leaf.options if o.form), None)
    if form is None or values.get(form.name) is not None:
        return None
    files = [o.name for o in leaf.options if o.kind is OptionKind.FILE]
    return None if any(values.get(name) is not None for name in files) else form


def modal(custom_id: str, path: str, options: Mapping[str, object],
          option: Option) -> discord.ui.Modal:
    """A modal with one required paragraph input (Discord's only multi-line input)."""
    title = " ".join(["/" + path, *(str(v) for v in options.values())])[:45]
    made = discord.ui.Modal(title=title, custom_id=custom_id, timeout=None)
    made.add_item(discord.ui.Label(
        text=option.name.capitalize(), description=option.help,
        component=discord.ui.TextInput(
            custom_id=option.name, style=discord.TextStyle.paragraph, required=True,
            max_length=min(option.max_length, MAX_INPUT))))
    # Stopped: not kept in discord.py's view store, so the submission reaches on_interaction.
    made.stop()
    return made


class Forms:
    """The forms waiting for their submission (in memory: a restart forgets them)."""

    def __init__(self) -> None:
        self._pending: dict[str, Form] = {}

    def open(self, path: str, user_id: int, option: str, options: dict[str, object],
             now: float) -> str:
        """Remember a new form; returns its custom id."""
        for stale in [k for k, f in self._pending.items() if f.expires <= now]:
            del self._pending[stale]
        nonce = uuid.uuid4().hex
        self._pending[nonce] = Form(path, user_id, option, options, now + LIFETIME)
        return PREFIX + nonce

    def forget(self, custom_id: str) -> None:
        """Drop a form that could not be shown."""
        self._pending.pop(custom_id.removeprefix(PREFIX), None)

    def take(self, custom_id: str, user_id: int, now: float) -> Form | None:
        """The form for a submission, once; None for unknown, expired or someone else's."""
        if not custom_id.startswith(PREFIX):
            return None
        nonce = custom_id.removeprefix(PREFIX)
        form = self._pending.get(nonce)
        if form is None or form.user_id != user_id or form.expires <= now:
            return None
        del self._pending[nonce]
        return form
