"""``/audit [count]``: the latest admin commands, for admins (every one is logged)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core import values
from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.errors import UserError
from bot.core.model import Reply
from bot.services.audit import AuditService, texts
from bot.services.audit.service import MAX_SHOWN


def commands(audit: AuditService) -> list[Command]:
    """The ``/audit`` command."""

    async def show(ctx: Context) -> Reply:
        found = await audit.recent(ctx.get("count", int, 20))
        try:
            zone = values.zone(ctx.member.timezone)
        except UserError:
            zone = ZoneInfo("UTC")
        return Reply(texts.entries(found, zone), private=True)

    return [Command(
        "audit", "Show the latest admin commands and who ran them", show, admin=True,
        options=(Option("count", OptionKind.INTEGER, "How many to show",
                        min_value=1, max_value=MAX_SHOWN),),
        example="/audit 10",
    )]
