"""The dispatcher: finds the command, checks who may run it, parses, runs, logs.

Everything runs under the one error policy (:mod:`bot.core.policy`): a :class:`UserError`
becomes a friendly private reply; a transient storage fault is retried; any other exception is
logged once (platform, member, command, source id) and answered with an apology. Adapters
never see an exception from the core and members never see a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core import values
from bot.core.clock import Clock
from bot.core.commands import Command, Context, OptionKind, Where, flatten
from bot.core.errors import NotPermitted, UserError
from bot.core.model import Attachment, Incoming, Member, Reply
from bot.core.parsing import (
    MemberToken,
    UsageError,
    check_storable,
    convert,
    parse_text,
    strip_unstorable,
)
from bot.core.policy import APOLOGY as APOLOGY
from bot.core.policy import ErrorPolicy
from bot.core.ports import Directory, InteractionKind, InteractionSink


@dataclass(frozen=True, slots=True)
class MessageContext:
    """What a chat-message listener receives."""

    incoming: Incoming
    member: Member


Listener = Callable[[MessageContext], Awaitable[Sequence[Reply]]]


@dataclass(frozen=True, slots=True)
class InputLimits:
    """Input limits enforced before any handler runs."""

    max_line: int = 4000
    max_attachment: int = 1024 * 1024


class Dispatcher:
    """Routes incoming commands and messages to handlers and listeners."""

    def __init__(
        self,
        commands: Sequence[Command],
        listeners: Sequence[Listener],
        directory: Directory,
        interactions: InteractionSink,
        clock: Clock,
        limits: InputLimits | None = None,
        policy: ErrorPolicy | None = None,
    ) -> None:
        self.commands = tuple(commands)
        self._top = {c.name: c for c in self.commands}
        if len(self._top) != len(self.commands):
            raise ValueError("two commands share a name")
        self._flat = flatten(self.commands)
        self._listeners = tuple(listeners)
        self._directory = directory
        self._interactions = interactions
        self._clock = clock
        self.limits = limits or InputLimits()
        self.policy = policy or ErrorPolicy()

    def conceals(self, name: str) -> bool:
        """Whether the message that ran command ``name`` should be removed from a group."""
        command = self._top.get(name.lower())
        return command is not None and command.conceal

    def available(self, is_admin: bool) -> list[Command]:
        """The commands a member may see in help and menus."""
        return [c for c in self.commands if is_admin or not c.admin]

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Handle one command or message; never raises."""
        if incoming.is_command:
            return await self._guarded(incoming, self._run_command)
        recorded: list[bool] = []  # a retried message is logged once

        async def listen(message: Incoming) -> list[Reply]:
            return await self._run_listeners(message, recorded)

        return await self._guarded(incoming, listen, quiet=True)

    async def _guarded(
        self,
        incoming: Incoming,
        step: Callable[[Incoming], Awaitable[list[Reply]]],
        *,
        quiet: bool = False,
    ) -> list[Reply]:
        outcome = await self.policy.run("listener" if quiet else "command", incoming.command,
                                        incoming.author, incoming.source_id,
                                        lambda: step(incoming))
        if outcome.refusal is not None:
            return [] if quiet else [Reply(str(outcome.refusal), private=True, feedback=True)]
        if outcome.apology is not None:
            return [] if quiet else [Reply(outcome.apology, private=True, feedback=True)]
        return outcome.value or []

    async def _run_listeners(self, incoming: Incoming, recorded: list[bool]) -> list[Reply]:
        if (clean := strip_unstorable(incoming.text)) != incoming.text:
            incoming = replace(incoming, text=clean)  # a chat line is logged, never refused
        member = await self._directory.identify(incoming.author)
        if not recorded:
            self._interactions.record(member, incoming, InteractionKind.MESSAGE, None)
            recorded.append(True)
        context = MessageContext(incoming, member)
        replies: list[Reply] = []
        for listener in self._listeners:
            replies.extend(await listener(context))
        return replies

    def _find(self, incoming: Incoming) -> tuple[Command, Command | None, str, str]:
        """Return (leaf, group, path, remaining text) or raise a helpful UserError."""
        name = (incoming.command or "").strip().lower()
        if name in self._flat:
            leaf, group = self._flat[name]
            return leaf, group, name, incoming.text
        top = self._top.get(name)
        if top is None:
            names = [c.name for c in self.available(incoming.is_admin)]
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            hint = f" Did you mean /{close[0]}?" if close else ""
            raise UserError(f"I don't know /{name}.{hint} Send /help to see what I can do.")
        if not top.is_group:
            return top, None, top.name, incoming.text
        words = incoming.text.split(maxsplit=1)
        sub = top.sub(words[0].lower()) if words else None
        if sub is not None:
            return sub, top, f"{top.name} {sub.name}", words[1] if len(words) > 1 else ""
        default = top.sub(top.default) if top.default is not None else None
        # A bare group name runs its default too when that needs no option (``/recommend``).
        if default is not None and (words or not any(o.required for o in default.options)):
            return default, top, f"{top.name} {default.name}", incoming.text
        raise UsageError(f"Usage: {top.usage()}. Send /help {top.name} for details.")

    async def _run_command(self, incoming: Incoming) -> list[Reply]:
        if len(incoming.text) > self.limits.max_line:
            raise UserError(
                f"That is too long ({len(incoming.text)} characters; "
                f"the limit is {self.limits.max_line})."
            )
        given = [*incoming.attachments, *(v for v in (incoming.options or {}).values()
                                           if isinstance(v, Attachment))]
        for attachment in given:
            if attachment.size > self.limits.max_attachment:
                raise UserError(too_big(attachment.filename, attachment.size,
                                        self.limits.max_attachment))
        check_storable(incoming.text)
        for value in (incoming.options or {}).values():
            if isinstance(value, str):
                check_storable(value)
        leaf, group, path, text = self._find(incoming)
        if (leaf.admin or (group is not None and group.admin)) and not incoming.is_admin:
            raise NotPermitted(f"/{path} is for admins only.")
        if leaf.where is Where.DM and not incoming.place.is_direct:
            raise UserError(f"Please send /{path} to me in a DM.")
        if leaf.where is Where.GROUP and incoming.place.is_direct:
            raise UserError(f"/{path} only works in a group or channel.")
        member = await self._directory.identify(incoming.author)
        now = self._clock.now()
        try:
            args = await self._arguments(leaf, incoming, text, member, now)
        except UserError as exc:  # every malformed option gets the usage line
            raise UsageError(f"{exc}\nUsage: {_usage(leaf, path)}") from None
        context = Context(incoming=incoming, member=member, args=args, path=path, now=now)
        assert leaf.handler is not None  # leaves always have one
        result = await leaf.handler(context)
        self._interactions.record(member, incoming, InteractionKind.COMMAND, path)
        if leaf.admin or (group is not None and group.admin):
            await self._interactions.audit(member, incoming, path, args)
        return [result] if isinstance(result, Reply) else list(result)

    async def _arguments(
        self, leaf: Command, incoming: Incoming, text: str, member: Member, moment: datetime
    ) -> dict[str, object]:
        tz = _member_zone(member)
        if incoming.options is not None:
            declared = {o.name: o for o in leaf.options}
            unknown = set(incoming.options) - set(declared)
            if unknown:
                raise UsageError(f"Unknown option `{sorted(unknown)[0]}`.")
            args = {
                name: convert(declared[name], value, tz, moment)
                for name, value in incoming.options.items()
                if value is not None
            }
            missing = [o.name for o in leaf.options if o.required and o.name not in args]
            if missing:
                raise UsageError(f"`{missing[0]}` is missing.")
        else:
            args = parse_text(leaf, text, tz, moment)
            _attach(leaf, incoming.attachments, args)
        for option in leaf.options:
            value = args.get(option.name)
            if option.kind is OptionKind.MEMBER and isinstance(value, MemberToken):
                found = await self._directory.resolve(incoming.author.platform, value.text)
                if found is None:
                    raise UsageError(f"I don't know a member called `{value.text}`.")
                args[option.name] = found
        return args


