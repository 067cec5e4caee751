"""Analytics commands for admins: ``/stats event|community|segments|funnel|export|besttime``.

Each answer is text an organiser can read at a glance plus, where a picture says more, a
PNG chart. Missing data is said plainly (by the service, as a UserError), never drawn as an
empty chart.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import values
from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.model import FileOut, Reply
from bot.services.analytics import (
    AnalyticsService,
    BestTimes,
    CommunityStats,
    EventStats,
    Funnel,
    FunnelGroup,
    SegmentReport,
)
from bot.services.charts import DAYS

PERIOD = Option("period", OptionKind.DURATION, "How far back, e.g. 7d, 4w or 90d (default 30d)")
DEFAULT_PERIOD = timedelta(days=30)


def commands(analytics: AnalyticsService) -> list[Command]:
    """The /stats group."""
    charts = analytics.charts

    async def event(ctx: Context) -> Reply:
        stats = await analytics.event(ctx.require("id", int))
        png = await charts.event(stats)
        return Reply(render_event(stats, ctx.member.timezone, ctx.now), private=True,
                     file=FileOut(f"event-{stats.id}.png", png, "image/png"))

    async def community(ctx: Context) -> Reply:
        stats = await analytics.community(ctx.get("period", timedelta, DEFAULT_PERIOD))
        png = await charts.community(stats)
        return Reply(render_community(stats), private=True,
                     file=FileOut("community.png", png, "image/png"))

    async def segments(ctx: Context) -> Reply:
        report = await analytics.segments()
        png = await charts.segments(report)
        return Reply(render_segments(report), private=True,
                     file=FileOut("segments.png", png, "image/png"))

    async def funnel(ctx: Context) -> Reply:
        result = await analytics.funnel(ctx.get("period", timedelta, timedelta(days=90)),
                                        ctx.get("tag", str))
        png = await charts.funnel(result)
        return Reply(render_funnel(result), private=True,
                     file=FileOut("funnel.png", png, "image/png"))

    async def export(ctx: Context) -> Reply:
        period = ctx.get("period", timedelta, timedelta(days=90))
        data = await analytics.export(period)
        rows = data.count(b"\n") - 1
        return Reply(f"{rows} rows (one per member and event) since "
                     f"{(ctx.now - period):%Y-%m-%d}.", private=True,
                     file=FileOut(f"cohort-funnel-{ctx.now:%Y%m%d}.csv", data, "text/csv"))

    async def besttime(ctx: Context) -> Reply:
        best = await analytics.best_times(ctx.get("duration", timedelta, timedelta(hours=1)))
        png = await charts.best_times(best, ctx.member.timezone)
        return Reply(render_best_times(best, ctx.member.timezone), private=True,
                     file=FileOut("besttime.png", png, "image/png"))

    return [Command(
        "stats", "Analytics for organisers: events, community, segments, funnel", admin=True,
        subcommands=(
            Command("event", "One event: RSVPs, attendance, no-shows, ratings, turnout", event,
                    options=(Option("id", OptionKind.INTEGER, "The event's number",
                                    required=True, min_value=1),), example="/stats event 12"),
            Command("community", "Active members, new vs returning, retention", community,
                    options=(PERIOD,), example="/stats community 8w"),
            Command("segments", "Member segments from engagement (K-means)", segments),
            Command("funnel", "RSVP → attended → solved → came back, per tag and organiser",
                    funnel, options=(
                        Option("period", OptionKind.DURATION,
                               "How far back, e.g. 90d (default 90d)"),
                        Option("tag", OptionKind.TEXT, "Only events with this tag",
                               max_length=30)),
                    example="/stats funnel 90d python"),
            Command("export", "The funnel's rows as a CSV file", export,
                    options=(Option("period", OptionKind.DURATION,
                                    "How far back, e.g. 90d (default 90d)"),)),
            Command("besttime", "Three weekly slots that reach the most members", besttime,
                    options=(Option("duration", OptionKind.DURATION,
                                    "Length of the session, e.g. 90m (default 1h)"),),
                    example="/stats besttime 90m"),
        ),
    )]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def render_event(stats: EventStats, timezone: str, now: datetime) -> str:
    """The text of ``/stats event``."""
    local = stats.start.astimezone(values.zone(timezone))
    lines = [f"#{stats.id} {stats.title} — {local:%a %d %b %Y %H:%M} {local.tzname()}"
             + ("" if stats.status == "scheduled" else f" ({stats.status})")]
    answers = ", ".join(f"{n} {s}" for s, n in sorted(stats.answers.items())) or "none"
    lines.append(f"RSVPs: {stats.rsvps} ({answers})")
    if stats.capacity:
        lines.append(f"Seats: {stats.going}/{stats.capacity} · waitlist {stats.waitlist}")
    else:
        lines.append(f"Waitlist: {stats.waitlist}")
    if stats.ended:
        lines.append(f"Attended: {stats.attended} ({stats.checked_in} checked in, "
                     f"{stats.by_voice} by voice) · attendance rate "
                     f"{_pct(stats.attendance_rate)} · no-show rate {_pct(stats.no_show_rate)}")
    else:
        lines.append(f"Starts {values.relative(stats.start, now)}; "
                     f"{stats.checked_in} checked in so far.")
    if stats.prediction is not None and stats.community_rate is not None:
        p = stats.prediction
        verb = "Predicted turnout" if not stats.ended else "Turnout predicted beforehand"
        lines.append(f"{verb}: {p.expected:.1f} of {p.members} going (80%: {p.low}–{p.high}; "
                     f"community show-up rate {stats.community_rate:.0%})")
    elif stats.prediction_note:
        lines.append(stats.prediction_note)
    if stats.ratings:
        dist = " ".join(f"{r}★×{n}" for r, n in zip(range(1, 6), stats.distribution,
                                                     strict=True))
        lines.append(f"Satisfaction: {stats.rating_mean:.2f}/5 from {len(stats.ratings)} "
                     f"ratings ({dist})")
    else:
        lines.append("Satisfaction: no ratings yet.")
    for comment in stats.comments[:10]:
        lines.append(f"  “{comment.text[:200]}” — {comment.name} ({comment.rating}★)")
    if len(stats.comments) > 10:
        lines.append(f"  … and {len(stats.comments) - 10} more comments")
    return "\n".join(lines)


def render_community(stats: CommunityStats) -> str:
    """The text of ``/stats community``."""
    days = len(stats.days)
    lines = [f"Community, {stats.since:%Y-%m-%d} to {stats.until:%Y-%m-%d} ({days} days):",
             f"Active members: {stats.members_active} · average daily "
             f"{sum(stats.daily_active) / max(days, 1):.1f} · last week "
             f"{stats.weekly_active[-1] if stats.weekly_active else 0}",
             f"New members (first activity in the period): {sum(stats.weekly_new)}",
             f"Messages: {stats.messages}",
             f"Events held: {stats.events_held} · average attendance rate "
             f"{_pct(stats.avg_attendance)}",
             f"Challenges solved: {stats.challenges_solved} by {stats.solvers} members"]
    known = [row[0] for row in stats.retention if row and row[0] is not None]
    if known:
        lines.append(f"Retention: on average {sum(known) / len(known):.0%} of a week's active "
                     "members are active the week after.")
    return "\n".join(lines)


def render_segments(report: SegmentReport) -> str:
    """The text of ``/stats segments``."""
    result = report.result
    lines = [f"{report.members} members active since {report.since:%Y-%m-%d}, in {result.k} "
             f"segments (K-means, k by silhouette {result.silhouette:.2f}):"]
    for segment in result.segments:
        lines.append(f"• {segment.name}: {segment.size} — typically {segment.describe()}")
    return "\n".join(lines)


def _group_line(group: FunnelGroup) -> str:
    parts = [f"{group.rsvp} going"]
    for stage, count, base in group.stages()[1:]:
        parts.append(f"{stage} {count}/{base} ({_pct(count / base if base else None)})")
    return f"{group.name} ({group.events} events): " + " → ".join(parts)


def render_funnel(funnel: Funnel) -> str:
    """The text of ``/stats funnel``."""
    what = f" tagged {funnel.tag}" if funnel.tag else ""
    lines = [f"Learning funnel for events{what} since {funnel.since:%Y-%m-%d}:",
             _group_line(funnel.total)]
    if funnel.by_tag:
        lines.append("Per tag:")
        lines += ["  " + _group_line(g) for g in funnel.by_tag[:10]]
    if funnel.by_organiser:
        lines.append("Per organiser:")
        lines += ["  " + _group_line(g) for g in funnel.by_organiser[:10]]
    lines.append("“Solved” counts attendees of events with a linked challenge; “came back” "
                 "counts events that ended at least 30 days ago.")
    return "\n".join(lines)


def render_best_times(best: BestTimes, timezone: str) -> str:
    """The text of ``/stats besttime``."""
    zone = values.zone(timezone)
    lines = [f"Best weekly slots for a {values.format_duration(best.duration)} session, "
             f"from {best.members} members' activity since {best.since:%Y-%m-%d} "
             "(in each member's own time zone):"]
    for rank, slot in enumerate(best.slots, 1):
        start = slot.next_start(best.now)
        local = start.astimezone(zone)
        lines.append(f"{rank}. {DAYS[local.weekday()]} {local:%H:%M} {local.tzname()} "
                     f"({DAYS[start.weekday()]} {start:%H:%M} UTC): reaches about "
                     f"{slot.reach:.1f} members in a typical week; {slot.regulars} are "
                     "around then at least every other week")
    return "\n".join(lines)
