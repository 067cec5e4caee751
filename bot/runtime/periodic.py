"""Periodic jobs whose runs are recorded in the database, so restarts skip nothing.

A periodic job (weekly digest, weekly leaderboard, challenge rotation, series
materialisation) stands for its cron *periods*: each fire time is one period, recorded in
``job_runs`` when a process claims it. At a fire, and when a process becomes leader, the
latest period that fell due is run once unless it is recorded already; a period older than
the catch-up window is recorded as skipped with a log line instead. The unique
(job, period) row decides between two claimants; on PostgreSQL a per-job advisory lock is
held for the whole run, so a successor can tell a dead claim (lock free: the holder died,
take it over) from a live one (lock held: leave it). The jobs themselves are idempotent per
period (outbox keys, badge keys, digest history rows, a rotation's challenge opening at the
period), so a run taken over after a crash finishes the period instead of repeating it.

A database that never ran a job records the current period as its baseline without running
it: nothing "fell due while no process was leading" before the first process existed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.core.clock import Clock
from storage import UNAVAILABLE, Database
from storage.locks import AdvisoryLock

logger = logging.getLogger(__name__)

PeriodJob = Callable[[datetime], Awaitable[object]]
NEVER_HORIZON = timedelta(days=366 * 5)  # a cron that fires less often than this never does
LOOKBACK = timedelta(days=400)  # how far back the latest period is searched for


class ScheduleError(ValueError):
    """A schedule in settings that makes no sense (its message is one line for the admin)."""


def cron_trigger(expression: str, timezone: str, *, setting: str) -> CronTrigger:
    """Parse a crontab expression, refusing one that is malformed or never fires."""
    try:
        zone: tzinfo = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{setting}: {timezone!r} is not a time zone") from None
    try:
        trigger = CronTrigger.from_crontab(expression, timezone=zone)
    except ValueError as exc:
        raise ScheduleError(
            f"{setting}: {expression!r} is not a cron expression "
            f"(minute hour day month weekday, e.g. '0 9 * * mon'): {exc}") from None
    probe = datetime(2026, 1, 1, tzinfo=zone)
    first = trigger.get_next_fire_time(None, probe)
    if first is None or first - probe > NEVER_HORIZON:
        raise ScheduleError(f"{setting}: {expression!r} never fires (no such date)")
    return trigger


def latest_fire(trigger: CronTrigger, at: datetime) -> datetime | None:
    """The last fire time at or before ``at`` (None if none within :data:`LOOKBACK`).

    APScheduler only looks forward, and the first fire at or after ``s`` never decreases as
    ``s`` grows, so a binary search over ``s`` finds the latest ``s`` whose next fire is
    still at or before ``at``: that fire is the answer (to the second, as crons fire).
    """
    def first_from(moment: datetime) -> datetime | None:
        fire: datetime | None = trigger.get_next_fire_time(None, moment)
        return fire

    low, high = at - LOOKBACK, at
    found = first_from(low)
    if found is None or found > at:
        return None
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        fire = first_from(middle)
        if fire is not None and fire <= at:
            low, found = middle, fire
        else:
            high = middle
    return found


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """A job run once per cron period; ``fn`` is given the period's fire time."""

    job_id: str
    trigger: CronTrigger
    fn: PeriodJob


