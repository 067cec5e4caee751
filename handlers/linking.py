"""``/link`` and ``/unlink``: one member across Discord and Telegram."""

from __future__ import annotations

from bot.core.commands import Command, Context, Option, OptionKind, Where
from bot.core.model import Reply
from bot.services.linking import LinkService


def commands(links: LinkService) -> list[Command]:
    """The linking commands."""

    async def link(ctx: Context) -> Reply:
        author = ctx.incoming.author
        code = ctx.get("code", str)
        if code is None:
            issued = await links.issue(ctx.member, author.platform)
            lines = [
                f"Your link code is {issued.code} (valid for 10 minutes).",
                f"On your other account (Discord or Telegram), send: /link {issued.code}",
            ]
            if issued.deep_link and author.platform.value != "telegram":
                lines.append(f"Or open this on Telegram: {issued.deep_link}")
            lines.append("Your points, RSVPs and profile will then be one.")
            return Reply("\n".join(lines), private=True)
        result = await links.redeem(ctx.member, author, code)
        platforms = " and ".join(p.capitalize() for p in result.platforms)
        return Reply(f"Linked! Your {platforms} accounts are now one member, "
                     f"{result.member.display_name}. Send /unlink to separate them.",
                     private=True)

    async def unlink(ctx: Context) -> Reply:
        await links.unlink(ctx.member, ctx.incoming.author)
        platform = ctx.incoming.author.platform.value.capitalize()
        return Reply(f"Unlinked. This {platform} account is on its own again; your history "
                     "stays with your other account.", private=True)

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
