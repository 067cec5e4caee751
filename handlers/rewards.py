"""``/rewards``, ``/redeem`` and the admins' ``/reward add|remove|pending|approve|reject``."""

from __future__ import annotations

from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.model import Reply
from bot.services.rewards import MAX_COST, MAX_NAME, MAX_STOCK, RewardService, RewardView

_NAME = Option("name", OptionKind.TEXT, "The reward's name", required=True, max_length=MAX_NAME)
_ID = Option("id", OptionKind.INTEGER, "Redemption number", required=True, min_value=1)


def _line(reward: RewardView) -> str:
    stock = "" if reward.stock is None else f", {reward.stock} left"
    role = f", gives the {reward.role} role" if reward.role else ""
    return f"• {reward.name}: {reward.cost} points{stock}{role}"


def commands(rewards: RewardService) -> list[Command]:
    """The reward shop commands."""

    async def catalogue(ctx: Context) -> Reply:
        del ctx
        offered = await rewards.catalogue()
        if not offered:
            return Reply("The reward shop is empty for now.")
        return Reply("\n".join(["Rewards (send /redeem NAME):", *map(_line, offered)]))

    async def redeem(ctx: Context) -> Reply:
        done = await rewards.redeem(ctx.member, ctx.require("name", str))
        return Reply(f"You redeemed {done.reward} for {done.cost} points (request "
                     f"#{done.id}). An organiser will confirm it; I'll DM you.", private=True)

    async def add(ctx: Context) -> Reply:
        reward = await rewards.add(ctx.require("name", str), ctx.require("cost", int),
                                   ctx.get("stock", int), ctx.get("role", str))
        return Reply("Added: " + _line(reward).removeprefix("• "))

    async def remove(ctx: Context) -> Reply:
        reward = await rewards.remove(ctx.require("name", str))
        return Reply(f"{reward.name} is no longer offered.")

    async def pending(ctx: Context) -> Reply:
        del ctx
        waiting = await rewards.pending()
        if not waiting:
            return Reply("No redemption is waiting.")
        lines = ["Waiting for a decision (/reward approve|reject ID):"]
        lines += [f"#{r.id} {r.member}: {r.reward} ({r.cost} points)" for r in waiting]
        return Reply("\n".join(lines))

    def decision(approve: bool) -> Command:
        verb = "approve" if approve else "reject"

        async def run(ctx: Context) -> Reply:
            done = await rewards.decide(ctx.member, ctx.require("id", int), approve,
                                        ctx.get("note", str))
            return Reply(f"Redemption #{done.id} ({done.member}: {done.reward}) {done.status}; "
                         "they will get a DM.")

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
