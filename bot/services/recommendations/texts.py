"""The words of recommendations and study buddies: replies, digests and buddy DMs."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.core import values
from bot.core.model import Button
from bot.services.recommendations.views import Acceptance, BuddyOffer, Session, Suggestion

if TYPE_CHECKING:
    from recommender import Reason

INTERESTS_HINT = ('Tell me what you want to learn with /profile interests="python, data", '
                  "and RSVP to sessions: I learn from both.")


# -- sessions and suggestions -----------------------------------------------------------------


def when(session: Session, timezone: str, now: datetime) -> str:
    """``Tue 01 Dec 18:00 CET (in 3 days)`` in the reader's zone; a series says how often.

    A series is listed once, by its next occurrence: ``weekly · next on Tue 01 Dec …``.
    """
    local = session.start.astimezone(values.zone(timezone))
    at = f"{local:%a %d %b %H:%M} {local.tzname()} ({values.relative(session.start, now)})"
    if session.series_id is None:
        return at
    return f"{cadence(session.repeats)} · next on {at}"


FREQUENCIES = {"DAILY": ("daily", "days"), "WEEKLY": ("weekly", "weeks"),
               "MONTHLY": ("monthly", "months"), "YEARLY": ("yearly", "years")}


def cadence(rule: str | None) -> str:
    """``FREQ=WEEKLY`` -> "weekly", ``FREQ=WEEKLY;INTERVAL=2`` -> "every 2 weeks"."""
    parts = dict(p.split("=", 1) for p in (rule or "").upper().split(";") if "=" in p)
    once, many = FREQUENCIES.get(parts.get("FREQ", ""), ("", ""))
    if not once:
        return "recurring"
    interval = parts.get("INTERVAL", "1")
    return once if interval in ("", "1") or not interval.isdigit() else f"every {interval} {many}"


POPULAR_MIN = 3  # "popular" needs at least this many going
SOON = timedelta(days=3)  # "starting soon" needs the start this close


def reason(why: Reason, sessions: Mapping[int, Session], pick: Session, now: datetime) -> str:
    """The one-line reason ``pick`` was suggested; "" when no signal is worth naming.

    A popularity or soonness reason is said only when it is true of the pick; a past
    occurrence of the pick's own series is worded as the series.
    """
    from recommender import ReasonKind

    ref = sessions.get(why.item_id) if why.item_id is not None else None
    title = f"#{ref.id} {ref.title}" if ref else "a session"
    same_series = ref is not None and ref.series_id is not None \
        and ref.series_id == pick.series_id
    match why.kind:
        case ReasonKind.ATTENDED if same_series:
            return "you came to earlier sessions of this series"
        case ReasonKind.ATTENDED:
            return f"you attended {title}"
        case ReasonKind.RSVPED:
            return f"you signed up for {title}"
        case ReasonKind.RATED:
            return f"you rated {title} highly"
        case ReasonKind.LIKED:
            return f"you liked {title}"
        case ReasonKind.INTEREST:
            return f"matches your interest in {why.interest}"
        case ReasonKind.CONVERSATION:
            return "close to what you have been discussing"
        case ReasonKind.MEMBERS_LIKE_YOU:
            return ("members like you are going"
                    + (f" (they also attended {title})" if ref else ""))
        case ReasonKind.SIMILAR:
            return f"like {title}"
        case ReasonKind.GROUP:
            return "from an organiser whose sessions you often attend"
        case ReasonKind.HABIT:
            return "at a time you usually come"
        case ReasonKind.POPULAR if pick.going >= POPULAR_MIN:
            return f"popular: {pick.going} members are going"
        case ReasonKind.SOON if pick.start - now <= SOON:
            return "starting soon"
        case _:
            return ""


def _why(item: Suggestion) -> str:
    return f" · {item.reason}" if item.reason else ""


def like(source: Session) -> str:
    """The reason of a ``/similar`` result."""
    return f"like #{source.id} {source.title}"


def feedback_buttons(event_id: int) -> tuple[Button, ...]:
    """👍/👎 buttons for one recommended session (their actions are command lines)."""
    return (Button(f"👍 #{event_id}", f"/recommend feedback {event_id} up"),
            Button(f"👎 #{event_id}", f"/recommend feedback {event_id} down"))


def _full(item: Suggestion) -> str:
    return " (full: you would join the waitlist)" if item.session.full else ""


def suggestion_lines(items: Sequence[Suggestion], timezone: str, now: datetime) -> list[str]:
    """One line per suggestion: number, title, when, and why."""
    return [f"{n}. #{s.session.id} {s.session.title} — {when(s.session, timezone, now)}"
            f"{_full(s)}{_why(s)}" for n, s in enumerate(items, 1)]


def suggestions(items: Sequence[Suggestion], cold: bool, timezone: str,
                now: datetime) -> str:
    """The text of ``/recommend``."""
    if not items:
        text = ("Nothing to suggest right now: no upcoming session you have not answered "
                "yet. Send /events to see them all.")
        return text + ("\n" + INTERESTS_HINT if cold else "")
    head = (f"I don't know your interests yet. {INTERESTS_HINT}\nMeanwhile, popular "
            "upcoming sessions:" if cold else "Sessions for you:")
    lines = [head, *suggestion_lines(items, timezone, now)]
    lines.append("RSVP with /rsvp ID going · 👍/👎 teach me what you like")
    return "\n".join(lines)


def vote_noted(event_id: int, up: bool, replaced: bool) -> str:
    """The answer to 👍/👎."""
    changed = " (changed your earlier vote)" if replaced else ""
    if up:
        return f"👍 noted{changed}: I'll suggest more like #{event_id}."
    return f"👎 noted{changed}: #{event_id} and sessions like it move down."


def similar(source: Session, items: Sequence[Suggestion], timezone: str,
            now: datetime) -> str:
    """The text of ``/similar``."""
    if not items:
        return f"No upcoming session is like #{source.id} {source.title} yet."
    lines = [f"Upcoming sessions like #{source.id} {source.title}:"]
    lines += [f"{n}. #{s.session.id} {s.session.title} — "
              f"{when(s.session, timezone, now)}{_full(s)}"
              for n, s in enumerate(items, 1)]
    return "\n".join(lines)


def digest(week: str, items: Sequence[Suggestion], timezone: str, now: datetime) -> str:
    """The weekly digest DM."""
    lines = [f"Sessions picked for you this week ({week}):"]
    for item in items:
        lines.append(f"• #{item.session.id} {item.session.title} — "
                     f"{when(item.session, timezone, now)}{_why(item)}")
    lines.append("RSVP with /rsvp ID going · 👍/👎 tune what you get · "
                 "stop with /profile digests=off")
    return "\n".join(lines)


# -- study buddies ----------------------------------------------------------------------------


def contact(name: str, accounts: Sequence[tuple[str, str | None, str]]) -> str:
    """``Ada (@ada on discord, Ada L on telegram)`` from (platform, handle, display name)."""
    where = ", ".join(f"@{handle} on {platform}" if handle else f"{display} on {platform}"
                      for platform, handle, display in accounts)
    return f"{name} ({where})" if where else name


_UTC_HOURS = re.compile(r"(\d{2}):00-(\d{2}):00 UTC")


def local_hours(shared: str, timezone: str, now: datetime) -> str:
    """What a pair shares, with its ``18:00-21:00 UTC`` hours in the reader's own zone."""
    tz = values.zone(timezone)

    def shift(match: re.Match[str]) -> str:
        day = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        start = day.replace(hour=int(match[1])).astimezone(tz)
        end = day.replace(hour=int(match[2])).astimezone(tz)
        return f"{start:%H:%M}-{end:%H:%M} {start.tzname()}"

    return _UTC_HOURS.sub(shift, shared)


