"""The learning funnel: RSVP → attended → solved the linked challenge → came back.

Overall, per tag and per organiser, with one row per member and event for the CSV export.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.errors import UserError
from bot.core.values import split_tags
from bot.services.analytics.attendance import AttendanceRecord, attendance, ended_events
from bot.services.analytics.views import Funnel, FunnelGroup, FunnelRow
from config.settings import AnalyticsSettings
from storage import Unit
from storage.rows.events import EventRow

CSV_HEADER = ["event_id", "title", "starts_at", "tags", "organiser", "member_id", "member",
              "rsvp", "attended", "checked_in_at", "has_challenge", "solved_challenge",
              "comeback_window_closed", "came_back_within_30d", "rating"]


async def funnel(unit: Unit, settings: AnalyticsSettings, since: datetime, now: datetime,
                 tag: str | None) -> Funnel:
    """The funnel of events that ended in [since, now), optionally of one tag."""
    wanted = tag.strip().lower() if tag else None
    comeback = timedelta(days=settings.comeback_days)
    events = await ended_events(unit, since, now)
    if wanted:
        events = [e for e in events if wanted in split_tags(e.tags)]
    if not events:
        what = f" tagged `{wanted}`" if wanted else ""
        raise UserError(f"No event{what} ended between {since:%Y-%m-%d} and "
                        f"{now:%Y-%m-%d}: the funnel needs at least one.")
    # Coming back looks at every later event, tagged or not.
    later = await ended_events(unit, events[0].starts_at, now)
    records = await attendance(unit, later, timedelta(minutes=settings.voice_grace_minutes))
    starts = sorted((e.starts_at, e.id) for e in later)
    challenges: dict[int, set[int]] = defaultdict(set)
    for challenge_id, event_id in await unit.analytics.linked_challenges(
            [e.id for e in events]):
        if event_id is not None:
            challenges[event_id].add(challenge_id)
    solvers: dict[int, set[int]] = defaultdict(set)
    linked = {c for ids in challenges.values() for c in ids}
    if linked:
        for challenge_id, member_id in await unit.analytics.solves_of(linked):
            solvers[challenge_id].add(member_id)
    names = await unit.analytics.names()
    ratings = await unit.analytics.ratings([e.id for e in events])
    rows: list[FunnelRow] = []
    for event in events:
        record = records.get(event.id, AttendanceRecord())
        end = event.ends_at
        closed = end + comeback <= now
        linked_solvers = set().union(*(solvers[c] for c in challenges.get(event.id, ())))
        organiser = names.get(event.created_by or -1, "unknown")
        for member_id in sorted(record.going | record.attended):
            attended = member_id in record.attended
            came_back = attended and any(
                member_id in records[other].attended for start, other in starts
                if end < start <= end + comeback and other != event.id)
            rows.append(FunnelRow(
                event_id=event.id, title=event.title, starts_at=event.starts_at,
                tags=split_tags(event.tags), organiser=organiser, member_id=member_id,
                member=names.get(member_id, f"member {member_id}"),
                status="going", attended=attended,
                checked_in_at=record.checked_in.get(member_id),
                has_challenge=bool(challenges.get(event.id)),
                solved=attended and member_id in linked_solvers, window_closed=closed,
                came_back=came_back, rating=ratings.get((event.id, member_id)),
            ))
    return _group(since, wanted, events, rows, names)


def _group(since: datetime, tag: str | None, events: Sequence[EventRow],
           rows: Sequence[FunnelRow], names: dict[int, str]) -> Funnel:
    total = FunnelGroup("all events")
    by_tag: dict[str, FunnelGroup] = {}
    by_organiser: dict[str, FunnelGroup] = {}
    per_event: dict[int, list[FunnelRow]] = defaultdict(list)
    for row in rows:
        per_event[row.event_id].append(row)
    for event in events:
        groups = [total, by_organiser.setdefault(
            names.get(event.created_by or -1, "unknown"),
            FunnelGroup(names.get(event.created_by or -1, "unknown")))]
        groups += [by_tag.setdefault(t, FunnelGroup(t)) for t in split_tags(event.tags)]
        for group in groups:
            group.events += 1
            for row in per_event.get(event.id, ()):
                group.rsvp += 1
                group.attended += row.attended
                if row.attended and row.has_challenge:
                    group.challenge_attended += 1
                    group.solved += row.solved
                if row.attended and row.window_closed:
                    group.closed_attended += 1
                    group.came_back += row.came_back
    order = sorted(by_tag.values(), key=lambda g: (-g.rsvp, g.name))
    return Funnel(since, tag, total, order,
                  sorted(by_organiser.values(), key=lambda g: (-g.rsvp, g.name)), list(rows))


def to_csv(funnel: Funnel) -> bytes:
    """The funnel's rows (one per member and event) as CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in funnel.rows:
        writer.writerow([
            r.event_id, _cell(r.title), r.starts_at.isoformat(), " ".join(r.tags),
            _cell(r.organiser), r.member_id, _cell(r.member), r.status, int(r.attended),
            r.checked_in_at.isoformat() if r.checked_in_at else "", int(r.has_challenge),
            int(r.solved), int(r.window_closed), int(r.came_back),
            "" if r.rating is None else r.rating,
        ])
    return out.getvalue().encode("utf-8")


def _cell(text: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
