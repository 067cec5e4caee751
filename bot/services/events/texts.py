"""Every word the events feature says: command replies, posts, reminders and notices.

Handlers and the outbox messages the service plans both take their text from here, so an
announcement reads the same whether it is a reply, a post or a refreshed button message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import values
from bot.core.model import Button
from bot.services.events.views import Attendee, AttendeeReport, EventView, RsvpResult

# -- posts and buttons -----------------------------------------------------------------------


def rsvp_buttons(event_id: int, *, going_only: bool = False) -> tuple[Button, ...]:
    """Inline RSVP buttons (their action is the command line they stand for)."""
    going = Button("Going", f"/rsvp {event_id} going")
    if going_only:
        return (going,)
    return (going, Button("Maybe", f"/rsvp {event_id} maybe"),
            Button("Can't go", f"/rsvp {event_id} no"))


def announcement(view: EventView, now: datetime) -> str:
    """The text of an announcement post."""
    lines = [f"New: #{view.id} {view.title}",
             f"{view.when(view.timezone, now)} · {values.format_duration(view.duration)}",
             view.where]
    if view.description:
        lines.append(view.description)
    lines.append(_going_line(view))
    lines.append(f"RSVP: /rsvp {view.id} going")
    return "\n".join(lines)


def _going_line(view: EventView) -> str:
    """An announcement's count line."""
    return f"Going: {view.going}/{view.capacity}" if view.capacity else f"Going: {view.going}"


def _seats_line(view: EventView) -> str:
    """The details' count line."""
    seats = f"{view.going}/{view.capacity} seats taken" if view.capacity else (
        f"{view.going} going")
    if view.waitlist:
        seats += f" · {view.waitlist} on the waitlist"
    return seats


_GOING_LINE = re.compile(r"Going: \d+(/\d+)?")
_SEATS_LINE = re.compile(r"\d+(/\d+ seats taken| going)( · \d+ on the waitlist)?")


def refreshed_post(post: str, view: EventView) -> str:
    """A post an RSVP button sits on, with fresh counts and every other word its own.

    An announcement keeps its zone and wording, and a member's ``/event`` view stays in
    that member's zone: only the count line is rewritten.
    """
    lines = post.split("\n")
    for index, line in enumerate(lines):
        if _GOING_LINE.fullmatch(line):
            lines[index] = _going_line(view)
        elif _SEATS_LINE.fullmatch(line):
            lines[index] = _seats_line(view)
    return "\n".join(lines)


def details(view: EventView, timezone: str, now: datetime) -> str:
    """An event's details in the reader's time zone."""
    lines = [f"#{view.id} {view.title}" + (f" — {view.status.upper()}"
                                          if view.status != "scheduled" else "")]
    lines.append(f"{view.when(timezone, now)} · {values.format_duration(view.duration)}")
    lines.append(view.where)
    if view.tags:
        lines.append("Tags: " + ", ".join(view.tags))
    lines.append(_seats_line(view))
    if view.audience:
        lines.append(f"For: {view.audience}")
    if view.cancel_reason:
        lines.append(f"Reason: {view.cancel_reason}")
    if view.description:
        lines.append(view.description)
    if view.status == "scheduled":
        lines.append(f"RSVP: /rsvp {view.id} going · Calendar: /ics {view.id}")
    return "\n".join(lines)


# -- replies to commands ---------------------------------------------------------------------


def created(view: EventView, timezone: str, now: datetime) -> str:
    """The reply to ``/event create``."""
    series = " (first of a series)" if view.series_id else ""
    return (f"Created #{view.id}{series}. Check-in code: {view.checkin_code}. "
            f"Announce it with /event announce {view.id}.{too_late(view, now)}\n\n"
            + details(view, timezone, now))


def updated(views: Sequence[EventView], timezone: str, now: datetime) -> str:
    """The reply to ``/event edit``."""
    what = f"{len(views)} occurrences" if len(views) > 1 else f"#{views[0].id}"
    return (f"Updated {what}; reminders re-planned and those going told."
            f"{too_late(views[0], now)}\n\n" + details(views[0], timezone, now))


def too_late(view: EventView, now: datetime) -> str:
    """Tell the admin which reminder offsets are longer than the time left (or nothing)."""
    left = view.start - now
    if left <= timedelta(0) or view.reminders in ("", "off"):
        return ""
    late = [part for part in view.reminders.split(",")
            if values.parse_duration(part) >= left]
    if not late:
        return ""
    which = " and ".join(late)
    return (f" #{view.id} starts in {values.format_duration(left)}, so the {which} "
            f"reminder{'s are' if len(late) > 1 else ' is'} skipped; members going get "
            "one heads-up instead.")


