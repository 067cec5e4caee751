"""Recommendations, weekly digests and study buddies over the pure `recommender` library.

May import bot.core, bot.services.outbox, config, storage and (lazily) recommender.
"""

from bot.services.recommendations.buddies import BuddyService
from bot.services.recommendations.data import RecommendationData
from bot.services.recommendations.index import split_interests
from bot.services.recommendations.service import MAX_RESULTS, RecommendationService
from bot.services.recommendations.views import (
    Acceptance,
    BuddyOffer,
    Session,
    Suggestion,
    Suggestions,
)

__all__ = [
    "MAX_RESULTS",
    "Acceptance",
    "BuddyOffer",
    "BuddyService",
    "RecommendationData",
    "RecommendationService",
    "Session",
    "Suggestion",
    "Suggestions",
    "split_interests",
]