class JobRuns:
    """Claims, runs and records the periods of periodic jobs."""

    def __init__(self, db: Database, clock: Clock, *, catch_up: timedelta,
                 holder: str | None = None) -> None:
        if catch_up <= timedelta(0):
            raise ScheduleError("scheduler.catch_up_hours must be more than 0")
        self._db = db
        self._clock = clock
        self.catch_up_window = catch_up
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._running: set[str] = set()

    async def run_due(self, job: PeriodicJob, *, starting: bool = False) -> bool:
        """Run the latest period that fell due unless recorded; True if this call ran it.

        ``starting`` (a process became leader): a job never recorded gets a baseline.
        """
        claim = await self.claim_due(job, starting=starting)
        if claim is None:
            return False
        await claim.run()
        return True

    async def claim_due(self, job: PeriodicJob, *, starting: bool = False) -> Claim | None:
        """Claim the latest period that fell due, or None when it is not this process's to run.

        The claim holds the job (its lock) until :meth:`Claim.run` ends, so claiming can be
        awaited at election while the runs themselves go on in the background.
        """
        now = self._clock.now()
        period = latest_fire(job.trigger, now)
        if period is None or job.job_id in self._running:
            return None
        self._running.add(job.job_id)
        lock = self._db.advisory_lock(f"cohort.job.{job.job_id}")
        claimed = False
        try:
            held = self._db.dialect != "postgresql" or await lock.try_acquire()
            claimed = held and await self._claim(job, period, now, starting=starting)
        finally:
            if not claimed:
                await self._release(job.job_id, lock)
        return Claim(self, job, period, lock) if claimed else None

    async def _release(self, job_id: str, lock: AdvisoryLock) -> None:
        self._running.discard(job_id)
        await asyncio.shield(lock.release())

    async def run_forced(self, job: PeriodicJob) -> None:
        """Run the current period whatever is recorded (tests, the console's ``:advance``)."""
        now = self._clock.now()
        period = latest_fire(job.trigger, now) or now
        await job.fn(period)
        async with self._db.unit() as unit:
            await unit.jobs.record(job.job_id, period, self.holder, "done", self._clock.now())

    async def _claim(self, job: PeriodicJob, period: datetime, now: datetime, *,
                     starting: bool) -> bool:
        """Record ``period`` as this process's to run; False if it is not to run."""
        late = now - period > self.catch_up_window
        async with self._db.unit() as unit:
            last = await unit.jobs.latest(job.job_id)
            if last is None and starting:
                await unit.jobs.claim(job.job_id, period, self.holder, now, state="skipped",
                                      note="first start: runs from the next period")
                logger.info("job %s: first start, runs from the period after %s",
                            job.job_id, period.isoformat())
                return False
            if last is not None and last.period_at > period:
                return False
            if last is not None and last.period_at == period:
                if last.state in ("done", "skipped") or last.holder == self.holder:
                    return False
                if late:
                    await unit.jobs.finish(job.job_id, period, last.holder, "skipped", now,
                                           "older than the catch-up window")
                    self._log_skipped(job, period)
                    return False
                # The claim of a process that died mid-run (its lock is free), or a failed run.
                logger.warning("job %s: taking over the period of %s from %s",
                               job.job_id, period.isoformat(), last.holder)
                return await unit.jobs.take_over(job.job_id, period, last.holder,
                                                 self.holder, now)
            if late:
                await unit.jobs.claim(job.job_id, period, self.holder, now, state="skipped",
                                      note="older than the catch-up window")
                self._log_skipped(job, period)
                return False
            return await unit.jobs.claim(job.job_id, period, self.holder, now)

    def _log_skipped(self, job: PeriodicJob, period: datetime) -> None:
        logger.warning("job %s: the run due at %s is older than the catch-up window (%s); "
                       "skipped", job.job_id, period.isoformat(), self.catch_up_window)

    async def _run(self, job: PeriodicJob, period: datetime) -> None:
        state, note = "done", None
        try:
            await job.fn(period)
        except Exception as exc:  # the job's failure is recorded; the runner goes on
            logger.exception("job %s failed for the period of %s", job.job_id,
                             period.isoformat())
            state, note = "failed", f"{type(exc).__name__}: {exc}"[:200]
        try:
            async with self._db.unit() as unit:
                await unit.jobs.finish(job.job_id, period, self.holder, state,
                                       self._clock.now(), note)
        except UNAVAILABLE as exc:  # left "running": the next leader takes it over
            logger.warning("job %s: could not record the end of its run: %s", job.job_id, exc)


class Claim:
    """A period this process claimed: run it once, then let the job go."""

    def __init__(self, runs: JobRuns, job: PeriodicJob, period: datetime,
                 lock: AdvisoryLock) -> None:
        self._runs = runs
        self.job = job
        self.period = period
        self._lock = lock

    async def run(self) -> None:
        """Run the period and record how it ended; the job's lock is released after."""
        try:
            await self._runs._run(self.job, self.period)
        finally:
            await self._runs._release(self.job.job_id, self._lock)
