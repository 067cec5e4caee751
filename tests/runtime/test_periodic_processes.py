"""Two real bot processes on PostgreSQL never run a period twice, even when one dies mid-run;
the real app catches up a leaderboard missed while it was down, once (#14.1)."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build, prepare, running
from bot.core.clock import FixedClock
from bot.core.model import Platform, UserRef
from config.settings import Settings
from storage import Database
from tests.conftest import START

ROOT = Path(__file__).parents[2]
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class Worker:
    """A ``tests.runtime.periodic_worker`` process and the role lines it prints."""

    def __init__(self, url: str, log: Path, *, hang: bool) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COHORT_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.runtime.periodic_worker", url, str(log),
             START.isoformat(), "1" if hang else "0"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.pid = self.process.pid
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())

    def role(self, timeout: float = 30.0) -> str:
        role, pid = self.lines.get(timeout=timeout).split()
        assert int(pid) == self.pid
        return role

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def log_lines(log: Path, until: str, timeout: float = 30.0) -> list[str]:
    """The job log once a line starting with ``until`` is in it (or at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = log.read_text().splitlines() if log.exists() else []
        if any(line.startswith(until) for line in lines) or time.monotonic() >= deadline:
            return lines
        time.sleep(0.05)


@pytest.mark.postgres
async def test_a_leader_killed_mid_run_is_taken_over_and_no_period_runs_twice(
        postgres_url: str, tmp_path: Path) -> None:
    db = Database(postgres_url)
    await db.upgrade()
    await db.wipe()
    async with db.unit() as unit:  # last week's run happened; this Monday's fell due unrun
        await unit.jobs.record("test.slow", MONDAY_9 - timedelta(weeks=1), "earlier", "done",
                               MONDAY_9 - timedelta(weeks=1))
    log = tmp_path / "jobs.log"
    first = Worker(postgres_url, log, hang=True)
    workers = [first]
    try:
        assert first.role() == "LEADER"
        period = MONDAY_9.isoformat()
        assert log_lines(log, "start") == [f"start {first.pid} {period}"]
        second = Worker(postgres_url, log, hang=False)
        workers.append(second)
        assert second.role() == "FOLLOWER"
        await asyncio.sleep(0.5)  # a follower leaves the running period alone
        assert log_lines(log, "start", timeout=0) == [f"start {first.pid} {period}"]

        first.kill()  # mid-run: its claim stays "running", its job lock dies with it
        assert second.role(timeout=15) == "LEADER"
        lines = log_lines(log, "done")
        assert lines == [f"start {first.pid} {period}", f"start {second.pid} {period}",
                         f"done {second.pid} {period}"]

        third = Worker(postgres_url, log, hang=False)
        workers.append(third)
        assert third.role() == "FOLLOWER"
        second.kill()  # after a finished run: the successor must not run it again
        assert third.role(timeout=15) == "LEADER"
        await asyncio.sleep(1.0)
        assert log_lines(log, "never", timeout=0) == lines
        async with db.unit() as unit:
            runs = [(r.period_at, r.state, r.holder) for r in await unit.jobs.runs("test.slow")]
        assert len(runs) == 2
        assert runs[-1][:2] == (MONDAY_9, "done") and f":{second.pid}:" in runs[-1][2]
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.kill()
        await db.dispose()


async def test_the_weekly_leaderboard_missed_while_down_is_posted_once_after_restart(
        settings: Settings, db: Database) -> None:
    settings.points.leaderboard_cron = "0 9 * * mon"
    clock = FixedClock(MONDAY_9 - timedelta(days=6))  # Tuesday: the bot's first start
    first = build(settings, clock)
    await prepare(first, seed_demo=False)
    async with running(first):
        await first.scheduler.settled()
        async with first.db.unit() as unit:
            await unit.channels.set_channel("console", "leaderboard", "leaderboard")
        # Somebody earned points that week (an empty week is not posted).
        maya = await first.directory.identify(UserRef(Platform.CONSOLE, "maya", "maya"))
        async with first.db.unit() as unit:
            await first.features.points.record(unit, maya.member_id, 10, "bonus", "test", "k")
    clock.advance(timedelta(days=6, hours=5))  # down over Monday 09:00; back at 14:00
    for _ in range(2):  # a second restart the same day posts nothing more
        app = build(settings, clock)
        await prepare(app, seed_demo=False)
        async with running(app):
            await app.scheduler.settled()
        await app.db.dispose()
    async with db.unit() as unit:
        rows = await unit.outbox.all()
        runs = [(r.period_at, r.state) for r in await unit.jobs.runs("points.leaderboard")]
    assert runs == [(MONDAY_9 - timedelta(weeks=1), "skipped"), (MONDAY_9, "done")]
    posts = [r for r in rows if r.key.startswith("leaderboard:")]
    assert [r.key for r in posts] == ["leaderboard:w:2026-11-16:console:leaderboard"]
