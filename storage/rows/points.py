"""Rows of the points feature: the ledger, maintained totals, badges, rewards.

The ledger (``point_awards``) is append-only: an award, an admin correction, a redemption
and its refund are each one row with a unique ``key``, so a redelivered event or a double
click is a no-op. ``point_totals`` holds one row per member and period (``all``,
``w:2026-11-23``, ``m:2026-11`` in the community's time zone), updated in the same
transaction as the ledger row with an atomic ``INSERT … ON CONFLICT DO UPDATE``; the
leaderboards read only those rows (PERFORMANCE.md §1c, G3).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.rows.base import Base
from storage.types import BigId, UTCDateTime


class PointAwardRow(Base):
    """One ledger entry. Never updated; ``/forgetme`` only re-points it to a tombstone."""

    __tablename__ = "point_awards"
    __table_args__ = (Index(None, "member_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # No ON DELETE: a member row cannot go while it still owns ledger rows.
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    amount: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    period_week: Mapped[str] = mapped_column(String(16))
    period_month: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PointTotalRow(Base):
    """A member's totals for one period: earned points, spent points, solves, attendances."""

    __tablename__ = "point_totals"
    # One index per board, in the board's own order (value descending, member id as the
    # tie-break): a page is the first rows of an index range and a rank is a count over the
    # same range, with no sort and no visit to the table (G3).
    __table_args__ = (
        UniqueConstraint("member_id", "period"),
        Index("ix_point_totals_board_points", "period", text("points DESC"), "member_id"),
        Index("ix_point_totals_board_challenges", "period", text("challenges DESC"),
              "member_id"),
        Index("ix_point_totals_board_events", "period", text("events DESC"), "member_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer, default=0)
    spent: Mapped[int] = mapped_column(Integer, default=0)
    challenges: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)


class PointStateRow(Base):
    """Per-member rule state: message cooldown, recent message fingerprints, streak, reactions.

    Fingerprints are MinHash signatures of the normalised text, never the text itself.
    """

    __tablename__ = "point_states"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    fingerprints: Mapped[str] = mapped_column(Text, default="[]")
    streak_day: Mapped[str | None] = mapped_column(String(10), nullable=True)
    streak: Mapped[int] = mapped_column(Integer, default=0)
    best_streak: Mapped[int] = mapped_column(Integer, default=0)
    reaction_day: Mapped[str | None] = mapped_column(String(10), nullable=True)
    reactions: Mapped[int] = mapped_column(Integer, default=0)


class BadgeRow(Base):
    """A badge a member holds; ``key`` tells repeatable badges apart (``weekly_top3:…``)."""

    __tablename__ = "badges"
    __table_args__ = (UniqueConstraint("member_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    badge: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RoleTaskRow(Base):
    """A platform role to grant or remove, done by a sweep outside the awarding transaction."""

    __tablename__ = "role_tasks"
    __table_args__ = (Index(None, "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    role: Mapped[str] = mapped_column(String(100))
    grant: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PointTombstoneRow(Base):
    """The member that forgotten members' ledger rows are re-pointed to (one row)."""

    __tablename__ = "point_tombstone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)


class RewardRow(Base):
    """Something members can buy with points; ``stock`` None means unlimited."""

    __tablename__ = "rewards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    cost: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int | None] = mapped_column(Integer, nullable=True)
    role: Mapped[str | None] = mapped_column(String(100), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RedemptionRow(Base):
    """A member's request for a reward: pending until an admin approves or rejects it."""

    __tablename__ = "redemptions"
    __table_args__ = (Index(None, "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    cost: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    note: Mapped[str | None] = mapped_column(String(300), nullable=True)
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
