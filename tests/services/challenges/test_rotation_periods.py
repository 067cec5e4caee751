"""A rotation opens one challenge per cron period, even when the period runs twice (a run
taken over after a crash) or late (caught up after a restart) (#14.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.core.clock import FixedClock
from config.settings import Settings
from tests.harness import Chat
from tests.services.challenges.conftest import create_sum


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.judge.rotation = "daily"  # rotation_cron 0 9 * * *: START (10:00) is late
    return settings


async def test_a_period_rotated_twice_opens_one_challenge_from_the_period(
        app: App, chat: Chat, clock: FixedClock) -> None:
    first = await create_sum(chat, "queue=yes")
    second = await create_sum(chat, "queue=yes")
    await app.scheduler.run_now("challenges.rotate")
    await app.scheduler.run_now("challenges.rotate")  # the same period again
    listing = await chat.text("/challenges", who="maya")
    assert f"#{first}" in listing and f"#{second}" not in listing
    view = await app.features.challenges.show(first, is_admin=True)
    nine = clock.now().replace(hour=9, minute=0)
    assert (view.opens_at, view.closes_at) == (nine, nine + timedelta(days=1))
