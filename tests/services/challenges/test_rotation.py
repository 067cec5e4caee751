"""A daily rotation opens the next queued challenge on schedule and announces it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.core.clock import FixedClock
from config.settings import Settings
from tests.harness import Chat, Sent
from tests.services.challenges.conftest import create_sum


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.judge.rotation = "daily"
    return settings


async def test_queued_challenges_open_one_per_rotation(app: App, chat: Chat,
                                                       clock: FixedClock):
    sent = Sent()
    app.platforms.add_messenger(sent)
    async with app.db.unit() as unit:
        await unit.channels.set_channel("console", "announcements", "announcements")
    first = await create_sum(chat, "queue=yes")
    second = await create_sum(chat, "queue=yes")
    assert "No challenge is open" in await chat.text("/challenges", who="maya")
    assert "challenges.rotate" in app.scheduler.job_ids

    await app.scheduler.run_now("challenges.rotate")
    await app.outbox.sweep()
    assert f"#{first}" in await chat.text("/challenges", who="maya")
    assert f"#{second}" not in await chat.text("/challenges", who="maya")
    assert [t for t in sent.to("#announcements") if f"challenge #{first}" in t]

    clock.advance(timedelta(days=1, minutes=1))
    await app.scheduler.run_now("challenges.rotate")
    listing = await chat.text("/challenges", who="maya")
    assert f"#{second}" in listing and f"#{first}" not in listing  # yesterday's one closed

    await app.scheduler.run_now("challenges.rotate")  # nothing left: nothing changes
    assert f"#{second}" in await chat.text("/challenges", who="maya")
