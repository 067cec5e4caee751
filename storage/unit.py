"""One transaction and the repositories bound to it (the session stays inside storage)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repos.activity import InteractionRepo, TextRepo
from storage.repos.analytics import AnalyticsRepo
from storage.repos.calendar import CalendarRepo
from storage.repos.challenges import ChallengeRepo
from storage.repos.channels import ChannelRepo
from storage.repos.events import EventRepo, FeedbackRepo, RsvpRepo, SeriesRepo
from storage.repos.jobs import JobRunRepo
from storage.repos.members import AuditRepo, MemberRepo, PlaceRepo
from storage.repos.moves import MoveRepo
from storage.repos.outbox import OutboxRepo
from storage.repos.points import PointsRepo, RewardRepo
from storage.repos.recommendations import RecommendationRepo
from storage.repos.web import WebRepo


class Unit:
    """One transaction and the repositories bound to it."""

    def __init__(self, session: AsyncSession) -> None:
        self.members = MemberRepo(session)
        self.interactions = InteractionRepo(session)
        self.texts = TextRepo(session)
        self.audit = AuditRepo(session)
        self.places = PlaceRepo(session)
        self.moves = MoveRepo(session)
        self.events = EventRepo(session)
        self.series = SeriesRepo(session)
        self.rsvps = RsvpRepo(session)
        self.feedback = FeedbackRepo(session)
        self.outbox = OutboxRepo(session)
        self.channels = ChannelRepo(session)
        self.challenges = ChallengeRepo(session)
        self.recommendations = RecommendationRepo(session)
        self.analytics = AnalyticsRepo(session)
        self.points, self.rewards = PointsRepo(session), RewardRepo(session)
        self.calendar = CalendarRepo(session)
        self.jobs = JobRunRepo(session)
        self.web = WebRepo(session)
