"""``/profile``, ``/link``, ``/unlink``, ``/mydata``, ``/forgetme``: a member's own data."""

from __future__ import annotations

from bot.core.commands import Command, Context, Option, OptionKind, Where
from bot.core.model import FileOut, Reply
from bot.services.events import EventService
from bot.services.members import (
    LinkService,
    PrivacyService,
    ProfileChange,
    ProfileService,
    texts,
)


def profile_commands(profiles: ProfileService, events: EventService) -> list[Command]:
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
            return Reply(texts.profile(ctx.member))
        updated = await profiles.update(ctx.member, change)
        if change.touches_reminders:
            await events.replan_member(updated.member_id)
        return Reply(texts.profile_updated(updated))

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


def privacy_commands(privacy: PrivacyService) -> list[Command]:
    """The privacy commands."""

    async def mydata(ctx: Context) -> Reply:
        data = await privacy.export(ctx.member)
        return Reply(texts.MYDATA, private=True,
                     file=FileOut(texts.export_name(ctx.member), data, "application/json"))

    async def forgetme(ctx: Context) -> Reply:
        if ctx.get("confirm", str) != "confirm":
            return Reply(texts.FORGET_CONFIRM, private=True)
        await privacy.forget(ctx.member)
        return Reply(texts.FORGOTTEN, private=True)

    return [
        Command("mydata", "Download everything Cohort stores about you", mydata),
        Command(
            "forgetme", "Delete everything Cohort stores about you", forgetme,
            options=(Option("confirm", OptionKind.CHOICE, "Type confirm to delete",
                            choices=("confirm",)),),
            example="/forgetme confirm",
        ),
    ]


def link_commands(links: LinkService) -> list[Command]:
    """The linking commands."""

    async def link(ctx: Context) -> Reply:
        author = ctx.incoming.author
        code = ctx.get("code", str)
        if code is None:
            issued = await links.issue(ctx.member, author.platform)
            return Reply(texts.link_code(issued, author.platform), private=True)
        result = await links.redeem(ctx.member, author, code)
        return Reply(texts.linked(result), private=True)

    async def unlink(ctx: Context) -> Reply:
        await links.unlink(ctx.member, ctx.incoming.author)
        return Reply(texts.unlinked(ctx.incoming.author.platform), private=True)

    return [
        Command(
            "link", "Link your Discord and Telegram accounts with a one-time code", link,
            options=(Option("code", OptionKind.TEXT, "The code from your other account",
                            max_length=40),),
            where=Where.DM,
            example="/link K7QX2M9P",
        ),
        Command("unlink", "Separate this account from your linked accounts", unlink),
    ]
