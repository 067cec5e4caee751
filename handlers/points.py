"""``/points``, ``/rank``, ``/leaderboard``, ``/badges`` and the chat-message points rule."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.dispatch import Listener, MessageContext
from bot.core.model import FileOut, Member, Reply
from bot.services import cards
from bot.services.points import PointsService

_MEMBER = Option("member", OptionKind.MEMBER, "Whose (default: you)")


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
                said = f"Gave {amount} points to {target.display_name}"
            else:
                result = await points.take(ctx.member, target, amount, reason,
                                           ctx.incoming.source_id)
                said = f"Took {amount} points from {target.display_name}"
            level = (f" They are now level {result.level_after}."
                     if result.level_after != result.level_before else "")
            return Reply(f"{said} ({reason}). Total {result.points}, "
                         f"balance {result.balance}.{level}")

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
        standing = await points.standing(target)
        lines = [f"{standing.name}: {standing.points} points, balance {standing.balance}, "
                 f"level {standing.level}."]
        history = await points.history(target.member_id, 5)
        if history and target.member_id == ctx.member.member_id:
            lines.append("Latest:")
            lines += [f"  {amount:+d} {reason}" for _, amount, reason in history]
        return Reply("\n".join(lines), private=target.member_id == ctx.member.member_id)

    async def rank(ctx: Context) -> Reply:
        target = ctx.get("member", Member) or ctx.member
        standing = await points.standing(target)
        text = cards.describe(standing)
        card = await asyncio.to_thread(cards.render_card, standing)
        # Platforms that cannot show the image still get the whole card as text.
        return Reply(text, file=FileOut(f"rank-{standing.member_id}.png", card, "image/png"))

    async def leaderboard(ctx: Context) -> Reply:
        period = ctx.get("period", str, "week")
        metric = ctx.get("board", str, "points")
        page = ctx.get("page", int, 1)
        board = await points.leaderboard(period, metric, page, 10)
        unit = {"points": "points", "challenges": "solved", "events": "attended"}[metric]
        title = f"Leaderboard ({metric}, {board.label})"
        if not board.rows:
            return Reply(f"{title}: nobody yet. Take part to be the first!")
        lines = [f"{title}, page {board.page}/{board.pages}:"]
        lines += [f"{row.rank}. {row.name}: {row.value} {unit}" for row in board.rows]
        if board.page < board.pages:
            lines.append(f"Next: /leaderboard {period} {metric} {board.page + 1}")
        return Reply("\n".join(lines))

    async def badges(ctx: Context) -> Reply:
        target = ctx.get("member", Member) or ctx.member
        held = await points.badges(target.member_id)
        if not held:
            return Reply(f"{target.display_name} has no badges yet. Attend an event, solve a "
                         "challenge or keep a streak going to earn one.")
        lines = [f"{target.display_name}'s badges:"]
        lines += [f"• {b.title}" + (f" ×{b.count}" if b.count > 1 else "") for b in held]
        return Reply("\n".join(lines))

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


def listeners(points: PointsService) -> Sequence[Listener]:
    """The chat-message rule; it replies nothing (level-ups go through the outbox)."""

    async def on_message(context: MessageContext) -> Sequence[Reply]:
        await points.on_message(context)
        return []

    return [on_message]
