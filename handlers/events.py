"""Event commands: /events, /event …, /rsvp, /checkin, /ics, /myevents, /feedback.

The handlers only translate options into service calls and render the results.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from icalendar import Calendar
from icalendar import Event as IcsEvent

from bot.core import values
from bot.core.commands import Command, Context, Option, OptionKind, Where
from bot.core.errors import UserError
from bot.core.model import FileOut, Reply
from bot.services import reminders
from bot.services.analytics import AnalyticsService
from bot.services.events import (
    Answer,
    Attendee,
    EventService,
    EventSpec,
    EventView,
    Place,
    RsvpResult,
    announcement,
    rsvp_buttons,
    split_tags,
    split_where,
)

ID = Option("id", OptionKind.INTEGER, "The event's number, e.g. 12", required=True, min_value=1)
SERIES = Option("series", OptionKind.BOOLEAN, "Apply to the whole series (yes/no)",
                keyword=True)
EDITABLE = (
    Option("title", OptionKind.TEXT, "Title", max_length=200),
    Option("start", OptionKind.DATETIME, "Start, e.g. 2026-12-01 18:00 or tomorrow 18:00"),
    Option("duration", OptionKind.DURATION, "Length, e.g. 90m"),
    Option("where", OptionKind.TEXT, "Online link and/or venue", max_length=500),
    Option("capacity", OptionKind.INTEGER, "Seats (1-10000)", min_value=1, max_value=10_000),
    Option("tags", OptionKind.TEXT, "Comma-separated tags", max_length=300),
    Option("description", OptionKind.TEXT, "What it is about", max_length=2000),
    Option("audience", OptionKind.TEXT, "A role or tier that may attend", max_length=100),
    Option("reminders", OptionKind.TEXT, "Reminder offsets, e.g. 24h,1h or off", max_length=100),
    Option("code", OptionKind.TEXT, "Check-in code", max_length=32),
)


def commands(events: EventService, analytics: AnalyticsService | None = None) -> list[Command]:
    """The event commands (``analytics`` adds predicted turnout to ``/event attendees``)."""

    async def create(ctx: Context) -> Reply:
        start = ctx.require("start", datetime)
        timezone = ctx.get("timezone", str) or ctx.member.timezone
        if ctx.get("timezone", str):
            # The parser read the start in the admin's zone; re-read that wall time here.
            wall = start.astimezone(values.zone(ctx.member.timezone)).replace(tzinfo=None)
            start = wall.replace(tzinfo=values.zone(timezone))
        online, venue = split_where(ctx.get("where", str, ""))
        spec = EventSpec(
            title=ctx.require("title", str), start=start,
            duration=ctx.get("duration", timedelta, timedelta(hours=1)), timezone=timezone,
            online_url=online, venue=venue, capacity=ctx.get("capacity", int),
            tags=split_tags(ctx.get("tags", str, "")),
            description=ctx.get("description", str, ""), audience=ctx.get("audience", str),
            recurrence=ctx.get("recurrence", str),
            reminders=reminders.parse_offsets(ctx.get("reminders", str, "24h,1h")),
            checkin_code=ctx.get("code", str),
        )
        place = (None if ctx.incoming.place.is_direct
                 else Place(ctx.incoming.place.platform, ctx.incoming.place.place_id))
        view = await events.create(ctx.member, spec, place)
        series = " (first of a series)" if view.series_id else ""
        return Reply(
            f"Created #{view.id}{series}. Check-in code: {view.checkin_code}. "
            f"Announce it with /event announce {view.id}.\n\n"
            + render(view, ctx.member.timezone, ctx.now), private=True)

    async def edit(ctx: Context) -> Reply:
        changes = {o.name: ctx.args[o.name] for o in EDITABLE if o.name in ctx.args}
        views = await events.edit(ctx.require("id", int), changes,
                                  whole_series=ctx.get("series", bool, False))
        what = f"{len(views)} occurrences" if len(views) > 1 else f"#{views[0].id}"
        return Reply(f"Updated {what}; reminders re-planned and those going told.\n\n"
                     + render(views[0], ctx.member.timezone, ctx.now))

    async def cancel(ctx: Context) -> Reply:
        views = await events.cancel(ctx.require("id", int), ctx.get("reason", str),
                                    whole_series=ctx.get("series", bool, False))
        names = ", ".join(f"#{v.id}" for v in views)
        return Reply(f"Cancelled {names}. Everyone going or waiting will be told.")

    async def announce(ctx: Context) -> Reply:
        posts = await events.announce(ctx.require("id", int))
        return Reply(f"Announcement queued for {posts} channel{'s' if posts != 1 else ''}.")

    async def attendees(ctx: Context) -> Reply:
        report = await events.attendees(ctx.require("id", int))
        view = report.event
        seats = f"{view.going}/{view.capacity}" if view.capacity else str(view.going)
        lines = [f"#{view.id} {view.title}: {seats} going, {len(report.waitlist)} waiting, "
                 f"{len(report.maybe)} maybe, {len(report.checked_in)} checked in"]
        for label, people in (("Going", report.going), ("Seat offered", report.offered),
                              ("Waitlist", report.waitlist),
                              ("Maybe", report.maybe), ("No-shows", report.no_shows)):
            if people:
                lines.append(f"{label}: {_names(people)}")
        if analytics is not None and view.status == "scheduled" and view.end > ctx.now:
            predicted = await analytics.predict(view.id)
            if predicted is not None:
                t = predicted.turnout
                lines.append(f"Predicted turnout: {t.expected:.1f} of {t.members} going "
                             f"(80%: {t.low}–{t.high}), from each member's show-up record")
        return Reply("\n".join(lines), private=True)

    async def show(ctx: Context) -> Reply:
        view = await events.get(ctx.require("id", int))
        return Reply(render(view, ctx.member.timezone, ctx.now), buttons=rsvp_buttons(view.id)
                     if view.status == "scheduled" else ())

    async def upcoming(ctx: Context) -> Reply:
        views = await events.upcoming(ctx.get("count", int, 10))
        if not views:
            return Reply("No upcoming events yet.")
        lines = ["Upcoming events:"]
        lines += [_line(v, ctx.member.timezone, ctx.now) for v in views]
        lines.append("Details: /event ID · RSVP: /rsvp ID going")
        return Reply("\n".join(lines))

    async def mine(ctx: Context) -> Reply:
        answers = await events.mine(ctx.member)
        if not answers:
            return Reply("You have no upcoming events. Send /events to find one.", private=True)
        lines = ["Your upcoming events:"]
        lines += [f"{_line(v, ctx.member.timezone, ctx.now)} — {status}"
                  for v, status in answers]
        return Reply("\n".join(lines), private=True)

    async def rsvp(ctx: Context) -> Reply:
        answer = Answer(ctx.require("answer", str))
        result = await events.rsvp(ctx.member, ctx.require("id", int), answer,
                                   roles=ctx.incoming.roles, is_admin=ctx.is_admin)
        title = f"#{result.event.id} {result.event.title}"
        if ctx.incoming.via_button:
            # Pressed on an announcement: refresh its count for everyone.
            reply = _rsvp_reply(result, title, ctx)
            return replace(reply, update_post=announcement(result.event, ctx.now))
        return _rsvp_reply(result, title, ctx)

    async def checkin(ctx: Context) -> Reply:

        view = await events.checkin(ctx.member, ctx.require("id", int), ctx.require("code", str))
        return Reply(f"Checked in to #{view.id} {view.title}. Enjoy!", private=True)

    async def ics(ctx: Context) -> Reply:
        view = await events.get(ctx.require("id", int))
        return Reply(f"#{view.id} {view.title} for your calendar.",
                     file=FileOut(f"cohort-event-{view.id}.ics", to_ics(view), "text/calendar"))

    async def feedback(ctx: Context) -> Reply:
        event_id = ctx.require("id", int)
        replaced = await events.feedback(ctx.member, event_id, ctx.require("rating", int),
                                         ctx.get("comment", str, ""))
        verb = "updated" if replaced else "saved"
        return Reply(f"Thanks! Your rating of #{event_id} is {verb}.", private=True)

    event_group = Command(
        "event", "Workshops and sessions: details, and admin tools", default="show",
        subcommands=(
            Command("show", "Show one event", show, options=(ID,), example="/event 12"),
            Command(
                "create", "Create an event", create, admin=True,
                options=(
                    Option("title", OptionKind.TEXT, "Title", required=True, max_length=200),
                    Option("start", OptionKind.DATETIME, "Start in your time zone",
                           required=True),
                    *EDITABLE[2:9],
                    Option("recurrence", OptionKind.TEXT,
                           "none, weekly, biweekly, monthly or an RRULE", max_length=200),
                    Option("timezone", OptionKind.TEXT, "The event's time zone",
                           max_length=64),
                    EDITABLE[9],
                ),
                example='/event create "Async Python" "2026-12-01 18:00" 90m '
                        'where="https://meet.example.org/x" capacity=30 tags=python,async',
            ),
            Command("edit", "Change an event", edit, admin=True, options=(ID, *EDITABLE, SERIES),
                    example="/event edit 12 start=\"2026-12-02 18:00\""),
            Command("cancel", "Cancel an event and tell everyone", cancel, admin=True,
                    options=(ID, SERIES, Option("reason", OptionKind.TEXT, "Why", rest=True,
                                                max_length=300)),
                    example="/event cancel 12 speaker is ill"),
            Command("announce", "Post an event to the announcement channels", announce,
                    admin=True, options=(ID,)),
            Command("attendees", "Who is going, waiting, checked in", attendees, admin=True,
                    options=(ID,)),
        ),
    )
    return [
        Command("events", "Upcoming events in your time zone", upcoming,
                options=(Option("count", OptionKind.INTEGER, "How many (1-25)", min_value=1,
                                max_value=25),)),
        event_group,
        Command("rsvp", "Answer an event: going, maybe or no", rsvp,
                options=(ID, Option("answer", OptionKind.CHOICE, "Your answer", required=True,
                                    choices=tuple(a.value for a in Answer))),
                example="/rsvp 12 going"),
        Command("checkin", "Check in at an event with its code", checkin,
                options=(ID, Option("code", OptionKind.TEXT, "The code the organiser shows",
                                    required=True, max_length=32)),
                example="/checkin 12 7F3A2C"),
        Command("ics", "Get an event as a calendar file", ics, options=(ID,)),
        Command("myevents", "Your upcoming events", mine),
        Command("feedback", "Rate an event you attended (1-5)", feedback, where=Where.ANY,
                options=(ID, Option("rating", OptionKind.INTEGER, "1 (poor) to 5 (great)",
                                    required=True, min_value=1, max_value=5),
                         Option("comment", OptionKind.TEXT, "Anything to add", rest=True,
                                max_length=1000)),
                example="/feedback 12 5 loved the live coding"),
    ]


def _rsvp_reply(result: RsvpResult, title: str, ctx: Context) -> Reply:
    if result.status == "waitlist":
        return Reply(f"{title} is full. You are #{result.position} on the waitlist; "
                     "I will DM you if a seat opens.", private=True)
    if not result.changed:
        return Reply(f"You are already {result.status} for {title}.", private=True)
    if result.status == "going":
        when = result.event.when(ctx.member.timezone, ctx.now)
        return Reply(f"You're going to {title}, {when}. I'll remind you before it starts.",
                     private=True)
    return Reply(f"Noted: {result.status} for {title}.", private=True)


def render(view: EventView, timezone: str, now: datetime) -> str:
    """An event's details in the reader's time zone."""
    lines = [f"#{view.id} {view.title}" + (f" — {view.status.upper()}"
                                          if view.status != "scheduled" else "")]
    lines.append(f"{view.when(timezone, now)} · {values.format_duration(view.duration)}")
    lines.append(view.where)
    if view.tags:
        lines.append("Tags: " + ", ".join(view.tags))
    seats = f"{view.going}/{view.capacity} seats taken" if view.capacity else (
        f"{view.going} going")
    if view.waitlist:
        seats += f" · {view.waitlist} on the waitlist"
    lines.append(seats)
    if view.audience:
        lines.append(f"For: {view.audience}")
    if view.cancel_reason:
        lines.append(f"Reason: {view.cancel_reason}")
    if view.description:
        lines.append(view.description)
    if view.status == "scheduled":
        lines.append(f"RSVP: /rsvp {view.id} going · Calendar: /ics {view.id}")
    return "\n".join(lines)


def _line(view: EventView, timezone: str, now: datetime) -> str:
    full = " (full)" if view.capacity and view.going >= view.capacity else ""
    return f"#{view.id} {view.title} — {view.when(timezone, now)}{full}"


def _names(people: list[Attendee]) -> str:
    return ", ".join(p.name + (" ✓" if p.checked_in else "") for p in people)


def to_ics(view: EventView) -> bytes:
    """An iCalendar file for one event."""
    if view.status == "cancelled":
        raise UserError(f"#{view.id} is cancelled.")
    calendar = Calendar()
    calendar.add("prodid", "-//Cohort//cohort-bot//EN")
    calendar.add("version", "2.0")
    entry = IcsEvent()
    entry.add("uid", f"cohort-event-{view.id}@cohort")
    entry.add("summary", view.title)
    entry.add("dtstart", view.start)
    entry.add("dtend", view.end)
    entry.add("dtstamp", view.start)
    if view.description:
        entry.add("description", view.description)
    if view.venue or view.online_url:
        entry.add("location", view.venue or view.online_url)
    if view.online_url:
        entry.add("url", view.online_url)
    calendar.add_component(entry)
    data: bytes = calendar.to_ical()
    return data
