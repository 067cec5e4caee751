"""The real all-MiniLM-L6-v2 end to end, the stored embedding cache, and loading off the
start-up path (TF-IDF answers until the model is ready)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from bot.app import App
from bot.services.recommendations import RecommendationService
from recommender import Encoder, SentenceTransformerEncoder
from tests.harness import Chat
from tests.services.recommendations.conftest import member, session
from tests.services.recommendations.test_service import ids_in

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class Counting:
    """Wraps an encoder and counts the texts it is asked to encode."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.texts = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.encode(texts)


@SQLITE_ONLY
async def test_real_model_ranks_by_meaning_and_encodes_each_text_once(
    app: App, chat: Chat, minilm: SentenceTransformerEncoder
):
    counting = Counting(minilm)
    app.features.recommendations.install(counting)
    ml = await session(app, "Training neural networks with PyTorch",
                       description="Deep learning models, GPUs and backpropagation.")
    pottery = await session(app, "Wheel throwing for beginners", days=2,
                            description="Centring clay on the pottery wheel.")
    await chat.say('/profile interests="machine learning"', who="maya")

    text = await chat.text("/recommend 2", who="maya")
    assert ids_in(text) == [ml, pottery]
    assert "matches your interest in machine learning" in text.splitlines()[1]
    first = counting.texts
    assert first == 3  # two session texts and one interest

    await chat.text("/recommend 2", who="maya")  # warm cache: nothing encoded
    await chat.text(f"/similar {ml}", who="maya")
    assert counting.texts == first
    async with app.db.unit() as unit:
        assert await unit.recommendations.embedding_count(minilm.name) == 2

    # Another process (a fresh service) finds the stored vectors: no session text re-encoded.
    fresh = Counting(minilm)
    other = RecommendationService(app.db, app.clock, app.outbox)
    other.install(fresh)
    assert await other.refresh() == 2
    assert fresh.texts == 0


@SQLITE_ONLY
async def test_answers_with_tfidf_until_the_model_is_loaded(
    app: App, minilm: SentenceTransformerEncoder, caplog: pytest.LogCaptureFixture
):
    gate = threading.Event()

    def slow_load() -> Encoder:
        gate.wait(30)
        return minilm

    service = RecommendationService(app.db, app.clock, app.outbox, loader=slow_load)
    await session(app, "Training neural networks", description="deep learning")
    maya = await member(app, "maya")
    with caplog.at_level(logging.INFO, logger="bot.services.recommendations"):
        early = await service.recommend(maya)
        again = await service.recommend(maya)
    assert early.model.startswith("tfidf") and again.model.startswith("tfidf")
    assert not service.model_ready
    said = [r for r in caplog.records if "TF-IDF until" in r.getMessage()]
    assert len(said) == 1  # said once
    gate.set()
    assert (await service.ready()).name == minilm.name
    assert (await service.recommend(maya)).model == minilm.name
    await service.aclose()


@SQLITE_ONLY
async def test_a_missing_model_path_falls_back_to_tfidf(app: App, tmp_path):
    from config.settings import RecommenderSettings

    service = RecommendationService(app.db, app.clock, app.outbox, RecommenderSettings(
        model=str(tmp_path / "nope")))
    encoder = await service.ready()
    assert encoder.name.startswith("tfidf")
    await session(app, "Rust", description="rust")
    assert (await service.recommend(await member(app, "maya"))).items
