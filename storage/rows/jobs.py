"""The record of periodic job runs (digest, leaderboard, rotation, series)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.rows.base import Base
from storage.types import UTCDateTime


class JobRunRow(Base):
    """One period of one periodic job: claimed (``running``), ``done``, ``failed`` or ``skipped``.

    ``period_at`` is the cron fire time the run stands for; the unique pair is what stops
    two processes from running the same period twice. ``holder`` names the process that
    claimed it, so a successor can tell a dead claim from its own.
    """

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job_id", "period_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64))
    period_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16))
    holder: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
