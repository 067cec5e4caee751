"""``/buddy``: opt in to study-buddy matching, accept or decline anonymous proposals."""

from __future__ import annotations

from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.model import Button, Reply
from bot.services.buddies import BuddyService

ID = Option("id", OptionKind.INTEGER, "The proposal's number", required=True, min_value=1)


def commands(buddies: BuddyService) -> list[Command]:
    """The study-buddy commands."""

    async def find(ctx: Context) -> Reply:
        offers = await buddies.find(ctx.member)
        if not offers:
            return Reply("You're open to study buddies now (/buddy off to stop). Nobody "
                         "close enough has opted in yet; I'll have more when they do: "
                         "try /buddy again later.", private=True)
        lines = ["You're open to study buddies (/buddy off to stop). Proposals — names are "
                 "shared only when both of you accept:"]
        buttons: list[Button] = []
        for offer in offers:
            state = ("you accepted; waiting for them" if offer.accepted_by_me
                     else "they accepted!" if offer.accepted_by_them else "new")
            lines.append(f"#{offer.proposal_id}: shares {offer.shared} ({state})")
            if not offer.accepted_by_me:
                buttons.append(Button(f"Accept #{offer.proposal_id}",
                                      f"/buddy accept {offer.proposal_id}"))
        lines.append("Accept with /buddy accept ID, or /buddy decline ID.")
        return Reply("\n".join(lines), private=True, buttons=tuple(buttons))

    async def accept(ctx: Context) -> Reply:
        result = await buddies.accept(ctx.member, ctx.require("id", int))
        if result.revealed:
            return Reply(f"It's a match with {result.partner}! I've sent you both a DM.",
                         private=True)
        return Reply(f"Accepted #{result.proposal_id}. If they accept too, I'll DM you both "
                     "each other's names.", private=True)

    async def decline(ctx: Context) -> Reply:
        proposal_id = ctx.require("id", int)
        await buddies.decline(ctx.member, proposal_id)
        return Reply(f"Declined #{proposal_id}; nothing was shared.", private=True)

    async def off(ctx: Context) -> Reply:
        withdrawn = await buddies.opt_out(ctx.member)
        extra = f" {withdrawn} open proposal(s) withdrawn." if withdrawn else ""
        return Reply(f"You're no longer matched with study buddies.{extra}", private=True)

    return [
        Command(
            "buddy", "Find a study buddy with close interests and hours (opt-in)",
            subcommands=(
                Command("find", "Opt in and see up to three proposals", find),
                Command("accept", "Accept a proposal (names shared if both accept)", accept,
                        options=(ID,)),
                Command("decline", "Decline a proposal", decline, options=(ID,)),
                Command("off", "Stop study-buddy matching", off),
            ),
            default="find",
        ),
    ]
