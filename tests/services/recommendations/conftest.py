"""Fixtures for the recommendation service tests: TF-IDF apps (fast) and the real MiniLM."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.core.model import Member, Platform, UserRef
from bot.services.events import EventSpec
from config.settings import RecommenderSettings, Settings
from recommender import SentenceTransformerEncoder
from tests.harness import Sent


@pytest.fixture(scope="session")
def minilm() -> SentenceTransformerEncoder:
    """The real all-MiniLM-L6-v2 from the installed package, loaded once per session."""
    return SentenceTransformerEncoder.bundled()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """TF-IDF vectors (no model load) and small digests; the model is opted into per test."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        recommender=RecommenderSettings(backend="tfidf", digest_size=2),
        _toml_file=tmp_path / "absent.toml",  # type: ignore[call-arg]
    )


@pytest.fixture
def sent(app: App) -> Sent:
    recorder = Sent()
    app.platforms.add_messenger(recorder)
    return recorder


async def member(app: App, who: str) -> Member:
    """The member behind a console user (created on first sight)."""
    return await app.directory.identify(UserRef(Platform.CONSOLE, who, who, handle=who))


async def session(app: App, title: str, *, days: float = 3, description: str = "",
                  tags: tuple[str, ...] = (), capacity: int | None = None,
                  audience: str | None = None) -> int:
    """Create an event ``days`` from now through the real event service."""
    admin = await member(app, "ada")
    view = await app.features.events.create(admin, EventSpec(
        title=title, start=app.clock.now() + timedelta(days=days), description=description,
        tags=tags, capacity=capacity, audience=audience), None)
    return view.id
