"""The points feature's words: replies to its commands and what it posts through the outbox.

Every path that speaks about points (a handler's reply, a level-up DM, the weekly post)
takes its text from here, so wording changes in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.core import values
from bot.services.points.views import (
    AwardResult,
    BadgeView,
    Board,
    RedemptionView,
    RewardView,
    Standing,
)

BADGES: Mapping[str, str] = {
    "first_event": "First event attended",
    "five_events": "Five events attended",
    "first_solve": "First challenge solved",
    "first_blood": "First to solve a challenge",
    "streak": "Active every day for a week",
    "weekly_top3": "Weekly top 3",
    "weekly_winner": "Member of the week",
}

# The short names under each badge's icon on the rank card.
BADGE_LABELS: Mapping[str, str] = {
    "first_event": "First event", "five_events": "5 events", "first_solve": "First solve",
    "first_blood": "First blood", "streak": "7-day streak", "weekly_top3": "Weekly top 3",
    "weekly_winner": "Top member",
}

PERIOD_LABELS: Mapping[str, str] = {"week": "this week", "month": "this month",
                                    "all": "all time"}
METRIC_UNITS: Mapping[str, str] = {"points": "points", "challenges": "solved",
                                   "events": "attended"}

# -- what the feature posts ---------------------------------------------------------------


def level_up(name: str, level: int) -> str:
    """The level-up DM or channel post."""
    return f"Level up! {name} reached level {level}."


def level_role(name: str, level: int, role: str) -> str:
    """The announcement of a level role, where the role itself is not visible."""
    return f"{name} reached level {level} and is now {role}!"


def badge_earned(name: str, badge: str) -> str:
    """The announcement of a new badge."""
    return f"{name} earned a badge: {BADGES[badge]}."


def render_weekly(week: str, top: Sequence[tuple[int, str, int]],
                  movers: Sequence[tuple[str, int]]) -> str:
    """The weekly leaderboard post."""
    lines = [f"Leaderboard for the week of {week[2:]}"]
    if not top:
        lines.append("Nobody earned points last week. This week is yours!")
    medals = ("🥇", "🥈", "🥉")
    for index, (_, name, value) in enumerate(top):
        mark = medals[index] if index < len(medals) else f"{index + 1}."
        lines.append(f"{mark} {name}: {values.counted(value, 'point')}")
    best = sorted(movers, key=lambda m: -m[1])[:3]
    if best:
        lines.append("Biggest movers: " + ", ".join(f"{n} (+{d})" for n, d in best))
    return "\n".join(lines)


def redemption_decided(reward: str, approved: bool, cost: int, note: str | None) -> str:
    """The DM a member gets when an admin decides their redemption."""
    if approved:
        text = f"Your redemption of {reward} was approved. Enjoy!"
    else:
        text = (f"Your redemption of {reward} was not approved; "
                f"{cost} points are back in your balance.")
    if note:
        text += f" Note from the organisers: {note}"
    return text


# -- replies to the points commands -------------------------------------------------------


def correction(verb: str, target: str, amount: int, reason: str, result: AwardResult) -> str:
    """The reply to ``/points give`` or ``/points take``."""
    if verb == "give":
        said = f"Gave {values.counted(amount, 'point')} to {target}"
    else:
        said = f"Took {values.counted(amount, 'point')} from {target}"
    level = (f" They are now level {result.level_after}."
             if result.level_after != result.level_before else "")
    return f"{said} ({reason}). Total {result.points}, balance {result.balance}.{level}"


def points_summary(standing: Standing, history: Sequence[tuple[datetime, int, str]]) -> str:
    """``/points show``: totals, and the latest ledger lines when there are any."""
    lines = [f"{standing.name}: {values.counted(standing.points, 'point')}, "
             f"balance {standing.balance}, "
             f"level {standing.level}."]
    if history:
        lines.append("Latest:")
        lines += [f"  {amount:+d} {reason}" for _, amount, reason in history]
    return "\n".join(lines)


def describe(standing: Standing) -> str:
    """The rank card as text (the caption, and the whole answer where images are not sent)."""
    rank = f"#{standing.rank} of {standing.ranked}" if standing.rank else "not ranked yet"
    lines = [
        f"{standing.name}: level {standing.level}, {values.counted(standing.points, 'point')} "
        f"({rank})",
        f"Progress: {standing.into_level}/{standing.level_size} to level {standing.level + 1}",
        f"This week: {values.counted(standing.week_points, 'point')} · "
        f"balance {standing.balance}"
        + (f" · {standing.streak}-day streak" if standing.streak > 1 else ""),
    ]
    if standing.badges:
        lines.append("Badges: " + ", ".join(sorted({BADGES.get(b, b)
                                                    for b in standing.badges})))
    return "\n".join(lines)


def leaderboard(board: Board) -> str:
    """One page of ``/leaderboard``, with how to ask for the next."""
    title = f"Leaderboard ({board.metric}, {board.label})"
    if not board.rows:
        return f"{title}: nobody yet. Take part to be the first!"
    unit = METRIC_UNITS[board.metric]
    lines = [f"{title}, page {board.page}/{board.pages}:"]
    lines += [f"{row.rank}. {row.name}: {row.value} {unit}" for row in board.rows]
    if board.page < board.pages:
        lines.append(f"Next: /leaderboard {board.period} {board.metric} {board.page + 1}")
    return "\n".join(lines)


def badges(name: str, held: Sequence[BadgeView]) -> str:
    """``/badges``: the kinds a member holds, or how to earn one."""
    if not held:
        return (f"{name} has no badges yet. Attend an event, solve a "
                "challenge or keep a streak going to earn one.")
    lines = [f"{name}'s badges:"]
    lines += [f"• {b.title}" + (f" ×{b.count}" if b.count > 1 else "") for b in held]
    return "\n".join(lines)


# -- replies to the reward shop commands ---------------------------------------------------


def reward_line(reward: RewardView) -> str:
    """One reward in the catalogue."""
    stock = "" if reward.stock is None else f", {reward.stock} left"
    role = f", gives the {reward.role} role" if reward.role else ""
    return f"• {reward.name}: {reward.cost} points{stock}{role}"


def catalogue(offered: Sequence[RewardView]) -> str:
    """``/rewards``."""
    if not offered:
        return "The reward shop is empty for now."
    return "\n".join(["Rewards (send /redeem NAME):", *map(reward_line, offered)])


def redeemed(done: RedemptionView) -> str:
    """The reply to ``/redeem``."""
    return (f"You redeemed {done.reward} for {done.cost} points (request "
            f"#{done.id}). An organiser will confirm it; I'll DM you.")


def reward_added(reward: RewardView) -> str:
    """The reply to ``/reward add``."""
    return "Added: " + reward_line(reward).removeprefix("• ")


def reward_removed(reward: RewardView) -> str:
    """The reply to ``/reward remove``."""
    return f"{reward.name} is no longer offered."


def pending(waiting: Sequence[RedemptionView]) -> str:
    """``/reward pending``."""
    if not waiting:
        return "No redemption is waiting."
    lines = ["Waiting for a decision (/reward approve|reject ID):"]
    lines += [f"#{r.id} {r.member}: {r.reward} ({r.cost} points)" for r in waiting]
    return "\n".join(lines)


def decided(done: RedemptionView) -> str:
    """The reply to ``/reward approve|reject``."""
    return (f"Redemption #{done.id} ({done.member}: {done.reward}) {done.status}; "
            "they will get a DM.")
