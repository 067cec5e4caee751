"""The process's only APScheduler. Jobs are thin triggers into services.

The database rows are the truth; jobs only sweep them, so the memory job store is enough
and a restart loses nothing (PERFORMANCE.md: a 3.x SQL job store on SQLite silently skipped
~90% of due jobs). This module is the only importer of APScheduler, so its 4.x API change
stays here.

Most jobs sweep shared rows, so only the process that leads (:mod:`bot.runtime.leadership`) runs
them: they are added paused and :meth:`Scheduler.lead` starts them. Jobs that only touch
this process (flushing its own buffers) pass ``per_process=True`` and always run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
STOP_GRACE_SECONDS = 10.0  # how long shutdown waits for a running job before cancelling it


class Scheduler:
    """Interval and cron triggers over async service methods."""

    def __init__(self) -> None:
        self._aps = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        self._jobs: dict[str, Job] = {}
        self._leader_jobs: list[str] = []
        self.leading = False
        self._in_flight: set[asyncio.Task[Any]] = set()
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
        trigger = CronTrigger.from_crontab(expression, timezone=timezone)
        self._aps.add_job(self._runner(job_id), trigger, id=job_id, replace_existing=True,
                          **self._paused_unless_leading(job_id, per_process))

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
        if at < job.next_run_time:
            job.modify(next_run_time=at)

    def _runner(self, job_id: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._in_flight.add(task)
            try:
                await self.run_now(job_id)
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                # Ours: the grace ran out at shutdown. Said once, not as APScheduler's error.
                logger.warning("job %s was still running %.0f s into shutdown; stopped it",
                               job_id, self.stop_grace)
            finally:
                if task is not None:
                    self._in_flight.discard(task)

        return run

    @property
    def job_ids(self) -> list[str]:
        """Registered jobs, in registration order."""
        return list(self._jobs)

    async def run_now(self, job_id: str) -> None:
        """Run a job at once (tests, the console's ``:advance``); errors are logged once."""
        try:
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
