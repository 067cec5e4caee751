"""The demo community a newcomer meets on the first ``make run``.

Realistic workshops (titles, tags, descriptions) so recommendations have something to work
on; times are relative to now so the demo never goes stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.model import Platform
from storage import Database
from storage.rows.events import EventRow


@dataclass(frozen=True, slots=True)
class DemoMember:
    """A console persona."""

    name: str
    timezone: str
    interests: str


MEMBERS = (
    DemoMember("ada", "Europe/London", "python, compilers, teaching beginners"),
    DemoMember("maya", "Europe/Berlin", "asyncio, web backends, postgres"),
    DemoMember("tomas", "America/Sao_Paulo", "machine learning, pytorch, statistics"),
    DemoMember("lin", "Asia/Singapore", "rust, systems programming, performance"),
    DemoMember("sam", "America/New_York", "frontend, typescript, accessibility"),
)

CHANNELS = ("general", "workshops", "announcements", "challenges")

WORKSHOPS = (
    ("Async Python in practice", "python,asyncio,concurrency", 2, 18, 90,
     "Write an async web scraper with asyncio and aiohttp; task groups, timeouts and "
     "back-pressure explained with live coding.", "https://meet.example.org/async", None),
    ("Intro to PostgreSQL indexing", "postgres,databases,performance", 4, 17, 60,
     "How B-tree and GIN indexes work, reading EXPLAIN ANALYZE, and the three index "
     "mistakes that slow most apps down.", "https://meet.example.org/pg", None),
    ("Hands-on PyTorch: your first neural network", "machine-learning,pytorch,python", 6, 16,
     120, "Train a small image classifier from scratch, then look at what the network "
     "learned. Bring a laptop with Python 3.11.", None, "Makerspace Room 2, 14 Canal St"),
    ("Rust ownership for Python developers", "rust,systems,memory", 9, 18, 90,
     "Borrowing, lifetimes and why the compiler says no, explained with Python analogies.",
     "https://meet.example.org/rust", "Makerspace Room 1, 14 Canal St"),
    ("Accessible web forms", "frontend,accessibility,html", 11, 19, 60,
     "Labels, errors and focus management: make forms that work with screen readers.",
     "https://meet.example.org/a11y", None),
    ("Weekly study group: algorithms", "algorithms,study-group,python", 3, 19, 60,
     "We work through two problems together and review each other's solutions.",
     "https://meet.example.org/algo", None),
)


async def seed(db: Database, clock: Clock) -> bool:
    """Create the demo community if the database is empty; returns True if it did."""
    async with db.unit() as unit:
        if await unit.members.count() > 0:
            return False
        now = clock.now()
        for persona in MEMBERS:
            member = await unit.members.create(
                Platform.CONSOLE.value, persona.name, persona.name, persona.name, now,
                persona.timezone,
            )
            await unit.members.update(member.id, interests=persona.interests)
        for channel in CHANNELS:
            await unit.places.ensure(Platform.CONSOLE.value, channel, channel, False, "demo")
        await unit.channels.set_channel(Platform.CONSOLE.value, "announcements", "announcements")
        await unit.channels.set_channel(Platform.CONSOLE.value, "leaderboard", "general")
        day = _midnight(now)
        for title, tags, days, hour, minutes, description, url, venue in WORKSHOPS:
            await unit.events.add(EventRow(
                title=title, description=description, tags=tags,
                starts_at=day + timedelta(days=days, hours=hour), duration_minutes=minutes,
                timezone="UTC", online_url=url, venue=venue, capacity=30, audience=None,
                status="scheduled", created_by=None, created_at=now, place_platform="console",
                place_id="workshops", checkin_code=f"DEMO{days}", announced_at=now,
            ))
    return True


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
