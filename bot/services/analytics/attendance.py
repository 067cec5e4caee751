"""Who attended what: a check-in, or a "going" member in voice during the event.

Voice counts from ``voice_grace_minutes`` before the start until the end: that is how
online sessions on Discord are attended. Shared by every job that counts attendance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storage import Unit
from storage.rows.events import EventRow

CHUNK = 500  # event ids per query (both databases bind a few thousand parameters at most)


@dataclass(slots=True)
class AttendanceRecord:
    """One event's going and attending members."""

    going: set[int] = field(default_factory=set)
    attended: set[int] = field(default_factory=set)
    checked_in: dict[int, datetime] = field(default_factory=dict)


async def ended_events(unit: Unit, since: datetime, until: datetime) -> list[EventRow]:
    """Events that were held (not cancelled) and ended in [since, until), by start."""
    rows = await unit.analytics.held_events(since - timedelta(days=1), until)
    return [r for r in rows if since <= r.ends_at <= until]


async def attendance(unit: Unit, events: Sequence[EventRow],
                     grace: timedelta) -> dict[int, AttendanceRecord]:
    """Who was going to each event and who attended (check-in or voice)."""
    if not events:
        return {}
    out = {e.id: AttendanceRecord() for e in events}
    for ids in _chunks([e.id for e in events], CHUNK):
        for event_id, member_id, status, checked in await unit.analytics.answers_of(ids):
            record = out[event_id]
            if status == "going":
                record.going.add(member_id)
            if checked is not None:
                record.attended.add(member_id)
                record.checked_in[member_id] = checked
    first = min(e.starts_at for e in events) - grace
    last = max(e.ends_at for e in events)
    voice: dict[int, list[datetime]] = defaultdict(list)
    async for member_id, _kind, at in unit.analytics.interactions(first, last, ("voice",)):
        voice[member_id].append(at)
    if voice:
        for event in events:
            start, end = event.starts_at - grace, event.ends_at
            record = out[event.id]
            for member_id in record.going - record.attended:
                if any(start <= at <= end for at in voice.get(member_id, ())):
                    record.attended.add(member_id)
    return out


def _chunks(items: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])
