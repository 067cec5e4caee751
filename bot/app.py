"""The composition root: the only module that knows every part and wires them.

``build(settings)`` makes the objects; ``running(app)`` migrates the database and starts
the background parts; adapters are entered by :mod:`bot.cli`. Nothing here runs at import.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from bot.core.clock import Clock, SystemClock
from bot.core.commands import Command
from bot.core.dispatch import Dispatcher, Limits
from bot.scheduler import Scheduler
from bot.services import demo
from bot.services.interactions import InteractionLog
from bot.services.members import MemberDirectory
from bot.services.outbox import Outbox
from bot.services.privacy import PrivacyService, ProfileData
from bot.services.profiles import ProfileService
from bot.services.ratelimit import PlatformRates, Rate, RateLimiter
from config.settings import Settings
from handlers import Features, all_commands, all_listeners
from storage import Database

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class App:
    """Everything one bot process holds."""

    settings: Settings
    clock: Clock
    db: Database
    scheduler: Scheduler
    directory: MemberDirectory
    interactions: InteractionLog
    outbox: Outbox
    features: Features
    dispatcher: Dispatcher

    async def drain(self) -> None:
        """Deliver everything already due (the console's end of input, shutdown)."""
        await self.interactions.flush()
        await self.outbox.sweep()


def build(settings: Settings, clock: Clock | None = None) -> App:
    """Wire the services, handlers and dispatcher from settings."""
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    scheduler = Scheduler()
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
        RateLimiter({
            "telegram": PlatformRates(Rate(limits.telegram_per_second, limits.telegram_per_second),
                                      Rate(limits.telegram_per_chat_per_second)),
            "discord": PlatformRates(Rate(limits.discord_per_second, limits.discord_per_second)),
        }),
        max_attempts=limits.max_attempts,
        backoff=timedelta(seconds=limits.backoff_seconds),
    )
    features = Features(
        profiles=ProfileService(db, directory),
        privacy=PrivacyService(db, clock, directory, interactions, [ProfileData()]),
    )

    def catalog(is_admin: bool) -> Sequence[Command]:
        # Late-bound: /help reads the dispatcher's final command list.
        return dispatcher.available(is_admin)

    dispatcher = Dispatcher(
        all_commands(features, catalog), all_listeners(features), directory, interactions,
        clock,
        Limits(max_line=settings.limits.max_line,
               max_attachment=settings.limits.max_attachment_bytes),
    )
    scheduler.every("interactions.flush", timedelta(seconds=settings.interactions.flush_seconds),
                    interactions.flush)
    scheduler.every("outbox.sweep", timedelta(seconds=limits.sweep_seconds), outbox.sweep)
    return App(settings, clock, db, scheduler, directory, interactions, outbox, features,
               dispatcher)


async def prepare(app: App, *, seed_demo: bool) -> None:
    """Migrate the database and, on an empty one, seed the demo community."""
    await app.db.upgrade()
    if seed_demo and await demo.seed(app.db, app.clock):
        logger.info("seeded the demo community")
    await app.outbox.recover()


@asynccontextmanager
async def running(app: App) -> AsyncIterator[App]:
    """Start the background parts; on exit, stop them and flush what is buffered."""
    try:
        async with app.interactions, app.scheduler:
            yield app
    finally:
        await app.db.dispose()
