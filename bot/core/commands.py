"""Commands are declared once here and exposed natively by every adapter.

A declaration is data: a name, a one-line help, typed options, who may run it and where.
Adapters read it to build Discord application commands, the Telegram command menu and the
console's help; the one text parser (:mod:`bot.core.parsing`) reads it for text platforms.
The validation below is the intersection of what Discord and Telegram accept, so a bad
declaration fails at start-up rather than on one platform in production.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypeVar, overload

from bot.core.errors import UserError
from bot.core.model import Incoming, Member, Reply

NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
MAX_HELP = 100
T = TypeVar("T")


class OptionKind(StrEnum):
    """The closed set of option types every platform can carry."""

    TEXT = "text"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    MEMBER = "member"
    DURATION = "duration"
    DATETIME = "datetime"
    CHOICE = "choice"
    FILE = "file"  # an attached file: Discord attachment option, Telegram document, :attach


class Where(StrEnum):
    """Where a command may be run."""

    ANY = "any"
    DM = "dm"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class Option:
    """One typed option of a command.

    ``rest`` (text only, last option) takes the remainder of the line verbatim on text
    platforms, which is how code blocks and free-text reasons arrive. A ``keyword`` option
    is only given as ``name=value`` there, so a rarely used flag never swallows a word.
    A ``FILE`` option is never typed: text platforms fill it from the attached file.
    ``form`` (text only): where one-line options cannot carry it (Discord), a command run
    without this option and without a file is answered with a form asking for it
    (multi-line code).
    """

    name: str
    kind: OptionKind
    help: str
    required: bool = False
    choices: tuple[str, ...] = ()
    rest: bool = False
    keyword: bool = False
    min_value: int | None = None
    max_value: int | None = None
    max_length: int = 1000
    form: bool = False

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name):
            raise ValueError(f"option name {self.name!r} must match {NAME_RE.pattern}")
        if not 1 <= len(self.help) <= MAX_HELP:
            raise ValueError(f"option {self.name!r}: help must be 1-{MAX_HELP} characters")
        if (self.kind is OptionKind.CHOICE) != bool(self.choices):
            raise ValueError(f"option {self.name!r}: choices go with CHOICE options only")
        if self.rest and self.kind is not OptionKind.TEXT:
            raise ValueError(f"option {self.name!r}: only text options can take the rest")
        if self.form and self.kind is not OptionKind.TEXT:
            raise ValueError(f"option {self.name!r}: only text options can be asked in a form")

    @property
    def placeholder(self) -> str:
        """The option as shown in a usage line."""
        shown = "|".join(self.choices) if self.choices else self.name
        if self.kind is OptionKind.FILE:
            shown = f"attached {self.name}"
        if self.keyword:
            shown = f"{self.name}=…"
        if self.rest:
            shown += "…"
        return f"<{shown}>" if self.required else f"[{shown}]"


@dataclass(frozen=True, slots=True)
class Context:
    """What a handler receives: the incoming command, the resolved member and typed args."""

    incoming: Incoming
    member: Member
    args: Mapping[str, object]
    path: str
    now: datetime

    @overload
    def get(self, name: str, kind: type[T]) -> T | None: ...
    @overload
    def get(self, name: str, kind: type[T], default: T) -> T: ...
    def get(self, name: str, kind: type[T], default: T | None = None) -> T | None:
        """Return an option's value, checked against the type the handler expects."""
        value = self.args.get(name)
        if value is None:
            return default
        if not isinstance(value, kind):
            raise TypeError(f"option {name!r} is {type(value).__name__}, not {kind.__name__}")
        return value

    def require(self, name: str, kind: type[T]) -> T:
        """Return a required option's value."""
        value = self.get(name, kind)
        if value is None:
            raise UserError(f"Please give `{name}`.")
        return value

    @property
    def is_admin(self) -> bool:
        """Whether the author has admin rights where this command was run."""
        return self.incoming.is_admin


Handler = Callable[[Context], Awaitable[Reply | Sequence[Reply]]]


@dataclass(frozen=True, slots=True)
class Command:
    """A command, or a group of subcommands (``/event create``), declared once.

    A group has ``subcommands`` and no handler of its own; on text platforms the first word
    picks the subcommand, and ``default`` names the one used when it does not match
    (``/event 12`` shows event 12). ``conceal`` marks a command whose own message carries
    something others must not copy (submitted code): adapters remove that message from
    shared places where the platform allows.
    """

    name: str
    help: str
    handler: Handler | None = None
    options: tuple[Option, ...] = ()
    subcommands: tuple[Command, ...] = ()
    admin: bool = False
    where: Where = Where.ANY
    example: str = ""
    default: str | None = None
    conceal: bool = False
    _by_name: dict[str, Command] = field(default_factory=dict, init=False, repr=False,
                                         compare=False)

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name):
            raise ValueError(f"command name {self.name!r} must match {NAME_RE.pattern}")
        if not 1 <= len(self.help) <= MAX_HELP:
            raise ValueError(f"command {self.name!r}: help must be 1-{MAX_HELP} characters")
        if self.subcommands:
            if self.handler is not None or self.options:
                raise ValueError(f"group {self.name!r} takes no handler or options")
            for sub in self.subcommands:
                if sub.subcommands:
                    raise ValueError(f"group {self.name!r}: one level of subcommands only")
                self._by_name[sub.name] = sub
            if len(self._by_name) != len(self.subcommands):
                raise ValueError(f"group {self.name!r} repeats a subcommand name")
            if self.default is not None and self.default not in self._by_name:
                raise ValueError(f"group {self.name!r}: unknown default {self.default!r}")
        elif self.handler is None:
            raise ValueError(f"command {self.name!r} needs a handler")
        self._check_options()

    def _check_options(self) -> None:
        seen: set[str] = set()
        optional_seen = False
        for index, option in enumerate(self.options):
            if option.name in seen:
                raise ValueError(f"command {self.name!r} repeats option {option.name!r}")
            seen.add(option.name)
            # Discord requires required options before optional ones.
            if option.required and optional_seen:
                raise ValueError(f"command {self.name!r}: required option after optional")
            optional_seen = optional_seen or not option.required
            if option.rest and index != len(self.options) - 1:
                raise ValueError(f"command {self.name!r}: a rest option must come last")

    @property
    def is_group(self) -> bool:
        """True when this command only holds subcommands."""
        return bool(self.subcommands)

    def sub(self, name: str) -> Command | None:
        """Return a subcommand by name."""
        return self._by_name.get(name)

    def usage(self, prefix: str = "/") -> str:
        """Return the usage line, e.g. ``/rsvp <id> <going|maybe|no>``."""
        parts = [f"{prefix}{self.name}"]
        if self.is_group:
            parts.append("<" + "|".join(s.name for s in self.subcommands) + ">")
        parts.extend(o.placeholder for o in self.options)
        return " ".join(parts)


def flatten(commands: Sequence[Command]) -> dict[str, tuple[Command, Command | None]]:
    """Map ``"event create"`` and ``"help"`` to (leaf, parent group)."""
    table: dict[str, tuple[Command, Command | None]] = {}
    for command in commands:
        if command.is_group:
            for sub in command.subcommands:
                table[f"{command.name} {sub.name}"] = (sub, command)
        else:
            table[command.name] = (command, None)
    return table
