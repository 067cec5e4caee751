"""The one text parser, shared by Telegram and the console.

Options may be given positionally in declared order or as ``name=value`` in any order;
``"double quotes"`` keep spaces together. A trailing ``rest`` option takes the remainder of
the line verbatim (code blocks keep their newlines). Member options come back as
:class:`MemberToken` for the dispatcher to resolve, since that needs the database.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core import values
from bot.core.commands import Command, Option, OptionKind
from bot.core.errors import UserError
from bot.core.model import Attachment

_KEYWORD_RE = re.compile(r"^([a-z][a-z0-9_]*)=(.*)$", re.DOTALL)
# What no database column should get: PostgreSQL refuses NUL outright (SQLite keeps it), a
# lone surrogate cannot be encoded at all, and the other C0 controls only garble a chat.
# Tab, newline and carriage return are ordinary text (code blocks, pasted lines).
_UNSTORABLE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
UNSTORABLE = ("That contains a control character (such as NUL) that I can't keep; "
              "please remove it and send it again.")


class UsageError(UserError):
    """A missing or malformed option; the dispatcher adds the usage line."""


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a command line, unquoted, with where it started in the line."""

    text: str
    start: int


@dataclass(frozen=True, slots=True)
class MemberToken:
    """A member as typed (``@maya``, ``maya``, a platform id), resolved later."""

    text: str


def check_storable(text: str) -> None:
    """Refuse text a database would refuse or mangle, the same way on SQLite and PostgreSQL."""
    if _UNSTORABLE_RE.search(text):
        raise UserError(UNSTORABLE)


def strip_unstorable(text: str) -> str:
    """``text`` without the characters :func:`check_storable` refuses (chat messages)."""
    return _UNSTORABLE_RE.sub("", text)


def tokenize(line: str) -> list[Token]:
    """Split on whitespace; double quotes group words and may start mid-token."""
    tokens: list[Token] = []
    index, length = 0, len(line)
    while index < length:
        while index < length and line[index].isspace():
            index += 1
        if index >= length:
            break
        start, buf, quoted = index, [], False
        while index < length and (quoted or not line[index].isspace()):
            char = line[index]
            if char == "\\" and quoted and index + 1 < length and line[index + 1] == '"':
                buf.append('"')
                index += 2
                continue
            if char == '"':
                quoted = not quoted
            else:
                buf.append(char)
            index += 1
        if quoted:
            raise UsageError("A double quote is not closed.")
        tokens.append(Token("".join(buf), start))
    return tokens


def convert(option: Option, raw: object, tz: ZoneInfo, now: datetime) -> object:
    """Turn one raw value (text, or already typed by the platform) into the option's type."""
    if option.kind is OptionKind.INTEGER:
        return values.parse_int(str(raw), option.min_value, option.max_value)
    if option.kind is OptionKind.BOOLEAN:
        return raw if isinstance(raw, bool) else values.parse_bool(str(raw))
    if option.kind is OptionKind.FILE:
        if not isinstance(raw, Attachment):
            raise UsageError(f"Attach `{option.name}` as a file.")
        return raw
    text = str(raw)
    if option.kind is OptionKind.TEXT:
        if len(text) > option.max_length:
            raise UsageError(
                f"`{option.name}` is too long (at most {option.max_length} characters)."
            )
        return text
    if option.kind is OptionKind.CHOICE:
        return values.parse_choice(text, option.choices)
    if option.kind is OptionKind.DURATION:
        return values.parse_duration(text)
    if option.kind is OptionKind.DATETIME:
        return values.parse_datetime(text, tz, now)
    return MemberToken(text.strip())


def parse_text(command: Command, line: str, tz: ZoneInfo, now: datetime) -> dict[str, object]:
    """Parse the text after a command name into typed option values.

    File options are not typed on a line: the dispatcher fills them from attachments.
    """
    typed = tuple(o for o in command.options if o.kind is not OptionKind.FILE)
    options = {o.name: o for o in typed}
    tokens = tokenize(line)
    raw: dict[str, str] = {}
    positional = list(typed)
    cursor = 0  # positional options before it are given or passed over
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        keyword = _KEYWORD_RE.match(token.text)
        if keyword and keyword[1] in options:
            name, value = keyword[1], keyword[2]
            if name in raw:
                raise UsageError(f"`{name}` is given twice.")
            option = options[name]
            if option.rest and index < len(tokens):
                value = line[line.index("=", token.start) + 1:].strip()
                value = value[1:-1] if _is_one_quoted(value) else value
                index = len(tokens)
            elif option.kind is OptionKind.DATETIME:
                value, index = _join_time(value, tokens, index)
            raw[name] = value
            continue
        while cursor < len(positional) and (positional[cursor].name in raw
                                            or positional[cursor].keyword):
            cursor += 1
        option_or_none = positional[cursor] if cursor < len(positional) else None
        if keyword and not line.startswith('"', token.start) and not (
                option_or_none is not None and option_or_none.rest):
            raise UsageError(unknown_option(keyword[1], options))
        if option_or_none is None:
            raise UsageError(f"I don't know what to do with `{token.text}`.")
        cursor += 1
        option = option_or_none
        if option.rest:
            value = line[token.start:].strip()
            raw[option.name] = value[1:-1] if _is_one_quoted(value) else value
            break
        value = token.text
        if option.kind is OptionKind.DATETIME:
            value, index = _join_time(value, tokens, index)
        raw[option.name] = value
    parsed: dict[str, object] = {}
    for option in typed:
        if option.name in raw:
            parsed[option.name] = convert(option, raw[option.name], tz, now)
        elif option.required:
            raise UsageError(f"`{option.name}` is missing.")
    return parsed


def unknown_option(name: str, options: dict[str, Option]) -> str:
    """A ``name=value`` whose name is no option: name the closest one (the one rule)."""
    if not options:
        return (f"This command takes no options, so `{name}=` means nothing here "
                "(a value that contains = can be quoted).")
    closest = difflib.get_close_matches(name, list(options), n=1, cutoff=0.0)[0]
    return (f"`{name}` is not an option here; did you mean `{closest}=`? "
            "(A value that contains = can be quoted.)")


def _join_time(value: str, tokens: list[Token], index: int) -> tuple[str, int]:
    """Let ``2026-12-01 18:00`` be typed without quotes."""
    if " " not in value and not values.looks_like_time(value) and index < len(tokens):
        follower = tokens[index].text
        if values.looks_like_time(follower) or value.lower() == "in":
            return f"{value} {follower}", index + 1
    return value, index


def _is_one_quoted(value: str) -> bool:
    return len(value) >= 2 and value[0] == value[-1] == '"' and '"' not in value[1:-1]
