"""Run an admin command from a web form: the same options, parsing, rules and messages.

A form is the options of a slash command typed into fields. Each field goes through the
command's own :class:`Option` conversion, the command's own handler runs, and the change
is written to the audit log with platform ``web``; so the dashboard cannot accept what
the command would refuse, and says it in the same words.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

from bot.core import values
from bot.core.clock import Clock
from bot.core.commands import Command, Context, OptionKind
from bot.core.dispatch import too_big
from bot.core.errors import UserError
from bot.core.model import Attachment, Incoming, Member, Place, Platform, Reply, UserRef
from bot.core.parsing import UsageError, check_storable, convert
from bot.services.dashboard import DashboardAccess, WebSession

# Web forms have no chat place; a direct "place" means no home channel (like a DM).
WEB_PLACE = Place(Platform.CONSOLE, "web", "dashboard", is_direct=True)


def find(commands: Sequence[Command], path: str) -> Command:
    """The leaf command at ``path`` (``event create``)."""
    words = path.split()
    found = next(c for c in commands if c.name == words[0])
    for word in words[1:]:
        sub = found.sub(word)
        assert sub is not None, path
        found = sub
    return found


class CommandRunner:
    """Turns a submitted form into one admin command run as the logged-in admin."""

    def __init__(self, commands: Sequence[Command], access: DashboardAccess,
                 clock: Clock, max_attachment: int,
                 changed: Callable[[], None] = lambda: None) -> None:
        self._commands = commands
        self._access = access
        self._clock = clock
        self._max_attachment = max_attachment
        self._changed = changed  # e.g. drop the figures kept for the overview

    async def run(self, who: WebSession, member: Member, path: str,
                  form: Mapping[str, str], chosen: Mapping[str, Member] | None = None,
                  files: Mapping[str, Attachment] | None = None) -> Reply:
        """Convert the fields, run the handler, audit it; UserError on bad input.

        ``chosen`` fills member options the page already resolved (the member shown);
        ``files`` fills file options from uploads, under the dispatcher's size limit.
        """
        for upload in (files or {}).values():
            if upload.size > self._max_attachment:
                raise UserError(too_big(upload.filename, upload.size, self._max_attachment))
        leaf = find(self._commands, path)
        now = self._clock.now()
        try:
            zone = values.zone(member.timezone)
        except UserError:
            zone = ZoneInfo("UTC")
        args: dict[str, object] = dict(chosen or {})
        for option in leaf.options:
            if option.name in args:
                continue
            if option.kind is OptionKind.FILE:
                if files and files.get(option.name) is not None:
                    args[option.name] = files[option.name]
                continue
            raw = form.get(option.name, "").strip()
            if not raw:
                continue
            check_storable(raw)
            args[option.name] = convert(option, raw, zone, now)
        missing = [o.name for o in leaf.options if o.required and o.name not in args]
        if missing:
            raise UsageError(f"`{missing[0]}` is missing.")
        incoming = Incoming(
            author=UserRef(Platform.CONSOLE, f"web:{who.member_id}", who.display_name),
            place=WEB_PLACE, text="", source_id=f"web:{uuid.uuid4().hex}", received_at=now,
            command=path.split()[0], options=dict(form), is_admin=who.admin)
        assert leaf.handler is not None
        result = await leaf.handler(Context(incoming=incoming, member=member, args=args,
                                            path=path, now=now))
        await self._access.record(who, path, {k: v.filename if isinstance(v, Attachment) else v
                                              for k, v in args.items()})
        self._changed()
        replies = [result] if isinstance(result, Reply) else list(result)
        return Reply("\n".join(r.text for r in replies))
