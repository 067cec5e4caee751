"""Opening challenges to members: announcements, and the rotation that opens queued ones.

A challenge created with ``queue=yes`` waits; each daily or weekly tick opens the oldest
one for one period and announces it in every announcements channel (outbox rows, so a
restart neither loses nor repeats them).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.model import Platform
from bot.services.challenges.reading import to_view
from bot.services.challenges.texts import announcement
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from storage import Unit
from storage.rows.challenges import ChallengeRow


async def announce(unit: Unit, outbox: Outbox, row: ChallengeRow, now: datetime) -> None:
    """Post the new challenge in every announcements channel when it opens."""
    text = announcement(to_view(row))
    messages = [
        Outgoing(key=f"challenge:{row.id}:announce:{platform}:{place_id}",
                 kind=OutboxKind.ANNOUNCEMENT, text=text, due_at=max(now, row.opens_at),
                 platform=Platform(platform), place_id=place_id)
        for platform, place_id in await unit.channels.channels("announcements")
    ]
    if messages:
        await outbox.put(unit, messages)


async def open_next(unit: Unit, outbox: Outbox, now: datetime, period: timedelta,
                    opens: datetime | None = None) -> ChallengeRow | None:
    """Open the oldest queued challenge from ``opens`` (default now) for ``period``.

    A rotation names its cron period as ``opens``: if a challenge already opened then, the
    period was rotated before (a run taken over after a crash) and it is returned instead.
    """
    if opens is not None:
        for already in await unit.challenges.open_at(now):
            if already.opens_at == opens:
                return already
    row = await unit.challenges.next_queued()
    if row is None:
        return None
    start = opens or now
    row.status, row.opens_at, row.closes_at = "open", start, start + period
    row.updated_at = now
    await announce(unit, outbox, row, now)
    return row
