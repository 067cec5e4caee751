from datetime import UTC, datetime

import pytest

from recommender import SentenceTransformerEncoder


@pytest.fixture(scope="session")
def minilm() -> SentenceTransformerEncoder:
    """The real all-MiniLM-L6-v2 from the installed package, loaded once (~9 s)."""
    return SentenceTransformerEncoder.bundled()


@pytest.fixture
def now() -> datetime:
    return datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
