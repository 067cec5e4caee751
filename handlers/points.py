"""``/points``, ``/rank``, ``/leaderboard``, ``/badges``, the reward shop, and the chat rule.

The reward shop (``/rewards``, ``/redeem``, the admins' ``/reward``) spends points, so it
lives with them; every reply's words come from :mod:`bot.services.points.texts`.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.dispatch import Listener, MessageContext
from bot.core.model import FileOut, Member, Reply
from bot.core.offload import off_loop
from bot.render import cards
from bot.services.points import MAX_COST, MAX_NAME, MAX_STOCK, PointsService, RewardService, texts

_MEMBER = Option("member", OptionKind.MEMBER, "Whose (default: you)")
_NAME = Option("name", OptionKind.TEXT, "The reward's name", required=True, max_length=MAX_NAME)
_ID = Option("id", OptionKind.INTEGER, "Redemption number", required=True, min_value=1)


def commands(points: PointsService) -> list[Command]:
    """The points commands."""
    limit = points.rules.max_admin_amount

    def correction(verb: str) -> Command:
        async def run(ctx: Context) -> Reply:
            target = ctx.require("member", Member)
            amount = ctx.require("amount", int)
            reason = ctx.require("reason", str)
            if verb == "give":
                result = await points.give(ctx.member, target, amount, reason,
                                           ctx.incoming.source_id)
            else:
                result = await points.take(ctx.member, target, amount, reason,
                                           ctx.incoming.source_id)
            return Reply(texts.correction(verb, target.display_name, amount, reason, result))

        return Command(
            verb, f"{verb.capitalize()} points {'to' if verb == 'give' else 'from'} a member",
            run, admin=True,
            options=(
                Option("member", OptionKind.MEMBER, "Who", required=True),
                Option("amount", OptionKind.INTEGER, "How many points", required=True,
                       min_value=1, max_value=limit),
                Option("reason", OptionKind.TEXT, "Why (kept in the ledger)", required=True,
                       rest=True, max_length=150),
            ),
            example=f"/points {verb} @maya 50 helped at the workshop",
        )

    async def show(ctx: Context) -> Reply:
        target = ctx.get("member", Member) or ctx.member
        own = target.member_id == ctx.member.member_id
        standing = await points.standing(target)
        history = await points.history(target.member_id, 5)
        return Reply(texts.points_summary(standing, history if own else []), private=own)

    async def rank(ctx: Context) -> Reply:
        target = ctx.get("member", Member) or ctx.member
        standing = await points.standing(target)
        text = texts.describe(standing)
        card = await off_loop(cards.render_card, standing)
        # Platforms that cannot show the image still get the whole card as text.
        return Reply(text, file=FileOut(f"rank-{standing.member_id}.png", card, "image/png"))

    async def leaderboard(ctx: Context) -> Reply:
        period = ctx.get("period", str, "week")
        metric = ctx.get("board", str, "points")
        page = ctx.get("page", int, 1)
        return Reply(texts.leaderboard(await points.leaderboard(period, metric, page, 10)))

    async def badges(ctx: Context) -> Reply:
        target = ctx.get("member", Member) or ctx.member
        return Reply(texts.badges(target.display_name, await points.badges(target.member_id)))

    return [
        Command("points", "See or correct points", subcommands=(
            Command("show", "Your points, or another member's", show, options=(_MEMBER,)),
            correction("give"),
            correction("take"),
        ), default="show"),
        Command("rank", "Your rank card: level, progress, rank, badges", rank,
                options=(_MEMBER,), example="/rank @maya"),
        Command("leaderboard", "Top members this week, this month or all time", leaderboard,
                options=(
                    Option("period", OptionKind.CHOICE, "Which period (default week)",
                           choices=("week", "month", "all")),
                    Option("board", OptionKind.CHOICE, "Ranked by (default points)",
                           choices=("points", "challenges", "events")),
                    Option("page", OptionKind.INTEGER, "Page (10 per page)", min_value=1,
                           max_value=10_000),
                ), example="/leaderboard month challenges"),
        Command("badges", "Badges you or another member earned", badges, options=(_MEMBER,)),
    ]


def reward_commands(rewards: RewardService) -> list[Command]:
    """The reward shop commands."""

    async def catalogue(ctx: Context) -> Reply:
        del ctx
        return Reply(texts.catalogue(await rewards.catalogue()))

    async def redeem(ctx: Context) -> Reply:
        done = await rewards.redeem(ctx.member, ctx.require("name", str))
        return Reply(texts.redeemed(done), private=True)

    async def add(ctx: Context) -> Reply:
        reward = await rewards.add(ctx.require("name", str), ctx.require("cost", int),
                                   ctx.get("stock", int), ctx.get("role", str))
        return Reply(texts.reward_added(reward))

    async def remove(ctx: Context) -> Reply:
        return Reply(texts.reward_removed(await rewards.remove(ctx.require("name", str))))

    async def pending(ctx: Context) -> Reply:
        del ctx
        return Reply(texts.pending(await rewards.pending()))

    def decision(approve: bool) -> Command:
        verb = "approve" if approve else "reject"

        async def run(ctx: Context) -> Reply:
            done = await rewards.decide(ctx.member, ctx.require("id", int), approve,
                                        ctx.get("note", str))
            return Reply(texts.decided(done))

        return Command(verb, f"{verb.capitalize()} a redemption (the member gets a DM)", run,
                       options=(_ID, Option("note", OptionKind.TEXT, "A note for the member",
                                            rest=True, max_length=300)),
                       example=f"/reward {verb} 3")

    return [
        Command("rewards", "What you can redeem points for", catalogue),
        Command("redeem", "Spend points on a reward", redeem, options=(
            Option("name", OptionKind.TEXT, "The reward's name", required=True, rest=True,
                   max_length=MAX_NAME),), example="/redeem sticker pack"),
        Command("reward", "Manage the reward shop", admin=True, subcommands=(
            Command("add", "Offer a reward", add, options=(
                _NAME,
                Option("cost", OptionKind.INTEGER, "Price in points", required=True,
                       min_value=1, max_value=MAX_COST),
                Option("stock", OptionKind.INTEGER, "How many (default unlimited)",
                       keyword=True, min_value=0, max_value=MAX_STOCK),
                Option("role", OptionKind.TEXT, "Discord role it gives", keyword=True,
                       max_length=100),
            ), example='/reward add "sticker pack" 200 stock=10'),
            Command("remove", "Stop offering a reward", remove, options=(
                Option("name", OptionKind.TEXT, "The reward's name", required=True, rest=True,
                       max_length=MAX_NAME),)),
            Command("pending", "Redemptions waiting for a decision", pending),
            decision(True),
            decision(False),
        )),
    ]


def listeners(points: PointsService) -> Sequence[Listener]:
    """The chat-message rule; it replies nothing (level-ups go through the outbox)."""

    async def on_message(context: MessageContext) -> Sequence[Reply]:
        await points.on_message(context)
        return []

    return [on_message]
