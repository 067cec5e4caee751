"""``/profile``: show or change interests, time zone and DM preferences."""

from __future__ import annotations

from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.model import Member, Reply
from bot.services.events import EventService
from bot.services.profiles import ProfileChange, ProfileService


def commands(profiles: ProfileService, events: EventService) -> list[Command]:
    """The profile command."""

    async def profile(ctx: Context) -> Reply:
        change = ProfileChange(
            interests=ctx.get("interests", str),
            timezone=ctx.get("timezone", str),
            dms=ctx.get("dms", bool),
            digests=ctx.get("digests", bool),
            reminders=ctx.get("reminders", str),
            quiet=ctx.get("quiet", str),
        )
        if change == ProfileChange():
            return Reply(_render(ctx.member))
        updated = await profiles.update(ctx.member, change)
        if change.touches_reminders:
            await events.replan_member(updated.member_id)
        return Reply("Profile updated.\n" + _render(updated))

    return [
        Command(
            "profile", "Show or change your interests, time zone and DM settings", profile,
            options=(
                Option("interests", OptionKind.TEXT, "What you want to learn, free text",
                       max_length=500),
                Option("timezone", OptionKind.TEXT, "IANA time zone, e.g. Europe/Berlin",
                       max_length=64),
                Option("dms", OptionKind.BOOLEAN, "Reminders and feedback requests by DM"),
                Option("digests", OptionKind.BOOLEAN, "A weekly DM of recommended sessions"),
                Option("reminders", OptionKind.TEXT, "Your reminder offsets, e.g. 2h,15m or off",
                       max_length=100),
                Option("quiet", OptionKind.TEXT, "Quiet hours, e.g. 23:00-08:00 or off",
                       max_length=20),
            ),
            example='/profile interests="python, async, data" timezone=Europe/Berlin dms=on',
        )
    ]


def _render(member: Member) -> str:
    return "\n".join([
        f"Profile of {member.display_name}",
        f"Interests: {member.interests or '(none yet — set them to get recommendations)'}",
        f"Time zone: {member.timezone}",
        f"DMs (reminders, feedback): {'on' if member.dms else 'off'}",
        f"Weekly digest: {'on' if member.digests else 'off'}",
        f"Reminders: {member.reminders or 'event defaults'}"
        + (f" · quiet hours {member.quiet_hours}" if member.quiet_hours else ""),
    ])
