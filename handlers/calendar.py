"""``/calendar``: a member's private calendar feed link, and ``/calendar reset``."""

from __future__ import annotations

from bot.core.commands import Command, Context
from bot.core.model import Reply
from bot.services.calendar import CalendarService, texts


def commands(calendar: CalendarService) -> list[Command]:
    """The calendar command (answered privately: the link opens the member's feed)."""

    async def show(ctx: Context) -> Reply:
        link = await calendar.link(ctx.member)
        if link.url is None:
            return Reply(texts.existing_link(link.created_at, ctx.member.timezone, ctx.now),
                         private=True)
        return Reply(texts.new_link(link.url), private=True)

    async def reset(ctx: Context) -> Reply:
        link = await calendar.reset(ctx.member)
        assert link.url is not None
        return Reply(texts.reset_link(link.url), private=True)

    return [Command(
        "calendar", "Your private calendar feed of the sessions you are going to",
        default="show",
        subcommands=(
            Command("show", "Get your calendar feed link", show),
            Command("reset", "Turn off your old calendar link and get a new one", reset),
        ),
    )]
