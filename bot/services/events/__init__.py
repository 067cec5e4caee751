"""Events: workshops and sessions, RSVPs with a waitlist, reminders, series, attendance.

May import ``bot.core``, ``bot.services.outbox`` and ``interactions``, ``config`` and
``storage``; words live in :mod:`.texts`, everything else imports the names below.
"""

from bot.services.events.data import EventData
from bot.services.events.feed import feed
from bot.services.events.service import EventService
from bot.services.events.spec import EventSpec, split_where
from bot.services.events.views import (
    Answer,
    Attendee,
    AttendeeReport,
    EventView,
    HomeChannel,
    ParticipationAwarder,
    RsvpResult,
)

__all__ = [
    "Answer",
    "Attendee",
    "AttendeeReport",
    "EventData",
    "EventService",
    "EventSpec",
    "EventView",
    "HomeChannel",
    "ParticipationAwarder",
    "RsvpResult",
    "feed",
    "split_where",
]
