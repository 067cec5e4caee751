"""Event commands: /events, /event …, /rsvp, /checkin, /ics, /myevents, /feedback.

The handlers only translate options into service calls; their words come from
:mod:`bot.services.events.texts`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.core import values
from bot.core.commands import Command, Context, Option, OptionKind, Where
from bot.core.model import FileOut, Reply
from bot.services.analytics import AnalyticsService
from bot.services.events import (
    Answer,
    EventService,
    EventSpec,
    HomeChannel,
    split_where,
)
from bot.services.events import texts as say
from bot.services.events.reminders import parse_offsets

ID = Option("id", OptionKind.INTEGER, "The event's number, e.g. 12", required=True, min_value=1)
SERIES = Option("series", OptionKind.BOOLEAN, "Apply to the whole series (yes/no)",
                keyword=True)
EDITABLE = (
    Option("title", OptionKind.TEXT, "Title", max_length=200),
    Option("start", OptionKind.DATETIME, "Start, e.g. tomorrow 18:00, fri 6pm or in 3d"),
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
            tags=values.split_tags(ctx.get("tags", str, "")),
            description=ctx.get("description", str, ""), audience=ctx.get("audience", str),
            recurrence=ctx.get("recurrence", str),
            reminders=parse_offsets(ctx.get("reminders", str, "24h,1h")),
            checkin_code=ctx.get("code", str),
        )
        home = (None if ctx.incoming.place.is_direct
                else HomeChannel(ctx.incoming.place.platform, ctx.incoming.place.place_id))
        view = await events.create(ctx.member, spec, home)
        return Reply(say.created(view, ctx.member.timezone, ctx.now), private=True)

    async def edit(ctx: Context) -> Reply:
        changes = {o.name: ctx.args[o.name] for o in EDITABLE if o.name in ctx.args}
        views = await events.edit(ctx.require("id", int), changes,
                                  whole_series=ctx.get("series", bool, False))
        return Reply(say.updated(views, ctx.member.timezone, ctx.now))

    async def cancel(ctx: Context) -> Reply:
        views = await events.cancel(ctx.require("id", int), ctx.get("reason", str),
                                    whole_series=ctx.get("series", bool, False))
        return Reply(say.cancelled(views))

    async def announce(ctx: Context) -> Reply:
        posts = await events.announce(ctx.require("id", int))
        return Reply(say.announced(posts))

    async def attendees(ctx: Context) -> Reply:
        report = await events.attendees(ctx.require("id", int))
        view = report.event
        lines = say.attendees(report)
        if analytics is not None and view.status == "scheduled" and view.end > ctx.now:
            predicted = await analytics.predict(view.id)
            if predicted is not None:
                t = predicted.turnout
                lines.append(say.predicted_turnout(t.expected, t.members, t.low, t.high))
        return Reply("\n".join(lines), private=True)

    async def show(ctx: Context) -> Reply:
        view = await events.get(ctx.require("id", int))
        return Reply(say.details(view, ctx.member.timezone, ctx.now),
                     buttons=say.rsvp_buttons(view.id) if view.open_at(ctx.now) else ())

    async def upcoming(ctx: Context) -> Reply:
        count, page = ctx.get("count", int, 10), ctx.get("page", int, 1)
        views, more = await events.upcoming_page(count, page)
        return Reply(say.upcoming(views, ctx.member.timezone, ctx.now, page=page, more=more,
                                  count=ctx.get("count", int)))

    async def mine(ctx: Context) -> Reply:
        answers = await events.mine(ctx.member)
        return Reply(say.mine(answers, ctx.member.timezone, ctx.now), private=True)

    async def rsvp(ctx: Context) -> Reply:
        answer = Answer(ctx.require("answer", str))
        result = await events.rsvp(ctx.member, ctx.require("id", int), answer,
                                   roles=ctx.incoming.roles, is_admin=ctx.is_admin)
        reply = Reply(say.rsvp_reply(result, ctx.member.timezone, ctx.now), private=True)
        if ctx.incoming.via_button and ctx.incoming.post_text:
            # Pressed under a post: refresh its counts for everyone, keeping its own text.
            return replace(reply, update_post=say.refreshed_post(ctx.incoming.post_text,
                                                                 result.event))
        return reply

    async def checkin(ctx: Context) -> Reply:
        view = await events.checkin(ctx.member, ctx.require("id", int), ctx.require("code", str))
        return Reply(say.checked_in(view), private=True)

    async def ics(ctx: Context) -> Reply:
        view, data = await events.calendar(ctx.require("id", int))
        return Reply(say.ics_caption(view),
                     file=FileOut(f"cohort-event-{view.id}.ics", data, "text/calendar"))

    async def feedback(ctx: Context) -> Reply:
        event_id = ctx.require("id", int)
        replaced = await events.feedback(ctx.member, event_id, ctx.require("rating", int),
                                         ctx.get("comment", str, ""))
        return Reply(say.feedback_saved(event_id, replaced), private=True)

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
                example='/event create "Async Python" "tomorrow 18:00" 90m '
                        'where="https://meet.example.org/x" capacity=30 tags=python,async',
            ),
            Command("edit", "Change an event", edit, admin=True, options=(ID, *EDITABLE, SERIES),
                    example="/event edit 12 start=\"fri 18:00\""),
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
                                max_value=25),
                         Option("page", OptionKind.INTEGER, "Which page (1, 2, …)", min_value=1,
                                max_value=1000, keyword=True)),
                example="/events page=2"),
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

