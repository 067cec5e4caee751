"""Outbox tests run with fast pacing: rate limits are tested on virtual time instead
(test_pacing.py), so real-time tests need not wait a second per chat."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for a test app with limits high enough not to slow the tests down."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        outbox={"telegram_per_second": 1000.0, "telegram_per_chat_per_second": 1000.0,
                "discord_per_second": 1000.0},
        _toml_file=tmp_path / "absent.toml",  # type: ignore[call-arg]
    )
