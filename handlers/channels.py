"""``/config channel announcements|leaderboard``: where scheduled posts go, per platform."""

from __future__ import annotations

from bot.core.commands import Command, Context, Option, OptionKind, Where
from bot.core.model import Reply
from bot.services.channels import ChannelRole, ChannelRoles, texts


def commands(channels: ChannelRoles) -> list[Command]:
    """The ``/config`` group (admins only)."""

    async def channel(ctx: Context) -> Reply:
        role = ChannelRole(ctx.require("role", str))
        place = ctx.incoming.place
        await channels.assign(place.platform, role, place.place_id)
        return Reply(texts.assigned(role, place.platform))

    async def show(ctx: Context) -> Reply:
        places = {role: await channels.everywhere(role) for role in ChannelRole}
        return Reply(texts.configured(places), private=True)

    return [
        Command(
            "config", "Configure the bot for this community", admin=True,
            subcommands=(
                Command(
                    "channel", "Make this channel receive announcements or leaderboards",
                    channel, admin=True, where=Where.GROUP,
                    options=(Option("role", OptionKind.CHOICE, "What this channel is for",
                                    required=True, choices=tuple(r.value for r in ChannelRole)),),
                    example="/config channel announcements",
                ),
                Command("channels", "Show which channels are configured", show, admin=True),
            ),
        )
    ]
