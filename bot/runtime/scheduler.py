"""The process's only APScheduler. Jobs are thin triggers into services.

The database rows are the truth; jobs only sweep them, so the memory job store is enough
and a restart loses nothing (PERFORMANCE.md: a 3.x SQL job store on SQLite silently skipped
~90% of due jobs). This module is the only importer of APScheduler, so its 4.x API change
stays here.

Most jobs sweep shared rows, so only the process that leads (:mod:`bot.runtime.leadership`) runs
them: they are added paused and :meth:`Scheduler.lead` starts them. Jobs that only touch
this process (flushing its own buffers) pass ``per_process=True`` and always run.

Periodic jobs (:meth:`Scheduler.periodic`) are cron jobs whose periods are recorded in the
database (:mod:`bot.runtime.periodic`): becoming leader catches up a period that fell due
while no process led, so a restart at the wrong minute skips no digest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.runtime.periodic import (
    Claim,
    JobRuns,
    PeriodicJob,
    PeriodJob,
    ScheduleError,
    cron_trigger,
)

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
STOP_GRACE_SECONDS = 10.0  # how long shutdown waits for a running job before cancelling it


class Scheduler:
    """Interval and cron triggers over async service methods."""

    def __init__(self, runs: JobRuns | None = None) -> None:
        self._runs = runs
        self._periodic: dict[str, PeriodicJob] = {}
        self._aps = AsyncIOScheduler(
            timezone=UTC,
            # Two instances, so a fire during a long run (a reminder wave takes minutes)
            # reaches our runner, which skips it quietly; with one, APScheduler logs a
            # "maximum number of running instances reached" warning at every interval.
            job_defaults={"coalesce": True, "max_instances": 2, "misfire_grace_time": 60},
        )
        self._jobs: dict[str, Job] = {}
        self._leader_jobs: list[str] = []
        self.leading = False
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._running: set[str] = set()
        self.stop_grace = STOP_GRACE_SECONDS
        self._stopping = False

    def every(self, job_id: str, interval: timedelta, fn: Job, *,
              per_process: bool = False) -> None:
        """Run ``fn`` every ``interval`` (in the leading process unless ``per_process``)."""
        self._jobs[job_id] = fn
        self._aps.add_job(self._runner(job_id), "interval", seconds=interval.total_seconds(),
                          id=job_id, replace_existing=True,
                          **self._paused_unless_leading(job_id, per_process))

    def cron(self, job_id: str, expression: str, fn: Job, timezone: str = "UTC", *,
             per_process: bool = False) -> None:
        """Run ``fn`` on a crontab expression (``0 17 * * fri``)."""
        self._jobs[job_id] = fn
        try:
            trigger = CronTrigger.from_crontab(expression, timezone=timezone)
        except ValueError as exc:
            raise ScheduleError(f"{job_id}: {expression!r} is not a cron expression: {exc}"
                                ) from None
        self._aps.add_job(self._runner(job_id), trigger, id=job_id, replace_existing=True,
                          **self._paused_unless_leading(job_id, per_process))

    def periodic(self, job_id: str, expression: str, fn: PeriodJob, timezone: str = "UTC",
                 *, setting: str | None = None) -> None:
        """Run ``fn(period)`` once per cron period, recorded so restarts catch up.

        ``setting`` names where the expression came from, for the start-up refusal of one
        that makes no sense (:class:`ScheduleError`).
        """
        if self._runs is None:
            raise RuntimeError("periodic jobs need the scheduler built with JobRuns")
        runs = self._runs
        job = PeriodicJob(job_id, cron_trigger(expression, timezone, setting=setting or job_id),
                          fn)
        self._periodic[job_id] = job

        async def fire() -> None:
            await runs.run_due(job)

        self._jobs[job_id] = fire
        # A fire the loop could not start on time (a stall, a suspended host) still runs
        # within the catch-up window; the period record keeps it to once.
        grace = int(runs.catch_up_window.total_seconds())
        self._aps.add_job(self._runner(job_id), job.trigger, id=job_id, replace_existing=True,
                          misfire_grace_time=grace,
                          **self._paused_unless_leading(job_id, False))

    def _paused_unless_leading(self, job_id: str, per_process: bool) -> dict[str, Any]:
        if per_process:
            return {}
        if job_id not in self._leader_jobs:
            self._leader_jobs.append(job_id)
        return {} if self.leading else {"next_run_time": None}

    def lead(self) -> None:
        """This process leads: start the shared jobs (each runs within its interval)."""
        self.leading = True
        for job_id in self._leader_jobs:
            self._aps.resume_job(job_id)

    async def catch_up(self) -> None:
        """Claim each periodic job's period that fell due while no process led; run them.

        The claims (and a new database's baselines) are awaited, so they are recorded when
        leadership is taken; the runs go on in the background (a digest may load a model).
        """
        if self._runs is None:
            return
        claims = []
        for job in list(self._periodic.values()):
            try:
                claim = await self._runs.claim_due(job, starting=True)
            except Exception:  # the job runner's one catch-all
                logger.exception("catching up job %s failed", job.job_id)
                continue
            if claim is not None:
                claims.append(claim)
        if claims:
            task = asyncio.create_task(self._run_claims(claims), name="scheduler.catch_up")
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    @staticmethod
    async def _run_claims(claims: list[Claim]) -> None:
        for claim in claims:  # in registration order: plan (series) before send (digest)
            await claim.run()

    async def settled(self) -> None:
        """Wait for the jobs running now (a catch-up after election, tests)."""
        while self._in_flight:
            await asyncio.wait(set(self._in_flight))

    def follow(self) -> None:
        """Another process leads (or none): stop the shared jobs."""
        self.leading = False
        for job_id in self._leader_jobs:
            self._aps.pause_job(job_id)

    def wake(self, job_id: str, at: datetime) -> None:
        """Run a job at ``at`` if that is sooner than its next run (a row falls due then).

        Sweeps stay interval jobs; this only brings the next run forward, so a due time
        costs no job of its own and a restart needs nothing rebuilt (§5.9's derived cache).
        """
        job = self._aps.get_job(job_id)
        if job is None or job.next_run_time is None:  # unknown, or paused: not leading
            return
        # Never before now: APScheduler walks every interval between a past run time and
        # now (a due time from a test's fixed clock, long before the wall clock, spun it).
        at = max(at, datetime.now(UTC))
        if at < job.next_run_time:
            job.modify(next_run_time=at)

    def _runner(self, job_id: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if job_id in self._running:  # the previous run is still going: this fire is moot
                logger.debug("job %s is still running; skipped this fire", job_id)
                return
            task = asyncio.current_task()
            if task is not None:
                self._in_flight.add(task)
            self._running.add(job_id)
            try:
                await self.run_now(job_id)
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                # Ours: the grace ran out at shutdown. Said once, not as APScheduler's error.
                logger.warning("job %s was still running %.0f s into shutdown; stopped it",
                               job_id, self.stop_grace)
            finally:
                self._running.discard(job_id)
                if task is not None:
                    self._in_flight.discard(task)

        return run

    @property
    def job_ids(self) -> list[str]:
        """Registered jobs, in registration order."""
        return list(self._jobs)

    async def run_now(self, job_id: str) -> None:
        """Run a job at once (tests, the console's ``:advance``); errors are logged once.

        A periodic job runs its current period whatever is recorded, and records it.
        """
        try:
            periodic = self._periodic.get(job_id)
            if periodic is not None and self._runs is not None:
                await self._runs.run_forced(periodic)
            else:
                await self._jobs[job_id]()
        except Exception:  # the job runner's one catch-all
            logger.exception("job %s failed", job_id)

    async def run_all(self) -> None:
        """Run every job once, in registration order."""
        for job_id in self.job_ids:
            await self.run_now(job_id)

    async def __aenter__(self) -> Scheduler:
        self._aps.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop starting jobs, let running ones finish, then shut APScheduler down quietly.

        APScheduler's asyncio executor cancels every running job the moment it shuts down and
        logs each as "Job … raised an exception … CancelledError"; a job cancelled
        mid-statement also leaves a connection the pool must tear down after the loop is gone.
        So: pause (nothing new starts), wait for what runs (bounded), cancel only what
        outlasts the grace (logged once, as ours), and only then shut the scheduler down.
        """
        self._stopping = True
        if self._aps.running:
            self._aps.pause()
        for _ in range(2):  # a run submitted just before the pause starts on the next turns
            await asyncio.sleep(0)
        running = set(self._in_flight)
        if running:
            _, late = await asyncio.wait(running, timeout=self.stop_grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=self.stop_grace)
        self._aps.shutdown(wait=False)