def cancelled(views: Sequence[EventView]) -> str:
    """The reply to ``/event cancel``."""
    names = ", ".join(f"#{v.id}" for v in views)
    return f"Cancelled {names}. Everyone going or waiting will be told."


def announced(posts: int) -> str:
    """The reply to ``/event announce``."""
    return f"Announcement queued for {posts} channel{'s' if posts != 1 else ''}."


def attendees(report: AttendeeReport) -> list[str]:
    """The lines of ``/event attendees`` (a handler may add a turnout line)."""
    view = report.event
    seats = f"{view.going}/{view.capacity}" if view.capacity else str(view.going)
    lines = [f"#{view.id} {view.title}: {seats} going, {len(report.waitlist)} waiting, "
             f"{len(report.maybe)} maybe, {len(report.checked_in)} checked in"]
    for label, people in (("Going", report.going), ("Seat offered", report.offered),
                          ("Waitlist", report.waitlist),
                          ("Maybe", report.maybe), ("No-shows", report.no_shows)):
        if people:
            lines.append(f"{label}: {_names(people)}")
    return lines


def predicted_turnout(expected: float, members: int, low: int, high: int) -> str:
    """The turnout line analytics adds to ``/event attendees``."""
    return (f"Predicted turnout: {expected:.1f} of {members} going "
            f"(80%: {low}–{high}), from each member's show-up record")


def upcoming(views: Sequence[EventView], timezone: str, now: datetime, *, page: int = 1,
             more: bool = False, count: int | None = None) -> str:
    """The reply to ``/events``: one page, saying how to see the next when there is one."""
    if not views:
        return "No upcoming events yet." if page == 1 else f"There is no page {page}."
    lines = ["Upcoming events:" if page == 1 else f"Upcoming events, page {page}:"]
    lines += [_line(v, timezone, now) for v in views]
    lines.append("Details: /event ID · RSVP: /rsvp ID going")
    if more:
        sized = f" count={count}" if count else ""
        lines.append(f"More events: /events{sized} page={page + 1}")
    return "\n".join(lines)


def mine(answers: Sequence[tuple[EventView, str]], timezone: str, now: datetime) -> str:
    """The reply to ``/myevents``."""
    if not answers:
        return "You have no upcoming events. Send /events to find one."
    lines = ["Your upcoming events:"]
    lines += [f"{_line(v, timezone, now)} — {status}" for v, status in answers]
    return "\n".join(lines)


def rsvp_reply(result: RsvpResult, timezone: str, now: datetime) -> str:
    """What a member is told after answering."""
    title = f"#{result.event.id} {result.event.title}"
    if result.status == "waitlist":
        return (f"{title} is full. You are #{result.position} on the waitlist; "
                "I will DM you if a seat opens.")
    if not result.changed:
        return f"You are already {result.status} for {title}."
    if result.status == "going":
        when = result.event.when(timezone, now)
        return f"You're going to {title}, {when}. I'll remind you before it starts."
    return f"Noted: {result.status} for {title}."


def checked_in(view: EventView) -> str:
    """The reply to ``/checkin``."""
    return f"Checked in to #{view.id} {view.title}. Enjoy!"


def capacity_below_seats(event_id: int, title: str, taken: int) -> str:
    """An edit that would leave members with a seat that is not there."""
    return (f"{values.counted(taken, 'member')} already {values.plural(taken, 'has', 'have')} "
            f"a seat at #{event_id} {title}; the capacity cannot go below that.")


def checkin_needs_seat(event_id: int, title: str) -> str:
    """Check-in refused: the member has no seat (no answer, maybe or no)."""
    return (f"Check-in for #{event_id} {title} is for members going to it. "
            f"Send /rsvp {event_id} going first.")


def checkin_waitlisted(event_id: int, title: str, position: int) -> str:
    """Check-in refused: the code was right but the member is still waiting for a seat."""
    return (f"You are #{position} on the waitlist for #{event_id} {title}, and there is "
            "no free seat for you yet; I'll message you if one opens.")


def checkin_wrong_code(left: int) -> str:
    """A wrong check-in code, with the tries left before a pause."""
    if left <= 0:
        return "That check-in code is not right, and that was the last try for now."
    return (f"That check-in code is not right. Ask the organiser "
            f"({left} {values.plural(left, 'try', 'tries')} left).")


