"""``/mydata`` and ``/forgetme``."""

from __future__ import annotations

from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.model import FileOut, Reply
from bot.services.privacy import PrivacyService


def commands(privacy: PrivacyService) -> list[Command]:
    """The privacy commands."""

    async def mydata(ctx: Context) -> Reply:
        data = await privacy.export(ctx.member)
        name = f"cohort-data-{ctx.member.member_id}.json"
        return Reply(
            "Here is everything I store about you.",
            private=True,
            file=FileOut(name, data, "application/json"),
        )

    async def forgetme(ctx: Context) -> Reply:
        if ctx.get("confirm", str) != "confirm":
            return Reply(
                "This deletes your profile, your activity history and any stored messages; "
                "points you earned stay in the totals anonymously. "
                "Send /forgetme confirm to go ahead.",
                private=True,
            )
        await privacy.forget(ctx.member)
        return Reply("Done. I have forgotten you. Goodbye, and welcome back any time.",
                     private=True)

    return [
        Command("mydata", "Download everything Cohort stores about you", mydata),
        Command(
            "forgetme", "Delete everything Cohort stores about you", forgetme,
            options=(Option("confirm", OptionKind.CHOICE, "Type confirm to delete",
                            choices=("confirm",)),),
            example="/forgetme confirm",
        ),
    ]
