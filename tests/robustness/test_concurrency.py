"""Concurrent spending and awarding from several bot processes on PostgreSQL (#18.7).

Kept at a size CI can afford: 20 redemptions racing for a stock of 3 and 100 awards racing
onto one balance, each from four processes released at once through the real dispatcher.
Stock, balances and totals must come out exact: nothing lost, nothing doubled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.core.model import Platform, UserRef
from tests.harness import Chat
from tests.robustness.processes import race

ADMIN = {"who": "ada", "admin": True}
PROCESSES = 4


async def _balance(app: App, who: str) -> int:
    member = await app.directory.identify(UserRef(Platform.CONSOLE, who, who, handle=who))
    return (await app.features.points.standing(member)).balance


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.postgres
async def test_twenty_racing_redemptions_take_a_stock_of_three_exactly(
    chat: Chat, app: App, database_url: str, tmp_path: Path
):
    members = [f"r{i}" for i in range(20)]
    for name in members:
        await chat.say("/profile", who=name)
        assert "Sorry" not in await chat.text(f"/points give @{name} 50 seed", **ADMIN)
    await chat.say('/reward add sticker 10 stock=3', **ADMIN)
    per = len(members) // PROCESSES
    plans = [[(name, "/redeem sticker", False) for name in members[p * per:(p + 1) * per]]
             for p in range(PROCESSES)]
    replies = [reply for answers in await race(database_url, plans, tmp_path)
               for reply in answers]
    assert not [r for r in replies if "Sorry" in r], replies
    assert sum("sold out" in r for r in replies) == len(members) - 3
    balances = sorted([await _balance(app, name) for name in members])
    assert balances == [40] * 3 + [50] * (len(members) - 3)
    assert "sold out" in await chat.text("/redeem sticker", who=members[0])


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.postgres
async def test_a_hundred_racing_awards_add_up_exactly(
    chat: Chat, app: App, database_url: str, tmp_path: Path
):
    await chat.say("/profile", who="maya")
    await chat.say("/profile", **ADMIN)
    before = await _balance(app, "maya")
    plans = [[("ada", f"/points give @maya 1 probe {p}-{i}", True) for i in range(25)]
             for p in range(PROCESSES)]
    replies = [reply for answers in await race(database_url, plans, tmp_path)
               for reply in answers]
    assert not [r for r in replies if "Sorry" in r], replies
    assert await _balance(app, "maya") == before + 100