def too_big(filename: str, size: int, limit: int) -> str:
    """The one sentence refusing an oversized attachment (adapters check before download)."""
    return f"`{filename}` is too big ({size} bytes; the limit is {limit})."


def _attach(leaf: Command, attachments: Sequence[Attachment], args: dict[str, object]) -> None:
    """Text platforms: attached files fill the command's file options, in declared order."""
    files = [o for o in leaf.options if o.kind is OptionKind.FILE]
    if not files:
        return  # a caption command without a file option ignores the file, as before
    if len(attachments) > len(files):
        raise UsageError("Attach only one file." if len(files) == 1
                         else f"Attach at most {len(files)} files.")
    for option, attachment in zip(files, attachments, strict=False):
        args[option.name] = attachment
    missing = [o.name for o in files if o.required and o.name not in args]
    if missing:
        raise UsageError(f"Attach `{missing[0]}` as a file.")


def _member_zone(member: Member) -> ZoneInfo:
    try:
        return values.zone(member.timezone)
    except UserError:
        return ZoneInfo("UTC")


def _usage(leaf: Command, path: str) -> str:
    usage = leaf.usage()
    return "/" + path + usage[len("/" + leaf.name):]


def split_command_line(line: str) -> tuple[str, str] | None:
    """Split ``/name@Bot rest`` into (name, rest); None when the line is not a command.

    The rest keeps its inner newlines, so a code block after the command survives.
    """
    stripped = line.strip()
    if not stripped.startswith("/"):
        return None
    end = 1
    while end < len(stripped) and not stripped[end].isspace():
        end += 1
    name = stripped[1:end].split("@", 1)[0].lower()
    if not name:
        return None
    return name, stripped[end:].strip()
