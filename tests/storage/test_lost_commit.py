"""A COMMIT lost on the wire is settled by asking PostgreSQL, never guessed (#18.4).

A real ``/points give`` runs through the dispatcher and its error policy while a proxy
(:mod:`tests.storage.pgproxy`) between asyncpg and PostgreSQL loses the award's COMMIT, or
only the server's answer to it. Whatever was lost, the award is in the ledger exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import App
from bot.core.policy import APOLOGY
from config.settings import Settings
from storage.commits import Fate, fate
from tests.harness import Chat
from tests.storage.pgproxy import Drop, PgProxy

pytestmark = [pytest.mark.postgres,
              pytest.mark.parametrize("database_url", ["postgres"], indirect=True)]

GIVE = "/points give @tomas 50 helped at the workshop"
GAVE = "Gave 50 points to tomas (helped at the workshop)."
AWARD = "INSERT INTO point_awards"


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[PgProxy]:
    url = make_url(database_url)
    running = await PgProxy(url.host or "127.0.0.1", url.port or 5432).start()
    yield running
    await running.close()


@pytest.fixture
def settings(database_url: str, proxy: PgProxy, tmp_path: Path) -> Settings:
    """The app talks to PostgreSQL through the proxy (migrations went direct)."""
    return Settings(
        database_url=proxy.url(database_url),
        data_dir=tmp_path / "data",
        _toml_file=tmp_path / "absent.toml",  # type: ignore[call-arg]
    )


async def _members(chat: Chat) -> None:
    await chat.say("/points show", who="tomas")
    await chat.say("/points show", who="admin", admin=True)


async def _admin_awards(app: App) -> list[tuple[int, int]]:
    """(amount, all-time total of the member) for each admin award."""
    async with app.db.engine.connect() as c:
        rows = await c.execute(text(
            "SELECT a.amount, t.points FROM point_awards a JOIN point_totals t "
            "ON t.member_id = a.member_id AND t.period = 'all' WHERE a.kind = 'admin'"))
        return [(int(amount), int(points)) for amount, points in rows]


def _retries(caplog: pytest.LogCaptureFixture) -> int:
    return len([r for r in caplog.records if "hit a transient" in r.getMessage()])


async def test_a_commit_whose_answer_is_lost_stands_and_is_not_run_again(
    app: App, chat: Chat, proxy: PgProxy, caplog: pytest.LogCaptureFixture
):
    """The server committed; the policy must not run the command again (it would be
    "already applied", or on a command without a key, applied twice)."""
    await _members(chat)
    proxy.arm(Drop.AFTER, AWARD)
    with caplog.at_level(logging.INFO, logger="storage.db"):
        reply = await chat.text(GIVE, who="admin", admin=True)
    assert proxy.dropped == [Drop.AFTER]
    assert b"COMMIT;" in proxy.queries  # asyncpg commits with a simple Query
    assert reply.startswith(GAVE), reply
    assert await _admin_awards(app) == [(50, 50)]
    assert _retries(caplog) == 0
    assert [r for r in caplog.records if "lost its answer but took effect" in r.getMessage()]


async def test_a_commit_lost_on_its_way_is_retried_and_done_once(
    app: App, chat: Chat, proxy: PgProxy, caplog: pytest.LogCaptureFixture
):
    await _members(chat)
    proxy.arm(Drop.BEFORE, AWARD)
    reply = await chat.text(GIVE, who="admin", admin=True)
    assert proxy.dropped == [Drop.BEFORE]
    assert reply.startswith(GAVE), reply
    assert await _admin_awards(app) == [(50, 50)]
    assert _retries(caplog) == 1


async def test_a_commit_whose_fate_cannot_be_learned_is_apologised_for_not_retried(
    app: App, chat: Chat, proxy: PgProxy, caplog: pytest.LogCaptureFixture
):
    """The server stays out of reach: maybe committed, so no retry and no "nothing saved"."""
    await _members(chat)
    app.db.settle_within = 0.2
    proxy.arm(Drop.AFTER, AWARD, then_refuse=True)
    reply = await chat.text(GIVE, who="admin", admin=True)
    proxy.accept_again()
    assert proxy.dropped == [Drop.AFTER]
    assert reply == APOLOGY
    assert _retries(caplog) == 0
    assert await _admin_awards(app) == [(50, 50)]  # it had committed after all


async def test_the_fate_of_a_transaction_waits_out_in_progress(database_url: str):
    """Still running: unknown within a short bound, committed once it commits; aborted."""
    engine = create_async_engine(database_url)
    writer = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
    try:
        transaction = writer.transaction()
        await transaction.start()
        xid = str(await writer.fetchval("SELECT pg_current_xact_id()"))
        assert await fate(engine, xid, 0.05) is Fate.UNKNOWN

        async def commit_soon() -> None:
            await asyncio.sleep(0.05)
            await transaction.commit()

        committing = asyncio.create_task(commit_soon())
        assert await fate(engine, xid, 5) is Fate.COMMITTED
        await committing
        rolled_back = writer.transaction()
        await rolled_back.start()
        xid = str(await writer.fetchval("SELECT pg_current_xact_id()"))
        await rolled_back.rollback()
        assert await fate(engine, xid, 5) is Fate.ABORTED
    finally:
        await writer.close()
        await engine.dispose()
