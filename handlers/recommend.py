"""``/recommend`` (with 👍/👎 feedback) and ``/similar``."""

from __future__ import annotations

from datetime import datetime

from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.model import Button, Reply
from bot.services.recommendations import (
    MAX_RESULTS,
    RecommendationService,
    Suggestion,
    feedback_buttons,
)

ID = Option("id", OptionKind.INTEGER, "The session's number, e.g. 12", required=True,
            min_value=1)
COUNT = Option("n", OptionKind.INTEGER, f"How many sessions (1-{MAX_RESULTS})", min_value=1,
               max_value=MAX_RESULTS)
INTERESTS_HINT = ('Tell me what you want to learn with /profile interests="python, data", '
                  "and RSVP to sessions: I learn from both.")


def commands(recommendations: RecommendationService) -> list[Command]:
    """The recommendation commands."""

    async def top(ctx: Context) -> Reply:
        result = await recommendations.recommend(
            ctx.member, ctx.get("n", int, 5), roles=ctx.incoming.roles, is_admin=ctx.is_admin)
        if not result.items:
            text = ("Nothing to suggest right now: no upcoming session you have not answered "
                    "yet. Send /events to see them all.")
            return Reply(text + ("\n" + INTERESTS_HINT if result.cold else ""), private=True)
        head = (f"I don't know your interests yet. {INTERESTS_HINT}\nMeanwhile, popular "
                "upcoming sessions:" if result.cold else "Sessions for you:")
        lines = [head, *render(result.items, ctx.member.timezone, ctx.now)]
        lines.append("RSVP with /rsvp ID going · 👍/👎 teach me what you like")
        buttons: list[Button] = []
        for item in result.items:
            buttons.extend(feedback_buttons(item.session.id))
        return Reply("\n".join(lines), private=True, buttons=tuple(buttons))

    async def feedback(ctx: Context) -> Reply:
        event_id = ctx.require("id", int)
        up = ctx.require("vote", str) == "up"
        replaced = await recommendations.vote(ctx.member, event_id, up)
        changed = " (changed your earlier vote)" if replaced else ""
        if up:
            return Reply(f"👍 noted{changed}: I'll suggest more like #{event_id}.", private=True)
        return Reply(f"👎 noted{changed}: #{event_id} and sessions like it move down.",
                     private=True)

    async def similar(ctx: Context) -> Reply:
        event_id = ctx.require("id", int)
        source, items = await recommendations.similar(
            event_id, ctx.get("n", int, 5), roles=ctx.incoming.roles, is_admin=ctx.is_admin)
        if not items:
            return Reply(f"No upcoming session is like #{source.id} {source.title} yet.")
        lines = [f"Upcoming sessions like #{source.id} {source.title}:"]
        lines += [f"{n}. #{s.session.id} {s.session.title} — "
                  f"{s.session.when(ctx.member.timezone, ctx.now)}{_full(s)}"
                  for n, s in enumerate(items, 1)]
        return Reply("\n".join(lines))

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


def render(items: tuple[Suggestion, ...] | list[Suggestion], timezone: str,
           now: datetime) -> list[str]:
    """One line per suggestion: number, title, when, and why."""
    return [f"{n}. #{s.session.id} {s.session.title} — {s.session.when(timezone, now)}"
            f"{_full(s)} · {s.reason}" for n, s in enumerate(items, 1)]


def _full(item: Suggestion) -> str:
    return " (full: you would join the waitlist)" if item.session.full else ""
