"""The words of analytics: the text of each ``/stats`` answer and of the report's sections."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import values
from bot.services.analytics.views import (
    BestTimes,
    CommunityStats,
    EventStats,
    Funnel,
    FunnelGroup,
    SegmentReport,
)

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")



def span(since: datetime, until: datetime | None, timezone: str = "UTC") -> str:
    """``since 2026-10-01``, or for a chosen window ``from 2026-10-01 to 2026-10-31``.

    A window's dates are the organiser's (its end is exclusive: the midnight after).
    """
    if until is None:
        return f"since {since:%Y-%m-%d}"
    zone = values.zone(timezone)
    last = until - timedelta(microseconds=1)
    return f"from {since.astimezone(zone):%Y-%m-%d} to {last.astimezone(zone):%Y-%m-%d}"


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
        lines.append(f"Satisfaction: {stats.rating_mean:.2f}/5 from "
                     f"{values.counted(len(stats.ratings), 'rating')} ({dist})")
    else:
        lines.append("Satisfaction: no ratings yet.")
    for comment in stats.comments[:10]:
        lines.append(f"  “{comment.text[:200]}” — {comment.name} ({comment.rating}★)")
    if len(stats.comments) > 10:
        lines.append(f"  … and {len(stats.comments) - 10} more comments")
    return "\n".join(lines)


def render_community(stats: CommunityStats, timezone: str | None = None) -> str:
    """The text of ``/stats community`` (``timezone``: a window chosen in that zone)."""
    days = len(stats.days)
    period = (f"{stats.since:%Y-%m-%d} to {stats.until:%Y-%m-%d}" if timezone is None
              else span(stats.since, stats.until, timezone).removeprefix("from "))
    lines = [f"Community, {period} ({days} days):",
             f"Active members: {stats.members_active} · average daily "
             f"{sum(stats.daily_active) / max(days, 1):.1f} · last week "
             f"{stats.weekly_active[-1] if stats.weekly_active else 0}",
             f"New members (first activity in the period): {sum(stats.weekly_new)}",
             f"Messages: {stats.messages}",
             f"Events held: {stats.events_held} · average attendance rate "
             f"{_pct(stats.avg_attendance)}",
             f"Challenges solved: {stats.challenges_solved} by "
             f"{values.counted(stats.solvers, 'member')}"]
    known = [row[0] for row in stats.retention if row and row[0] is not None]
    if known:
        lines.append(f"Retention: on average {sum(known) / len(known):.0%} of a week's active "
                     "members are active the week after.")
    return "\n".join(lines)


def render_segments(report: SegmentReport, timezone: str = "UTC") -> str:
    """The text of ``/stats segments``."""
    result = report.result
    lines = [f"{report.members} members active {span(report.since, report.until, timezone)}, "
             f"in {result.k} "
             f"segments (K-means, k by silhouette {result.silhouette:.2f}):"]
    for segment in result.segments:
        lines.append(f"• {segment.name}: {segment.size} — typically {segment.describe()}")
    return "\n".join(lines)


def _group_line(group: FunnelGroup) -> str:
    parts = [f"{group.rsvp} going"]
    for stage, count, base in group.stages()[1:]:
        parts.append(f"{stage} {count}/{base} ({_pct(count / base if base else None)})")
    return f"{group.name} ({values.counted(group.events, 'event')}): " + " → ".join(parts)


def render_funnel(funnel: Funnel, timezone: str = "UTC") -> str:
    """The text of ``/stats funnel``."""
    what = f" tagged {funnel.tag}" if funnel.tag else ""
    lines = [f"Learning funnel for events{what} "
             f"{span(funnel.since, funnel.until, timezone)}:",
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
             f"from {best.members} members' activity {span(best.since, best.until, timezone)} "
             "(in each member's own time zone):"]
    for rank, slot in enumerate(best.slots, 1):
        start = slot.next_start(best.now)
        local = start.astimezone(zone)
        lines.append(f"{rank}. {DAYS[local.weekday()]} {local:%H:%M} {local.tzname()} "
                     f"({DAYS[start.weekday()]} {start:%H:%M} UTC): reaches about "
                     f"{slot.reach:.1f} members in a typical week; {slot.regulars} are "
                     "around then at least every other week")
    return "\n".join(lines)


def export_note(rows: int, since: datetime) -> str:
    """The message with the ``/stats export`` CSV."""
    return f"{rows} rows (one per member and event) since {since:%Y-%m-%d}."
