"""Points fixtures: the app with level roles and exclusions configured, and helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build, prepare, running
from bot.core.clock import FixedClock
from bot.core.model import Member, Platform, UserRef
from config.settings import PointsSettings, Settings
from tests.harness import Sent


def points_settings(database_url: str, tmp_path: Path) -> Settings:
    """Test settings with role rewards at levels 1 and 2 and an excluded channel."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        points=PointsSettings(level_roles={1: "regular", 2: "veteran"},
                              excluded_channels=["offtopic"], excluded_roles=["bots"]),
        _toml_file=tmp_path / "absent.toml",  # type: ignore[call-arg]
    )


def recording(app: App) -> Sent:
    """A messenger registered with the outbox that keeps what it was given."""
    messenger = Sent()
    app.platforms.add_messenger(messenger)
    return messenger


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Test settings with role rewards at levels 1 and 2 and an excluded channel."""
    return points_settings(database_url, tmp_path)


@pytest.fixture
async def berlin_app(settings: Settings, clock: FixedClock, db: object) -> AsyncIterator[App]:
    """The app with weeks and months in Europe/Berlin (rules are fixed at construction)."""
    del db  # migrated and wiped
    berlin = settings.model_copy(
        update={"points": settings.points.model_copy(update={"timezone": "Europe/Berlin"})})
    application = build(berlin, clock)
    await prepare(application, seed_demo=False)
    async with running(application):
        yield application


@pytest.fixture
def sent(app: App) -> Sent:
    return recording(app)


async def member(app: App, who: str, platform: Platform = Platform.CONSOLE) -> Member:
    return await app.directory.identify(UserRef(platform, who, who, handle=who))


async def ledger_and_totals(app: App) -> tuple[int, int, int]:
    """(sum of the ledger, sum of all-time balances, sum of all-time earned points)."""
    from sqlalchemy import text

    async with app.db.engine.connect() as c:
        ledger = (await c.execute(text("SELECT COALESCE(SUM(amount), 0) FROM point_awards"))
                  ).scalar_one()
        balance, earned = (await c.execute(text(
            "SELECT COALESCE(SUM(points - spent), 0), COALESCE(SUM(points), 0) "
            "FROM point_totals WHERE period = 'all'"))).one()
    return int(ledger), int(balance), int(earned)
