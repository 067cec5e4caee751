"""One event's figures: answers, attendance, no-shows, ratings and predicted turnout."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from bot.core.errors import UserError
from bot.core.values import split_tags
from bot.services.analytics.attendance import AttendanceRecord, attendance
from bot.services.analytics.turnout import MAYBE_WEIGHT, show_up
from bot.services.analytics.views import Comment, EventStats
from config.settings import AnalyticsSettings
from storage import Unit


async def event_stats(unit: Unit, settings: AnalyticsSettings, now: datetime,
                      event_id: int) -> EventStats:
    """RSVPs, attendance, no-shows, waitlist, satisfaction and predicted turnout."""
    event = await unit.analytics.event(event_id)
    if event is None:
        raise UserError(f"There is no event #{event_id}. Send /events to see them.")
    end = event.ends_at
    answers: Counter[str] = Counter()
    going: list[int] = []
    maybe: list[int] = []
    for member_id, status in await unit.analytics.answers(event_id):
        answers[status] += 1
        if status == "going":
            going.append(member_id)
        elif status == "maybe":
            maybe.append(member_id)
    grace = timedelta(minutes=settings.voice_grace_minutes)
    record = (await attendance(unit, [event], grace)).get(event_id, AttendanceRecord())
    feedback = await unit.analytics.feedback(event_id)
    ratings = await unit.analytics.ratings([event_id])  # satisfaction: attendees' only
    model, note = await show_up(unit, settings, before=min(now, event.starts_at))
    prediction = model.predict(going, maybe, MAYBE_WEIGHT) if model is not None else None
    checked = len(record.checked_in)
    return EventStats(
        id=event.id, title=event.title, start=event.starts_at, end=end,
        status=event.status, tags=split_tags(event.tags), capacity=event.capacity,
        answers=dict(answers), going=len(going), attended=len(record.attended),
        checked_in=checked, by_voice=len(record.attended) - checked,
        ended=end <= now, ratings=tuple(r for (_, m), r in ratings.items()
                                        if m in record.attended),
        comments=tuple(Comment(n, r, c) for r, c, n in feedback if c.strip()),
        prediction=prediction, prediction_note=note,
        community_rate=model.community_rate if model is not None else None,
    )
