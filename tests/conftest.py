"""Shared fixtures: real databases (a SQLite file and the running PostgreSQL), a fixed clock,
the wired app, and a chat harness that speaks through the real dispatcher.

PostgreSQL tests skip with a visible reason when the server is unreachable locally and fail
under ``CI=true`` (the CI script also rejects any skipped PostgreSQL test).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App, build, prepare, running
from bot.core.clock import FixedClock
from config.settings import Settings
from storage import Database
from tests.harness import Chat

POSTGRES_URL = os.environ.get(
    "COHORT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

# Tests where the wall clock leaks in (a real process, the emulators, APScheduler, a
# SystemClock): marked ``time_sensitive`` so CI runs them again under ``faketime '+400
# days'`` (.ci/run) and a test that only passes near today's date is caught (#14.6).
TIME_SENSITIVE = (
    "tests/cli/", "tests/e2e/", "tests/runtime/", "tests/storage/test_database.py",
    "tests/services/outbox/", "tests/services/challenges/test_rotation.py",
    "tests/handlers/test_events.py", "tests/handlers/test_event_late_offsets.py",
    "tests/handlers/test_points.py", "tests/services/recommendations/test_digests.py",
)


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_plain(POSTGRES_URL), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests under :data:`TIME_SENSITIVE` (by path from the repository root)."""
    root = Path(__file__).parents[1]
    for item in items:
        where = item.path.relative_to(root).as_posix()
        if where.startswith(TIME_SENSITIVE):
            item.add_marker(pytest.mark.time_sensitive)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    name = f"cohort_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        reason = f"PostgreSQL not reachable at {POSTGRES_URL}: {exc}"
        if IN_CI:
            pytest.fail(reason + " (mandatory under CI=true)")
        pytest.skip(reason)
    base, _, _ = POSTGRES_URL.rpartition("/")
    yield f"{base}/{name}"
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage-touching test runs on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/cohort.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database."""
    database = Database(database_url)
    await database.upgrade()
    await database.wipe()
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """Time stands still until a test moves it."""
    return FixedClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for a test app (no tokens, a private data dir, no TOML file)."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        _toml_file=tmp_path / "absent.toml",  # type: ignore[call-arg]
    )


@pytest.fixture
async def app(settings: Settings, clock: FixedClock, db: Database) -> AsyncIterator[App]:
    """The wired application on a clean database, running."""
    del db  # migrated and wiped by the fixture
    application = build(settings, clock)
    await prepare(application, seed_demo=False)
    async with running(application):
        yield application


@pytest.fixture
def chat(app: App) -> Chat:
    """Talk to the app as console members."""
    return Chat(app)
