"""Command declarations and thin handlers, one module per feature.

:func:`all_commands` is the explicit list of everything the bot can do (no decorator
registry): reading it tells you the whole command surface.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.commands import Command
from bot.core.dispatch import Listener
from bot.services.analytics import AnalyticsService
from bot.services.audit import AuditService
from bot.services.calendar import CalendarService
from bot.services.challenges import ChallengeService
from bot.services.channels import ChannelRoles
from bot.services.dashboard import DashboardAccess
from bot.services.events import EventService
from bot.services.members import LinkService, PrivacyService, ProfileService
from bot.services.outbox import Outbox
from bot.services.points import PointsService, RewardService
from bot.services.recommendations import BuddyService, RecommendationService
from handlers import analytics as analytics_
from handlers import audit as audit_
from handlers import calendar as calendar_
from handlers import challenges, channels, dashboard, events, members, outbox
from handlers import help as help_
from handlers import points as points_
from handlers import recommendations as recommendations_


@dataclass(frozen=True, slots=True)
class Features:
    """The services handlers may use."""

    profiles: ProfileService
    privacy: PrivacyService
    events: EventService
    outbox: Outbox
    links: LinkService
    channels: ChannelRoles
    challenges: ChallengeService
    recommendations: RecommendationService
    buddies: BuddyService
    points: PointsService
    rewards: RewardService
    analytics: AnalyticsService | None = None  # /stats; predicted turnout in /event
    audit: AuditService | None = None  # /audit
    calendar: CalendarService | None = None  # /calendar
    dashboard: DashboardAccess | None = None  # /dashboard and the web dashboard


def all_commands(features: Features, catalog: help_.Catalog) -> list[Command]:
    """Every command, in the order help lists them."""
    return [
        *help_.commands(catalog),
        *members.profile_commands(features.profiles, features.events),
        *members.privacy_commands(features.privacy),
        *events.commands(features.events, features.analytics),
        *(calendar_.commands(features.calendar) if features.calendar else []),
        *outbox.commands(features.outbox),
        *members.link_commands(features.links),
        *channels.commands(features.channels),
        *challenges.commands(features.challenges),
        *recommendations_.commands(features.recommendations),
        *recommendations_.buddy_commands(features.buddies),
        *points_.commands(features.points),
        *points_.reward_commands(features.rewards),
        *(analytics_.commands(features.analytics) if features.analytics else []),
        *(audit_.commands(features.audit) if features.audit else []),
        *(dashboard.commands(features.dashboard) if features.dashboard else []),
    ]


def all_listeners(features: Features) -> Sequence[Listener]:
    """Everything that reacts to plain chat messages."""
    return [*points_.listeners(features.points)]
