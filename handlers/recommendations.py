"""``/recommend`` (with 👍/👎 feedback), ``/similar`` and ``/buddy`` (study buddies)."""

from __future__ import annotations

from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.model import Button, Reply
from bot.services.recommendations import MAX_RESULTS, BuddyService, RecommendationService, texts

ID = Option("id", OptionKind.INTEGER, "The session's number, e.g. 12", required=True,
            min_value=1)
COUNT = Option("n", OptionKind.INTEGER, f"How many sessions (1-{MAX_RESULTS})", min_value=1,
               max_value=MAX_RESULTS)
PROPOSAL = Option("id", OptionKind.INTEGER, "The proposal's number", required=True,
                  min_value=1)


def commands(recommendations: RecommendationService) -> list[Command]:
    """The recommendation commands."""

    async def top(ctx: Context) -> Reply:
        result = await recommendations.recommend(
            ctx.member, ctx.get("n", int, 5), roles=ctx.incoming.roles, is_admin=ctx.is_admin)
        text = texts.suggestions(result.items, result.cold, ctx.member.timezone, ctx.now)
        if not result.items:
            return Reply(text, private=True)
        buttons: list[Button] = []
        for item in result.items:
            buttons.extend(texts.feedback_buttons(item.session.id))
        return Reply(text, private=True, buttons=tuple(buttons))

    async def feedback(ctx: Context) -> Reply:
        event_id = ctx.require("id", int)
        up = ctx.require("vote", str) == "up"
        replaced = await recommendations.vote(ctx.member, event_id, up)
        return Reply(texts.vote_noted(event_id, up, replaced), private=True)

    async def similar(ctx: Context) -> Reply:
        event_id = ctx.require("id", int)
        source, items = await recommendations.similar(
            event_id, ctx.get("n", int, 5), roles=ctx.incoming.roles, is_admin=ctx.is_admin)
        return Reply(texts.similar(source, items, ctx.member.timezone, ctx.now))

    return [
        Command(
            "recommend", "Sessions picked for you, each with why; 👍/👎 to tune them",
            subcommands=(
                Command("top", "Your top upcoming sessions", top, options=(COUNT,),
                        example="/recommend 5"),
                Command("feedback", "Tell me a suggestion was good (up) or not (down)",
                        feedback, options=(
                            ID,
                            Option("vote", OptionKind.CHOICE, "up or down", required=True,
                                   choices=("up", "down")),
                        ), example="/recommend feedback 12 up"),
            ),
            default="top",
        ),
        Command("similar", "Upcoming sessions like a given one", similar,
                options=(ID, COUNT), example="/similar 12"),
    ]


def buddy_commands(buddies: BuddyService) -> list[Command]:
    """The study-buddy commands."""

    async def find(ctx: Context) -> Reply:
        offers = await buddies.find(ctx.member)
        said = texts.buddy_offers(offers, ctx.member.timezone, ctx.now)
        if not offers:
            return Reply(said, private=True)
        return Reply(said, private=True,
                     buttons=texts.buddy_offer_buttons(offers))

    async def accept(ctx: Context) -> Reply:
        result = await buddies.accept(ctx.member, ctx.require("id", int))
        return Reply(texts.buddy_accepted(result), private=True)

    async def decline(ctx: Context) -> Reply:
        proposal_id = ctx.require("id", int)
        await buddies.decline(ctx.member, proposal_id)
        return Reply(texts.buddy_declined(proposal_id), private=True)

    async def off(ctx: Context) -> Reply:
        withdrawn = await buddies.opt_out(ctx.member)
        return Reply(texts.buddy_off(withdrawn), private=True)

    return [
        Command(
            "buddy", "Find a study buddy with close interests and hours (opt-in)",
            subcommands=(
                Command("find", "Opt in and see up to three proposals", find),
                Command("accept", "Accept a proposal (names shared if both accept)", accept,
                        options=(PROPOSAL,)),
                Command("decline", "Decline a proposal", decline, options=(PROPOSAL,)),
                Command("off", "Stop study-buddy matching", off),
            ),
            default="find",
        ),
    ]
