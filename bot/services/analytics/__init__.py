"""Organisers' analytics: per-event figures, community activity, segments, turnout, funnel.

May import bot.core, config, storage (its reads are in storage.repos.analytics) and the
pure recommender; never bot.render (handlers and the CLI draw the views).
"""

from bot.services.analytics.service import AnalyticsService
from bot.services.analytics.views import (
    BestTimes,
    Comment,
    CommunityStats,
    EventStats,
    Funnel,
    FunnelGroup,
    FunnelRow,
    Prediction,
    Progress,
    SegmentReport,
    Window,
)

__all__ = [
    "AnalyticsService",
    "BestTimes",
    "Comment",
    "CommunityStats",
    "EventStats",
    "Funnel",
    "FunnelGroup",
    "FunnelRow",
    "Prediction",
    "Progress",
    "SegmentReport",
    "Window",
]
