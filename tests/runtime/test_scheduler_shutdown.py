"""A clean shutdown logs nothing alarming (#18.6).

The real APScheduler runs a sweep; leaving the scheduler (what SIGTERM leads to) while it runs
used to cancel it at once and log "Job … raised an exception … CancelledError".
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.runtime.scheduler import Scheduler


def _alarming(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_shutdown_lets_a_running_sweep_finish_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
):
    started = asyncio.Event()
    finished: list[str] = []

    async def sweep() -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.append("done")

    scheduler = Scheduler()
    scheduler.every("outbox.sweep", timedelta(seconds=0.05), sweep, per_process=True)
    caplog.set_level(logging.INFO)
    async with scheduler:
        await asyncio.wait_for(started.wait(), 5)
    assert finished == ["done"]
    assert not _alarming(caplog), [r.getMessage() for r in _alarming(caplog)]


async def test_a_sweep_that_outlasts_the_grace_is_stopped_with_one_warning(
    caplog: pytest.LogCaptureFixture,
):
    started = asyncio.Event()

    async def stuck() -> None:
        started.set()
        await asyncio.sleep(60)

    scheduler = Scheduler()
    scheduler.stop_grace = 0.2
    scheduler.every("outbox.sweep", timedelta(seconds=0.05), stuck, per_process=True)
    caplog.set_level(logging.INFO)
    async with asyncio.timeout(5):
        async with scheduler:
            await asyncio.wait_for(started.wait(), 5)
    assert not _alarming(caplog), [r.getMessage() for r in _alarming(caplog)]
    [warning] = [r for r in caplog.records if r.name == "bot.runtime.scheduler"]
    assert "outbox.sweep" in warning.getMessage() and warning.levelno == logging.WARNING


async def test_a_long_run_skips_later_fires_quietly_and_never_overlaps(
    caplog: pytest.LogCaptureFixture,
):
    # A reminder wave keeps the sweep busy for minutes; APScheduler used to log "maximum
    # number of running instances reached" at every interval meanwhile.
    running: list[int] = []
    overlaps: list[int] = []
    runs: list[int] = []

    async def wave() -> None:
        if running:
            overlaps.append(len(running))
        running.append(1)
        runs.append(1)
        await asyncio.sleep(0.4)
        running.pop()

    scheduler = Scheduler()
    scheduler.every("outbox.sweep", timedelta(seconds=0.02), wave, per_process=True)
    caplog.set_level(logging.DEBUG)
    async with scheduler:
        await asyncio.sleep(0.6)
    assert overlaps == [] and 1 <= len(runs) <= 2
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("still running; skipped" in r.getMessage() for r in caplog.records)
