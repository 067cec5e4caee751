"""Exactly one bot process per PostgreSQL database runs the sweeps; a follower takes over."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.core.model import Platform
from bot.runtime.leadership import Leadership, lock_key
from bot.runtime.scheduler import Scheduler
from bot.services.outbox import OutboxKind, Outgoing
from storage import Database
from tests.conftest import START

ROOT = Path(__file__).parents[3]


class Votes:
    """Counts elections and depositions of one Leadership."""

    def __init__(self) -> None:
        self.elected = 0
        self.deposed = 0

    async def on_elected(self) -> None:
        self.elected += 1

    async def on_deposed(self) -> None:
        self.deposed += 1


async def test_on_sqlite_the_process_always_leads(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/one.db")
    votes = Votes()
    async with Leadership(db, on_elected=votes.on_elected, on_deposed=votes.on_deposed,
                          retry_seconds=0.05) as leadership:
        assert leadership.is_leader
        await asyncio.sleep(0.2)  # re-campaigning while leading does not re-elect
        assert votes.elected == 1
    assert (votes.elected, votes.deposed) == (1, 1)
    await db.dispose()


@pytest.mark.postgres
async def test_on_postgres_one_of_two_leads_and_the_other_takes_over(
        postgres_url: str) -> None:
    first, second = Database(postgres_url), Database(postgres_url)
    a, b = Votes(), Votes()
    leader_a = Leadership(first, on_elected=a.on_elected, on_deposed=a.on_deposed,
                          retry_seconds=0.05, name="test.leadership")
    leader_b = Leadership(second, on_elected=b.on_elected, on_deposed=b.on_deposed,
                          retry_seconds=0.05, name="test.leadership")
    await leader_a.__aenter__()
    await leader_b.__aenter__()
    try:
        await asyncio.sleep(0.3)
        assert (leader_a.is_leader, leader_b.is_leader) == (True, False)
        assert (a.elected, b.elected) == (1, 0)
        await leader_a.__aexit__(None, None, None)  # a clean shutdown frees the lock
        for _ in range(100):
            if leader_b.is_leader:
                break
            await asyncio.sleep(0.02)
        assert leader_b.is_leader
        assert (a.deposed, b.elected) == (1, 1)
    finally:
        await leader_b.__aexit__(None, None, None)
        await first.dispose()
        await second.dispose()


@pytest.mark.postgres
async def test_a_leader_whose_connection_dies_steps_down(postgres_url: str) -> None:
    db, admin = Database(postgres_url), Database(postgres_url)
    votes = Votes()
    async with Leadership(db, on_elected=votes.on_elected, on_deposed=votes.on_deposed,
                          retry_seconds=0.05, name="test.broken") as leadership:
        assert leadership.is_leader
        key = lock_key("test.broken")
        async with admin.engine.begin() as connection:  # the server drops its session
            killed = await connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid = :high AND objid = :low AND objsubid = 1"),
                {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF})
            assert killed.scalars().all() == [True]
        for _ in range(100):
            if votes.deposed:
                break
            await asyncio.sleep(0.02)
        assert votes.deposed == 1
        for _ in range(100):  # and, the lock being free, campaigns and leads again
            if votes.elected == 2:
                break
            await asyncio.sleep(0.02)
        assert leadership.is_leader
    await db.dispose()
    await admin.dispose()


async def test_only_a_leading_scheduler_runs_shared_jobs() -> None:
    runs: list[str] = []

    async def shared() -> None:
        runs.append("shared")

    async def local() -> None:
        runs.append("local")

    scheduler = Scheduler()
    scheduler.every("shared", timedelta(seconds=0.05), shared)
    scheduler.every("local", timedelta(seconds=0.05), local, per_process=True)
    async with scheduler:
        await asyncio.sleep(0.2)
        assert "shared" not in runs
        assert "local" in runs
        scheduler.lead()
        await asyncio.sleep(0.2)
        assert "shared" in runs
        scheduler.follow()
        await asyncio.sleep(0.06)
        count = runs.count("shared")
        await asyncio.sleep(0.2)
        assert runs.count("shared") == count


# -- two real processes -------------------------------------------------------------------


class Worker:
    """A ``tests.services.outbox.leader_worker`` process and the role lines it prints."""

    def __init__(self, url: str, posts: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COHORT_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.services.outbox.leader_worker", url, str(posts),
             START.isoformat()],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.pid = self.process.pid
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())

    def role(self, timeout: float = 30.0) -> str:
        line = self.lines.get(timeout=timeout)
        role, pid = line.split()
        assert int(pid) == self.pid
        return role

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


async def post(db: Database, keys: range) -> None:
    now = START  # the workers run on the same fixed clock
    async with db.unit() as unit:
        await unit.outbox.add_many([
            Outgoing(f"lead:{n}", OutboxKind.ANNOUNCEMENT, f"post {n}", now,
                     platform=Platform.CONSOLE, place_id="general").row(now)
            for n in keys])


def delivered(posts: Path, count: int, timeout: float = 20.0) -> list[tuple[int, str]]:
    deadline = time.monotonic() + timeout
    while True:
        lines = posts.read_text().splitlines() if posts.exists() else []
        if len(lines) >= count or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    return [(int(pid), text) for pid, _, text in (line.split("\t") for line in lines)]


@pytest.mark.postgres
async def test_two_bot_processes_one_leads_and_the_other_takes_over_when_it_dies(
        postgres_url: str, tmp_path: Path) -> None:
    db = Database(postgres_url)
    await db.upgrade()
    await db.wipe()
    posts = tmp_path / "posts.txt"
    workers = [Worker(postgres_url, posts), Worker(postgres_url, posts)]
    try:
        roles = {w.pid: w.role() for w in workers}
        assert sorted(roles.values()) == ["FOLLOWER", "LEADER"]  # exactly one leads
        leader = next(w for w in workers if roles[w.pid] == "LEADER")
        follower = next(w for w in workers if w is not leader)

        await post(db, range(5))
        first = delivered(posts, 5)
        assert sorted(text for _, text in first) == [f"post {n}" for n in range(5)]
        assert {pid for pid, _ in first} == {leader.pid}  # only the leader sweeps
        # Kill only once the sends are recorded: a kill between a send and its record is
        # the documented at-least-once window (tested in test_crash.py), not this test's.
        for _ in range(100):
            async with db.unit() as unit:
                if (await unit.outbox.counts()).get("sent") == 5:
                    break
            await asyncio.sleep(0.05)

        leader.kill()
        assert follower.role(timeout=10) == "LEADER"
        await post(db, range(5, 10))
        both = delivered(posts, 10)
        assert sorted(text for _, text in both) == sorted(f"post {n}" for n in range(10))
        assert {pid for pid, _ in both[5:]} == {follower.pid}
        await asyncio.sleep(0.5)  # nothing more arrives: nothing was sent twice
        assert len(delivered(posts, 10, timeout=0)) == 10
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.kill()
        await db.dispose()
