"""Periodic job runs: the latest period of a job, claims and their outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows.jobs import JobRunRow


class JobRunRepo:
    """Rows of ``job_runs``."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def latest(self, job_id: str) -> JobRunRow | None:
        """The job's most recent recorded period (any state), or None before its first."""
        statement = (select(JobRunRow).where(JobRunRow.job_id == job_id)
                     .order_by(JobRunRow.period_at.desc()).limit(1))
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def runs(self, job_id: str) -> list[JobRunRow]:
        """Every recorded period of a job, oldest first (tests, audits)."""
        statement = (select(JobRunRow).where(JobRunRow.job_id == job_id)
                     .order_by(JobRunRow.period_at))
        return list((await self._s.execute(statement)).scalars())

    async def claim(self, job_id: str, period_at: datetime, holder: str, now: datetime,
                    *, state: str = "running", note: str | None = None) -> bool:
        """Record the period as ``state``; False when some process already recorded it.

        The unique (job, period) pair decides between two claimants on either database;
        the savepoint keeps the caller's transaction usable after a lost race.
        """
        try:
            async with self._s.begin_nested():
                self._s.add(JobRunRow(job_id=job_id, period_at=period_at, state=state,
                                      holder=holder, started_at=now, note=note,
                                      finished_at=None if state == "running" else now))
        except IntegrityError:
            return False
        return True

    async def take_over(self, job_id: str, period_at: datetime, from_holder: str,
                        holder: str, now: datetime) -> bool:
        """Move an unfinished claim of a dead process to ``holder``; False if it moved on."""
        result = await self._s.execute(
            update(JobRunRow)
            .where(JobRunRow.job_id == job_id, JobRunRow.period_at == period_at,
                   JobRunRow.holder == from_holder,
                   JobRunRow.state.in_(("running", "failed")))
            .values(state="running", holder=holder, started_at=now, finished_at=None,
                    note=None))
        return bool(getattr(result, "rowcount", 0))

    async def finish(self, job_id: str, period_at: datetime, holder: str, state: str,
                     now: datetime, note: str | None = None) -> None:
        """Record how the holder's run of a period ended (``done`` or ``failed``)."""
        await self._s.execute(
            update(JobRunRow)
            .where(JobRunRow.job_id == job_id, JobRunRow.period_at == period_at,
                   JobRunRow.holder == holder)
            .values(state=state, finished_at=now, note=note))

    async def record(self, job_id: str, period_at: datetime, holder: str, state: str,
                     now: datetime) -> None:
        """Record a period's outcome whoever held it (a forced run: tests, the console)."""
        if not await self.claim(job_id, period_at, holder, now, state=state):
            await self._s.execute(
                update(JobRunRow)
                .where(JobRunRow.job_id == job_id, JobRunRow.period_at == period_at)
                .values(state=state, holder=holder, finished_at=now))
