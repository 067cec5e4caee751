"""Calendar feeds: a private, revocable feed per member and the public community feed.

May import ``bot.core``, ``bot.services.events`` and ``storage``; words live in :mod:`.texts`.
"""

from bot.services.calendar.service import (
    CalendarData,
    CalendarService,
    Feed,
    FeedLink,
    UnknownFeed,
)

__all__ = ["CalendarData", "CalendarService", "Feed", "FeedLink", "UnknownFeed"]
