"""``/config channel announcements|leaderboard``: where scheduled posts go, per platform."""

from __future__ import annotations

from bot.core.commands import Command, Context, Option, OptionKind, Where
from bot.core.model import Reply
from bot.services.channels import ChannelRole, ChannelRoles


def commands(channels: ChannelRoles) -> list[Command]:
    """The ``/config`` group (admins only)."""

    async def channel(ctx: Context) -> Reply:
        role = ChannelRole(ctx.require("role", str))
        place = ctx.incoming.place
        await channels.assign(place.platform, role, place.place_id)
        return Reply(f"This channel now gets the {role.value} posts on "
                     f"{place.platform.value.capitalize()}.")

    async def show(ctx: Context) -> Reply:
        lines = ["Configured channels:"]
        for role in ChannelRole:
            places = await channels.everywhere(role)
            shown = ", ".join(f"{p.value.capitalize()} {place}" for p, place in places)
            lines.append(f"{role.value}: {shown or '(none; run /config channel here)'}")
        return Reply("\n".join(lines), private=True)

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
