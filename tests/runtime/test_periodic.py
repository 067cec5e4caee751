"""Periodic jobs record their periods: a missed one runs once after a restart (#14.1)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import FixedClock
from bot.runtime.periodic import (
    JobRuns,
    PeriodicJob,
    ScheduleError,
    cron_trigger,
    latest_fire,
)
from storage import Database
from tests.conftest import START

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # START is Monday 10:00
LAST_MONDAY_9 = MONDAY_9 - timedelta(weeks=1)


class Recorder:
    """A periodic job that remembers the periods it ran for (and can fail once)."""

    def __init__(self, *, fail: int = 0) -> None:
        self.periods: list[datetime] = []
        self._fail = fail

    async def __call__(self, period: datetime) -> None:
        if self._fail:
            self._fail -= 1
            raise RuntimeError("the database hiccuped")
        self.periods.append(period)


def weekly(fn: Recorder, job_id: str = "test.weekly") -> PeriodicJob:
    return PeriodicJob(job_id, cron_trigger("0 9 * * mon", "UTC", setting=job_id), fn)


async def seed_done(db: Database, job_id: str, period: datetime) -> None:
    async with db.unit() as unit:
        await unit.jobs.record(job_id, period, "an-earlier-process", "done", period)


def test_latest_fire_is_the_last_fire_time_at_or_before() -> None:
    trigger = cron_trigger("0 9 * * mon", "UTC", setting="x")
    assert latest_fire(trigger, START) == MONDAY_9
    assert latest_fire(trigger, MONDAY_9) == MONDAY_9
    assert latest_fire(trigger, MONDAY_9 - timedelta(seconds=1)) == LAST_MONDAY_9
    paris = cron_trigger("30 17 * * *", "Europe/Paris", setting="x")
    assert latest_fire(paris, START) == datetime(2026, 11, 22, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(("expression", "zone", "says"), [
    ("every monday", "UTC", "is not a cron expression"),
    ("61 9 * * *", "UTC", "is not a cron expression"),
    ("0 9 31 2 *", "UTC", "never fires"),
    ("0 9 * * mon", "Mars/Olympus", "is not a time zone"),
])
def test_a_schedule_that_makes_no_sense_is_refused_in_one_line(
        expression: str, zone: str, says: str) -> None:
    with pytest.raises(ScheduleError) as refused:
        cron_trigger(expression, zone, setting="points.leaderboard_cron")
    assert says in str(refused.value) and "\n" not in str(refused.value)
    assert str(refused.value).startswith("points.leaderboard_cron: ")


async def test_a_first_start_records_a_baseline_and_runs_nothing(db: Database) -> None:
    job = Recorder()
    runs = JobRuns(db, FixedClock(START), catch_up=timedelta(hours=24))
    assert not await runs.run_due(weekly(job), starting=True)
    assert job.periods == []
    async with db.unit() as unit:
        [row] = await unit.jobs.runs("test.weekly")
    assert (row.period_at, row.state) == (MONDAY_9, "skipped")
    clock = FixedClock(MONDAY_9 + timedelta(weeks=1))  # the next fire runs
    assert await JobRuns(db, clock, catch_up=timedelta(hours=24)).run_due(weekly(job))
    assert job.periods == [MONDAY_9 + timedelta(weeks=1)]


async def test_a_period_missed_while_down_runs_once_within_the_window(db: Database) -> None:
    await seed_done(db, "test.weekly", LAST_MONDAY_9)
    job = Recorder()
    runs = JobRuns(db, FixedClock(START + timedelta(hours=22)),
                   catch_up=timedelta(hours=24))
    assert await runs.run_due(weekly(job), starting=True)
    assert not await runs.run_due(weekly(job), starting=True)  # a second start
    again = JobRuns(db, FixedClock(START + timedelta(hours=22)), catch_up=timedelta(hours=24))
    assert not await again.run_due(weekly(job))  # another process, the same period
    assert job.periods == [MONDAY_9]
    async with db.unit() as unit:
        states = [(r.period_at, r.state) for r in await unit.jobs.runs("test.weekly")]
    assert states == [(LAST_MONDAY_9, "done"), (MONDAY_9, "done")]


async def test_a_period_older_than_the_window_is_skipped_with_a_log_line(
        db: Database, caplog: pytest.LogCaptureFixture) -> None:
    await seed_done(db, "test.weekly", LAST_MONDAY_9)
    job = Recorder()
    runs = JobRuns(db, FixedClock(MONDAY_9 + timedelta(hours=25)),
                   catch_up=timedelta(hours=24))
    with caplog.at_level(logging.WARNING, logger="bot.runtime.periodic"):
        assert not await runs.run_due(weekly(job), starting=True)
        assert not await runs.run_due(weekly(job), starting=True)
    assert job.periods == []
    skipped = [r.getMessage() for r in caplog.records if "catch-up window" in r.getMessage()]
    assert len(skipped) == 1 and "test.weekly" in skipped[0]  # logged once, not each start
    async with db.unit() as unit:
        latest = await unit.jobs.latest("test.weekly")
    assert latest is not None and (latest.period_at, latest.state) == (MONDAY_9, "skipped")


async def test_a_failed_run_is_recorded_and_retried_at_the_next_start(db: Database) -> None:
    await seed_done(db, "test.weekly", LAST_MONDAY_9)
    job = Recorder(fail=1)
    clock = FixedClock(START)
    assert await JobRuns(db, clock, catch_up=timedelta(hours=24)).run_due(weekly(job))
    async with db.unit() as unit:
        latest = await unit.jobs.latest("test.weekly")
    assert latest is not None and latest.state == "failed"
    assert "the database hiccuped" in (latest.note or "")
    restarted = JobRuns(db, clock, catch_up=timedelta(hours=24))
    assert await restarted.run_due(weekly(job), starting=True)
    assert job.periods == [MONDAY_9]


@pytest.mark.postgres
async def test_two_processes_racing_for_one_period_run_it_once(postgres_url: str) -> None:
    first, second = Database(postgres_url), Database(postgres_url)
    await first.upgrade()
    await first.wipe()
    await seed_done(first, "test.race", LAST_MONDAY_9)
    started = asyncio.Event()
    release = asyncio.Event()
    periods: list[datetime] = []

    async def slow(period: datetime) -> None:
        started.set()
        await release.wait()
        periods.append(period)

    job = PeriodicJob("test.race", cron_trigger("0 9 * * mon", "UTC", setting="x"), slow)
    one = JobRuns(first, FixedClock(START), catch_up=timedelta(hours=24), holder="one")
    two = JobRuns(second, FixedClock(START), catch_up=timedelta(hours=24), holder="two")
    try:
        running = asyncio.create_task(one.run_due(job))
        await started.wait()
        # While one runs it, two sees a live claim (the job lock is held) and leaves it.
        assert not await two.run_due(job, starting=True)
        release.set()
        assert await running
        assert not await two.run_due(job, starting=True)
        assert periods == [MONDAY_9]
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_late_fire_still_runs_within_the_catch_up_window(db: Database) -> None:
    # APScheduler drops a fire started more than misfire_grace_time late (default 60 s: a
    # stalled loop, a suspended host); a periodic job's grace is the catch-up window.
    from bot.runtime.scheduler import Scheduler

    scheduler = Scheduler(JobRuns(db, FixedClock(START), catch_up=timedelta(hours=6)))
    scheduler.periodic("test.weekly", "0 9 * * mon", Recorder())
    job = scheduler._aps.get_job("test.weekly")  # white-box: the trigger's settings
    assert job is not None and job.misfire_grace_time == 6 * 3600
