"""Rows of coding challenges: the problem, its tests, submissions and solves.

A submission is stored before it is judged (``status`` queued → running → done), so a
restart finds what was waiting or running and judges it again. ``challenge_solves`` holds
one row per member and challenge (the first accepted submission): its unique key is what
makes the solve award happen once, and the per-challenge leaderboard reads it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.rows.base import Base
from storage.types import BigId, UTCDateTime


class ChallengeRow(Base):
    """A coding problem with its limits, window and scoring."""

    __tablename__ = "challenges"
    __table_args__ = (Index(None, "status", "opens_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    statement: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(32), default="python3")
    difficulty: Mapped[str] = mapped_column(String(16), default="medium")
    tags: Mapped[str] = mapped_column(String(300), default="")
    points: Mapped[int] = mapped_column(Integer, default=10)
    first_solve_bonus: Mapped[int] = mapped_column(Integer, default=5)
    cpu_ms: Mapped[int] = mapped_column(Integer, default=2000)
    memory_mib: Mapped[int] = mapped_column(Integer, default=256)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), nullable=True
    )
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    # Claimed once with a conditional UPDATE, so two simultaneous solvers cannot both win.
    first_solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    first_solver_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ChallengeTestRow(Base):
    """One test of a challenge; public ones are shown as examples."""

    __tablename__ = "challenge_tests"
    __table_args__ = (UniqueConstraint("challenge_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    input: Mapped[str] = mapped_column(Text)
    output: Mapped[str] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=False)


class SubmissionRow(Base):
    """A member's code for a challenge and, once judged, its verdict and figures."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index(None, "challenge_id", "member_id"),
        Index(None, "member_id", "created_at"),
        Index(None, "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(16))
    place_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    verdict: Mapped[str | None] = mapped_column(String(8), nullable=True)
    failed_test: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tests_passed: Mapped[int] = mapped_column(Integer, default=0)
    cpu_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    memory_kib: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    # Shown to the member: a public test's first differing line or stderr tail, neutralised.
    feedback: Mapped[str] = mapped_column(Text, default="")
    judge_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    judged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ChallengeSolveRow(Base):
    """A member's first accepted submission of a challenge (the leaderboard's rows)."""

    __tablename__ = "challenge_solves"
    __table_args__ = (UniqueConstraint("challenge_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    submission_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("submissions.id", ondelete="CASCADE")
    )
    attempts: Mapped[int] = mapped_column(Integer)
    solved_at: Mapped[datetime] = mapped_column(UTCDateTime())
