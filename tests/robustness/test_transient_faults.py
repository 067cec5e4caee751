"""Transient storage faults are absorbed by retrying, and only then apologised for (#18.4).

Real faults, no mocks: another SQLite connection holds the write lock past the busy timeout,
and PostgreSQL backends are terminated (``pg_terminate_backend``, what a restart does to a
connection) while a command waits on a row lock. A retry happens only when the failed attempt
committed nothing, so nothing is ever done twice.
"""

import asyncio
import sqlite3
import threading
import time

import asyncpg
import pytest

from bot.app import App
from bot.core.policy import APOLOGY, NOT_SAVED
from tests.harness import Chat, snapshot

ADMIN = {"who": "ada", "admin": True}


def _hold_sqlite_lock(path: str, seconds: float, ready: threading.Event) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_commands_wait_out_a_sqlite_lock_held_twice_the_busy_timeout(
    chat: Chat, database_url: str
):
    """Another process holds SQLite's write lock for 10 s (the busy timeout is 5 s)."""
    members = [f"m{i}" for i in range(20)]
    for name in members:
        await chat.say("/profile", who=name)
    ready = threading.Event()
    path = database_url.split(":///", 1)[1]
    holder = asyncio.create_task(asyncio.to_thread(_hold_sqlite_lock, path, 10, ready))
    await asyncio.to_thread(ready.wait, 5)
    replies = await asyncio.gather(*(chat.text("/profile interests=python,sql", who=name)
                                     for name in members))
    await holder
    assert not [r for r in replies if "Sorry" in r], replies
    for name in members:
        assert "python" in await chat.text("/profile", who=name)


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _event(chat: Chat) -> int:
    text = await chat.text('/event create Talk "2026-12-01 18:00" 60m capacity=5', **ADMIN)
    return int(text.split("#", 1)[1].split()[0].rstrip("."))


async def _terminate_waiters(admin: asyncpg.Connection, database: str) -> int:
    """End every backend of ``database`` that waits on a lock, as a restart would."""
    rows = await admin.fetch(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()", database)
    return len(rows)


async def _rsvp_while_locked(chat: Chat, database_url: str, event: int, *,
                             keep_killing: bool) -> tuple[str, int]:
    """Maya RSVPs while another connection holds the event row; her backend is terminated.

    ``keep_killing``: every retry is terminated too, until the command answers; otherwise
    only the first wait is, and the lock is then released. Returns (reply, backends killed).
    """
    database = database_url.rsplit("/", 1)[1]
    locker = await asyncpg.connect(_plain(database_url))
    admin = await asyncpg.connect(_plain(database_url))
    try:
        transaction = locker.transaction()
        await transaction.start()
        await locker.execute("SELECT id FROM events WHERE id = $1 FOR UPDATE", event)
        answer = asyncio.create_task(chat.text(f"/rsvp {event} going", who="maya"))
        killed = 0
        if keep_killing:
            while not answer.done():
                killed += await _terminate_waiters(admin, database)
                await asyncio.sleep(0.01)
        else:
            for _ in range(200):
                killed = await _terminate_waiters(admin, database)
                if killed:
                    break
                await asyncio.sleep(0.02)
        await transaction.rollback()
        reply = await asyncio.wait_for(answer, 20)
    finally:
        await locker.close()
        await admin.close()
    return reply, killed


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.postgres
async def test_a_connection_lost_mid_command_is_retried_and_done_once(
    chat: Chat, app: App, database_url: str
):
    event = await _event(chat)
    await chat.say("/profile", who="maya")
    reply, killed = await _rsvp_while_locked(chat, database_url, event, keep_killing=False)
    assert killed >= 1  # the RSVP (and any sweep waiting on the same row)
    assert "Sorry" not in reply, reply
    async with app.db.unit() as unit:
        rows = await unit.rsvps.for_event(event)
    assert [(row.status, name) for row, name in rows] == [("going", "maya")]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.postgres
async def test_a_fault_that_outlasts_the_retries_says_nothing_was_saved(
    chat: Chat, app: App, database_url: str, caplog: pytest.LogCaptureFixture
):
    event = await _event(chat)
    await chat.say("/profile", who="maya")
    await app.interactions.flush()  # the flush job would otherwise land mid-test
    before = await snapshot(app.db)
    reply, killed = await _rsvp_while_locked(chat, database_url, event, keep_killing=True)
    assert reply == NOT_SAVED
    attempts = app.dispatcher.policy.backoff.attempts
    assert killed >= attempts  # a sweep waiting on the same lock may be ended too
    retried = [r for r in caplog.records if "command rsvp hit a transient" in r.getMessage()]
    assert len(retried) == attempts - 1
    await app.interactions.flush()
    assert await snapshot(app.db) == before


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.postgres
async def test_backends_terminated_under_load_cost_no_answer_and_no_row(
    chat: Chat, app: App, database_url: str
):
    """What a PostgreSQL restart does to the bot's connections, three times under load (#18.7).

    The shared server is never stopped (others use it): every backend of this test's database
    is terminated instead, which is what a restart does to each open connection.
    """
    event = await _event(chat)
    members = [f"m{i}" for i in range(30)]
    for name in members:
        await chat.say("/profile", who=name)
    await chat.say(f"/event edit {event} capacity=100", **ADMIN)
    database = database_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(_plain(database_url))

    async def restarts() -> int:
        ended = 0
        for _ in range(3):
            await asyncio.sleep(0.05)
            ended += len(await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()", database))
        return ended

    try:
        answers, ended = await asyncio.gather(
            asyncio.gather(*(chat.text(f"/rsvp {event} going", who=n) for n in members),
                           *(chat.text("/profile interests=python,sql", who=n)
                             for n in members)),
            restarts())
    finally:
        await admin.close()
    assert ended > 0  # the load really lost connections
    assert not [a for a in answers if "Sorry" in a], answers
    async with app.db.unit() as unit:
        rows = await unit.rsvps.for_event(event)
    assert sorted(name for row, name in rows if row.status == "going") == sorted(members)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.postgres
async def test_an_attempt_that_already_committed_is_not_run_again(
    chat: Chat, app: App, database_url: str, caplog: pytest.LogCaptureFixture
):
    """Idempotent by construction: after a committed write, a retry could do it twice.

    Maya's first contact creates her (a committed unit) before the RSVP waits on the lock;
    the lost connection is then apologised for, not retried, and says nothing about
    "nothing was saved" because something was.
    """
    event = await _event(chat)
    reply, killed = await _rsvp_while_locked(chat, database_url, event, keep_killing=True)
    assert killed >= 1
    assert reply == APOLOGY
    assert not [r for r in caplog.records if "command rsvp hit a transient" in r.getMessage()]
    async with app.db.unit() as unit:
        assert await unit.rsvps.for_event(event) == []
