"""The composition root: the only module that knows every part and wires them.

``build(settings)`` makes the objects; ``running(app)`` migrates the database and starts
the background parts; adapters are entered by :mod:`bot.cli`. Nothing here runs at import.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import heap, offload
from bot.core.clock import Clock, SystemClock
from bot.core.commands import Command
from bot.core.dispatch import Dispatcher, InputLimits
from bot.core.model import Platform
from bot.core.platforms import Platforms
from bot.core.policy import ErrorPolicy
from bot.runtime import JobRuns, Leadership, Scheduler
from bot.sandbox.config import SandboxConfig
from bot.sandbox.piston import PistonConfig
from bot.services import demo
from bot.services.activity import InteractionLog, PresenceService
from bot.services.analytics import AnalyticsService
from bot.services.audit import AuditData, AuditService
from bot.services.calendar import CalendarData, CalendarService
from bot.services.challenges import (
    ChallengeRules,
    ChallengeService,
    JudgeGate,
    PointsAwarder,
    SubmissionData,
)
from bot.services.channels import ChannelRoles
from bot.services.dashboard import DashboardAccess
from bot.services.events import EventData, EventService
from bot.services.members import (
    LinkService,
    MemberDirectory,
    PrivacyService,
    ProfileData,
    ProfileService,
)
from bot.services.outbox import Outbox, PlatformRates, Rate, RateLimiter
from bot.services.points import PointsData, PointsService, RewardService
from bot.services.recommendations import (
    BuddyService,
    RecommendationData,
    RecommendationService,
)
from config.settings import JudgeSettings, OutboxSettings, Settings
from handlers import Features, all_commands, all_listeners
from storage import Database

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class App:
    """Everything one bot process holds."""

    settings: Settings
    clock: Clock
    db: Database
    platforms: Platforms  # filled by the adapters as they start (bot.cli)
    scheduler: Scheduler
    directory: MemberDirectory
    interactions: InteractionLog
    outbox: Outbox
    presence: PresenceService  # the adapters' PlatformEvents port
    features: Features
    dispatcher: Dispatcher
    leadership: Leadership

    async def drain(self) -> None:
        """Deliver everything already due (the console's end of input, shutdown)."""
        await self.interactions.flush()
        await self.outbox.sweep()


def rate_limiter(limits: OutboxSettings,
                 now: Callable[[], float] = time.monotonic) -> RateLimiter:
    """The outbox's pacing from settings (``now`` is replaceable for virtual-time tests)."""
    return RateLimiter({
        # Burst 1: a bucket allows burst + rate sends in any one second, so a burst of 24
        # would let 48 Telegram messages out in one second (limit 30; G8 wants <= 80%).
        # Groups and channels (negative chat ids) get at most 20 posts a minute on Telegram.
        Platform.TELEGRAM.value: PlatformRates(
            Rate(limits.telegram_per_second), Rate(limits.telegram_per_chat_per_second),
            per_group=Rate(limits.telegram_per_group_per_minute / 60),
            is_group=lambda chat: chat.startswith("-")),
        Platform.DISCORD.value: PlatformRates(Rate(limits.discord_per_second)),
    }, now)


def judge_gate_from(judging: JudgeSettings) -> JudgeGate:
    """The judge chosen by settings: the local sandbox, or a self-hosted Piston API."""
    if judging.backend == "piston":
        return JudgeGate.piston(PistonConfig(base_url=judging.piston_url, slots=judging.slots,
                                             version=judging.piston_version))
    return JudgeGate.local(SandboxConfig(slots=judging.slots), self_check=judging.self_check)


def build(
    settings: Settings, clock: Clock | None = None, *, judge_gate: JudgeGate | None = None,
    awarder: PointsAwarder | None = None,
) -> App:
    """Wire the services, handlers and dispatcher from settings.

    ``judge_gate`` replaces the local sandbox behind challenges (tests, a remote judge);
    ``awarder`` replaces the points ledger as where challenge points go (tests).
    """
    clock = clock or SystemClock()
    if settings.cpu_workers:
        offload.configure(settings.cpu_workers)  # the bounded pool heavy work runs in
    db = Database(settings.database_url)
    platforms = Platforms()
    runs = JobRuns(db, clock, catch_up=timedelta(hours=settings.scheduler.catch_up_hours))
    scheduler = Scheduler(runs)
    directory = MemberDirectory(db, clock, settings.timezone)
    interactions = InteractionLog(
        db, clock,
        store_text=settings.privacy.store_message_text,
        flush_seconds=settings.interactions.flush_seconds,
        batch_size=settings.interactions.batch_size,
    )
    limits = settings.outbox
    outbox = Outbox(
        db, clock,
        rate_limiter(limits),
        platforms,
        max_attempts=limits.max_attempts,
        backoff=timedelta(seconds=limits.backoff_seconds),
        dm_retry_after=timedelta(hours=limits.dm_closed_retry_hours),
        wave_margin=timedelta(seconds=limits.wave_margin_seconds),
        wave_slack=limits.wave_slack,
        wave_horizon=timedelta(hours=limits.wave_horizon_hours),
    )
    rec = settings.recommender
    # The model loads in its own process after start-up (running()); TF-IDF until then.
    recommendations = RecommendationService(db, clock, outbox, rec)
    # Level roles are granted on Discord, in the configured guild (else every guild seen).
    points = PointsService(db, clock, outbox, platforms, settings.points,
                           timezone=settings.timezone,
                           role_communities={Platform.DISCORD: settings.points.discord_guild_id})
    # The sandbox starts on the first submission, never at import or build time.
    judging = settings.judge
    challenges = ChallengeService(
        db, clock, judge_gate or judge_gate_from(settings.judge), interactions, outbox,
        awarder=awarder or points,
        rules=ChallengeRules(cooldown_s=judging.cooldown_seconds, workers=judging.slots,
                             queue_capacity=judging.queue_capacity))
    events = EventService(db, clock, outbox, interactions, points, settings.events)
    links = LinkService(db, clock, directory, interactions, platforms, merges=[points.merge])
    policy = ErrorPolicy(db)  # the one error policy: commands, messages and platform hooks
    presence = PresenceService(directory, interactions, clock,
                               reaction_received=points.reaction_received,
                               voice_joined=events.voice_presence,
                               place_moved=outbox.move_place, policy=policy)
    features = Features(
        profiles=ProfileService(db, directory),
        privacy=PrivacyService(db, clock, directory, interactions,
                               [ProfileData(), EventData(), SubmissionData(),
                                RecommendationData(), PointsData(points, clock),
                                AuditData(), CalendarData()]),
        events=events,
        outbox=outbox,
        links=links,
        channels=ChannelRoles(db),
        challenges=challenges,
        recommendations=recommendations,
        buddies=BuddyService(db, clock, outbox, recommendations, min_score=rec.buddy_min_score),
        points=points,
        rewards=RewardService(db, clock, outbox, points),
        analytics=AnalyticsService(db, clock, settings.analytics),
        audit=AuditService(db),
        calendar=CalendarService(db, clock, public_url=settings.web.base_url),
        dashboard=DashboardAccess(db, clock, settings.web),
    )

    def catalog(is_admin: bool) -> Sequence[Command]:
        # Late-bound: /help reads the dispatcher's final command list.
        return dispatcher.available(is_admin)

    dispatcher = Dispatcher(
        all_commands(features, catalog), all_listeners(features), directory, interactions,
        clock,
        InputLimits(max_line=settings.limits.max_line,
               max_attachment=settings.limits.max_attachment_bytes),
        policy,
    )
    scheduler.every("interactions.flush", timedelta(seconds=settings.interactions.flush_seconds),
                    interactions.flush, per_process=True)
    # Order matters for the console's :advance: plan first, then send.
    # Periodic jobs record their periods (job_runs), so a restart catches up a missed one.
    async def materialize(_period: datetime) -> None:
        await events.materialize_series()

    scheduler.periodic("events.materialize", settings.scheduler.series_cron, materialize,
                       setting="scheduler.series_cron")
    scheduler.every("events.offers", timedelta(minutes=1), events.expire_offers)
    scheduler.every("events.feedback", timedelta(minutes=5), events.request_feedback)
    if judging.rotation != "off":
        period = timedelta(days=1 if judging.rotation == "daily" else 7)

        async def rotate(at: datetime) -> None:
            await challenges.rotate(period, at)

        scheduler.periodic("challenges.rotate", judging.rotation_cron, rotate,
                           settings.timezone, setting="judge.rotation_cron")
    scheduler.periodic("recommendations.digest", rec.digest_cron, recommendations.send_digests,
                       rec.digest_timezone, setting="recommender.digest_cron")
    # Each process embeds new session texts ahead of requests into its own cache (G5).
    scheduler.every("recommendations.refresh", timedelta(minutes=15), recommendations.refresh,
                    per_process=True)

    scheduler.periodic("points.leaderboard", settings.points.leaderboard_cron,
                       points.post_weekly, points.timezone,
                       setting="points.leaderboard_cron")
    scheduler.every("points.roles", timedelta(minutes=1), points.sync_roles)

    async def sweep_outbox() -> None:
        # Keep sending through a wave of due rows, then wake when the next one is due, so a
        # reminder is not late by up to a whole interval (G7).
        upcoming = await outbox.sweep_until_idle()
        if upcoming is not None:
            scheduler.wake("outbox.sweep", upcoming)

    scheduler.every("outbox.sweep", timedelta(seconds=limits.sweep_seconds), sweep_outbox)

    async def elected() -> None:
        # Claims left by a dead leader go back to pending before this process sweeps.
        await outbox.recover()
        scheduler.lead()
        # Periodic runs that fell due while no process led: claimed now, run in background.
        await scheduler.catch_up()

    async def deposed() -> None:
        scheduler.follow()

    leadership = Leadership(db, on_elected=elected, on_deposed=deposed)
    return App(settings, clock, db, platforms, scheduler, directory, interactions, outbox,
               presence, features, dispatcher, leadership=leadership)


async def prepare(app: App, *, seed_demo: bool) -> None:
    """Migrate the database and, on an empty one, seed the demo community."""
    await app.db.upgrade()
    if seed_demo and await demo.seed(app.db, app.clock):
        logger.info("seeded the demo community")
    # The outbox's claims are released by the process that wins leadership (running()),
    # never here: a second process starting must not free the leader's in-flight rows.
    await app.features.challenges.recover()


@asynccontextmanager
async def running(app: App) -> AsyncIterator[App]:
    """Start the background parts; on exit, stop them and flush what is buffered."""
    try:
        app.features.recommendations.start()
        async with app.interactions, app.scheduler, app.leadership:
            heap.settle()  # what start-up built lives as long as the process (G13)
            yield app
    finally:
        await app.features.challenges.aclose()
        await app.features.recommendations.aclose()
        await app.db.dispose()
