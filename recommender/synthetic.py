"""A small synthetic community with planted preferences, for tests, demos and benchmarks.

Members prefer one or two topics and keep returning to a few recurring series, which reuse
their text every week as real meetup series do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from recommender.dataset import Dataset, DatasetInteraction, DatasetItem

TOPICS: dict[str, tuple[str, ...]] = {
    "python": (
        "asyncio event loops and concurrency in Python",
        "writing async web services with Python and aiohttp",
        "typing Python code with mypy and protocols",
        "profiling slow Python programs and speeding them up",
    ),
    "rust": (
        "ownership and borrowing in Rust explained",
        "building command line tools in Rust",
        "async Rust with tokio for network services",
        "unsafe Rust and foreign function interfaces",
    ),
    "ml": (
        "training neural networks with PyTorch",
        "sentence embeddings for semantic search",
        "evaluating recommender systems offline",
        "gradient boosting on tabular data",
    ),
    "pottery": (
        "wheel throwing for beginners: centring clay",
        "glazing and firing stoneware in a kiln",
        "hand building bowls with coil and slab techniques",
        "decorating ceramics with slip and sgraffito",
    ),
    "photo": (
        "street photography composition walk",
        "editing raw photos in darktable",
        "night sky and astrophotography basics",
        "portrait lighting with a single flash",
    ),
    "security": (
        "capture the flag practice: web exploitation",
        "threat modelling for small teams",
        "reverse engineering binaries with Ghidra",
        "securing Linux servers and SSH hardening",
    ),
}
START = datetime(2025, 1, 6, 18, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SyntheticCommunity:
    """The dataset plus the planted truth (favourite topics per user) for assertions."""

    dataset: Dataset
    favourite_topics: dict[str, tuple[str, ...]]
    topic_of_item: dict[str, str]


def synthetic_community(*, users: int = 120, weeks: int = 16, seed: int = 0) -> SyntheticCommunity:
    """Items over `weeks` weeks (weekly series + one-offs) and attendance by topic taste."""
    rng = np.random.default_rng(seed)
    topics = list(TOPICS)
    items: list[DatasetItem] = []
    topic_of: dict[str, str] = {}
    series: list[tuple[str, str, str]] = []  # (series key, topic, text)
    for topic, phrases in TOPICS.items():
        for n in range(2):
            text = f"{topic} circle #{n + 1}: {phrases[n]}. Weekly meetup, bring questions."
            series.append((f"{topic}-s{n}", topic, text))
    for week in range(weeks):
        day = START + timedelta(weeks=week)
        for s, (key, topic, text) in enumerate(series):
            item_id = f"{key}-w{week}"
            items.append(DatasetItem(item_id, text, day + timedelta(hours=s % 5)))
            topic_of[item_id] = topic
        for n in range(4):
            topic = topics[int(rng.integers(len(topics)))]
            phrases = TOPICS[topic]
            a, b = rng.choice(len(phrases), size=2, replace=False)
            text = f"Workshop: {phrases[a]}. Then a hands-on session on {phrases[b]}."
            item_id = f"oneoff-{week}-{n}"
            items.append(DatasetItem(item_id, text, day + timedelta(days=2, hours=n)))
            topic_of[item_id] = topic
    favourites: dict[str, tuple[str, ...]] = {}
    loyal: dict[str, set[str]] = {}
    for u in range(users):
        user = f"u{u}"
        count = 1 + int(rng.random() < 0.4)
        picked = rng.choice(len(topics), size=count, replace=False)
        favourites[user] = tuple(topics[int(i)] for i in picked)
        own = [key for key, topic, _ in series if topic in favourites[user]]
        loyal[user] = {own[int(i)] for i in rng.choice(len(own), size=1)}
    interactions: list[DatasetInteraction] = []
    for item in items:
        assert item.time is not None
        topic = topic_of[item.item_id]
        key = item.item_id.rsplit("-w", 1)[0]
        for user, likes in favourites.items():
            p = 0.02
            if topic in likes:
                p = 0.25
            if key in loyal[user]:
                p = 0.75
            if rng.random() < p:
                rsvp = item.time - timedelta(hours=float(rng.uniform(1, 72)))
                interactions.append(DatasetInteraction(user, item.item_id, rsvp))
    return SyntheticCommunity(Dataset(tuple(items), tuple(interactions)), favourites, topic_of)
