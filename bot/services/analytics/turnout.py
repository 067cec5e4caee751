"""Predicted turnout: a show-up model fitted on who came to the events they said going to."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from bot.core.offload import off_loop
from bot.services.analytics.attendance import attendance, ended_events
from config.settings import AnalyticsSettings
from recommender import turnout as tm
from storage import Unit

MAYBE_WEIGHT = 0.0  # how much a "maybe" counts toward the predicted turnout


async def show_up(unit: Unit, settings: AnalyticsSettings,
                  before: datetime) -> tuple[tm.ShowUpModel | None, str]:
    """The model from events that ended before ``before``, or None and why not."""
    since = before - timedelta(days=settings.history_days)
    events = await ended_events(unit, since, before)
    records_by_event = await attendance(unit, events,
                                        timedelta(minutes=settings.voice_grace_minutes))
    said: Counter[int] = Counter()
    came: Counter[int] = Counter()
    for record in records_by_event.values():
        for member_id in record.going:
            said[member_id] += 1
            came[member_id] += member_id in record.attended
    records = [tm.Record(m, said[m], came[m]) for m in said]
    try:
        # A fit over a year of RSVPs is CPU work: off the loop (#14.4).
        return await off_loop(tm.fit, records, min_history=settings.min_turnout_history), ""
    except tm.NotEnoughHistory as exc:
        return None, f"No prediction yet: {exc}."
