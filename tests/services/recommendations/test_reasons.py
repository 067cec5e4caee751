"""A reason is said only when its signal really ranked the pick (#13.8), with the real MiniLM."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.core.clock import FixedClock
from bot.services.events import Answer
from recommender import SentenceTransformerEncoder
from tests.harness import Chat
from tests.services.recommendations.conftest import member, session
from tests.services.recommendations.test_service import ids_in

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def line_of(text: str, event_id: int) -> str:
    return next(x for x in text.splitlines() if f"#{event_id} " in x)


@SQLITE_ONLY
async def test_an_unrelated_pick_is_not_said_to_match_an_interest(
    app: App, chat: Chat, clock: FixedClock, minilm: SentenceTransformerEncoder
):
    app.features.recommendations.install(minilm)
    nets = await session(app, "Training neural networks with PyTorch", days=4,
                         description="Deep learning models, GPUs and backpropagation.")
    access = await session(app, "Accessibility talk: designing for screen readers", days=5,
                           description="ARIA roles, contrast and keyboard navigation.")
    await chat.say('/profile interests="neural networks"', who="maya")

    text = await chat.text("/recommend 2", who="maya")
    assert ids_in(text) == [nets, access]
    assert "matches your interest in neural networks" in line_of(text, nets)
    unrelated = line_of(text, access)
    assert "neural networks" not in unrelated and "·" not in unrelated.split("(in")[-1], text

    # Attending something unrelated does not explain it either; nothing popular, not soon.
    lee = await member(app, "lee")
    pottery = await session(app, "Wheel throwing", days=1, description="clay on the wheel")
    await app.features.events.rsvp(lee, pottery, Answer.GOING)
    clock.advance(timedelta(days=2))
    text = await chat.text("/recommend 2", who="lee")
    assert set(ids_in(text)) == {nets, access}
    assert "you attended" not in text and "popular" not in text, text