def checkin_locked(wait: timedelta) -> str:
    """Too many wrong codes for this event: the member waits."""
    minutes = max(1, int(wait.total_seconds() + 59) // 60)
    return (f"Too many wrong check-in codes. Try again in {minutes} "
            f"{values.plural(minutes, 'minute', 'minutes')}, or ask the organiser.")


def feedback_not_attended(event_id: int, title: str) -> str:
    """A rating refused: the member did not attend (no check-in, not in voice)."""
    return (f"Sorry, only members who attended #{event_id} {title} can rate it, and I have "
            "no check-in from you.")


def ics_caption(view: EventView) -> str:
    """The message that carries the ``.ics`` file."""
    return f"#{view.id} {view.title} for your calendar."


def feedback_saved(event_id: int, replaced: bool) -> str:
    """The reply to ``/feedback``."""
    verb = "updated" if replaced else "saved"
    return f"Thanks! Your rating of #{event_id} is {verb}."


# -- what the service posts and DMs ----------------------------------------------------------


def changed_notice(views: Sequence[EventView], timezone: str, now: datetime) -> str:
    """One DM to a member going to the changed event(s), in their zone."""
    del now
    first = views[0]
    if len(views) == 1:
        return (f"Update: #{first.id} {first.title} is now {_local(first.start, timezone)} · "
                f"{first.where}.")
    return (f"Update: {first.title} changed for the {len(views)} sessions you answered; "
            f"the next is #{first.id}, {_local(first.start, timezone)} · {first.where}.")


def cancelled_notice(views: Sequence[EventView], reason: str | None, timezone: str,
                     now: datetime) -> str:
    """One DM to a member who answered the cancelled event(s), in their zone."""
    del now
    first = views[0]
    note = f" Reason: {reason}" if reason else ""
    if len(views) == 1:
        return f"Cancelled: {first.title} on {_local(first.start, timezone)}.{note}"
    return (f"Cancelled: {first.title}, all {len(views)} sessions you answered from "
            f"{_local(first.start, timezone)}.{note}")


def _local(moment: datetime, timezone: str) -> str:
    """``Wed 25 Nov 19:00 CET``: a moment in the reader's zone, for messages read later."""
    local = moment.astimezone(values.zone(timezone))
    return f"{local:%a %d %b %H:%M} {local.tzname()}"


def offer_expired(event_id: int, title: str) -> str:
    """DM when a held seat was not claimed in time and passed on."""
    return (f"The seat held for you at #{event_id} {title} was not claimed in time and has "
            f"passed to the next member waiting. Send /rsvp {event_id} going to queue again.")


def seat_given(event_id: int, title: str) -> str:
    """DM when a freed seat went straight to the first member waiting."""
    return f"Good news: a seat opened and you are now going to #{event_id} {title}."


def seat_offered(event_id: int, title: str, claim_window: timedelta) -> str:
    """DM offering a freed seat for a while."""
    hours = values.format_duration(claim_window)
    return (f"A seat opened for #{event_id} {title}. It is yours if you send "
            f"/rsvp {event_id} going within {hours}.")


def seat_claimed(name: str, event_id: int, title: str) -> str:
    """DM to the organiser when an offered seat is claimed."""
    return f"{name} claimed a freed seat for #{event_id} {title}."


def feedback_request(event_id: int, title: str) -> str:
    """DM after an event asking for a rating."""
    return (f"Thanks for joining {title}! How was it? Reply with "
            f"/feedback {event_id} 1-5 and a comment if you like.")


def reminder(event_id: int, title: str, starts_at: datetime, due_at: datetime, tz: ZoneInfo,
             online_url: str | None, venue: str | None) -> str:
    """A member's reminder DM, in their own zone."""
    local = starts_at.astimezone(tz)
    return (f"Reminder: #{event_id} {title} starts "
            f"{values.relative(starts_at, due_at)} "
            f"({local:%a %d %b %H:%M} {local.tzname()}). "
            f"{_where(online_url, venue)}").strip()


def channel_reminder(event_id: int, title: str, starts_at: datetime, due_at: datetime,
                     online_url: str | None, venue: str | None) -> str:
    """The post in the channel an event was created in."""
    return (f"#{event_id} {title} starts "
            f"{values.relative(starts_at, due_at)}. "
            f"{_where(online_url, venue)} RSVP with /rsvp {event_id} going")


def _where(online_url: str | None, venue: str | None) -> str:
    parts = [p for p in (online_url, venue) if p]
    return (" · ".join(parts) + ".") if parts else ""


def _line(view: EventView, timezone: str, now: datetime) -> str:
    full = " (full)" if view.capacity and view.going >= view.capacity else ""
    return f"#{view.id} {view.title} — {view.when(timezone, now)}{full}"


def _names(people: list[Attendee]) -> str:
    return ", ".join(p.name + (" ✓" if p.checked_in else "") for p in people)