def buddy_invite(proposal_id: int, shared: str, timezone: str, now: datetime) -> str:
    """The DM to the other side when one side accepted, in their zone."""
    shared = local_hours(shared, timezone, now)
    return (f"A member who shares your interest in {shared} would like to "
            f"study together. Names are shared only if you accept too: "
            f"/buddy accept {proposal_id} or /buddy decline {proposal_id}")


def buddy_invite_buttons(proposal_id: int) -> tuple[Button, ...]:
    """Accept / decline buttons under an invitation."""
    return (Button("Accept", f"/buddy accept {proposal_id}"),
            Button("Decline", f"/buddy decline {proposal_id}"))


def buddy_reveal(proposal_id: int, shared: str, partner: str, timezone: str,
                 now: datetime) -> str:
    """The DM to both sides once both accepted, in the reader's zone."""
    shared = local_hours(shared, timezone, now)
    return (f"It's a match! You and {partner} both accepted study-buddy proposal "
            f"#{proposal_id} ({shared}). Say hello!")


def buddy_offers(offers: Sequence[BuddyOffer], timezone: str = "UTC",
                 now: datetime | None = None) -> str:
    """The text of ``/buddy``, its shared hours in the reader's zone."""
    if not offers:
        return ("You're open to study buddies now (/buddy off to stop). Nobody "
                "close enough has opted in yet; I'll have more when they do: "
                "try /buddy again later.")
    lines = ["You're open to study buddies (/buddy off to stop). Proposals — names are "
             "shared only when both of you accept:"]
    for offer in offers:
        state = ("you accepted; waiting for them" if offer.accepted_by_me
                 else "they accepted!" if offer.accepted_by_them else "new")
        shared = local_hours(offer.shared, timezone, now) if now else offer.shared
        lines.append(f"#{offer.proposal_id}: shares {shared} ({state})")
    lines.append("Accept with /buddy accept ID, or /buddy decline ID.")
    return "\n".join(lines)


def buddy_offer_buttons(offers: Sequence[BuddyOffer]) -> tuple[Button, ...]:
    """An accept button for each proposal not yet accepted."""
    return tuple(Button(f"Accept #{o.proposal_id}", f"/buddy accept {o.proposal_id}")
                 for o in offers if not o.accepted_by_me)


def buddy_accepted(result: Acceptance) -> str:
    """The answer to ``/buddy accept``."""
    if result.revealed:
        return f"It's a match with {result.partner}! I've sent you both a DM."
    return (f"Accepted #{result.proposal_id}. If they accept too, I'll DM you both "
            "each other's names.")


def buddy_declined(proposal_id: int) -> str:
    """The answer to ``/buddy decline``."""
    return f"Declined #{proposal_id}; nothing was shared."


def buddy_off(withdrawn: int) -> str:
    """The answer to ``/buddy off``."""
    extra = (f" {values.counted(withdrawn, 'open proposal')} withdrawn." if withdrawn
             else "")
    return f"You're no longer matched with study buddies.{extra}"
