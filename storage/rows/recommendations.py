"""Rows of the recommender: stored embeddings, 👍/👎 feedback, digest history, study buddies.

Session embeddings are keyed by (model name, text hash), so each text is encoded once per
model and an edited description gets a new row rather than a stale vector.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.rows.base import Base
from storage.types import UTCDateTime


class EmbeddingRow(Base):
    """One text's vector under one model: float32 bytes, ``dim`` values."""

    __tablename__ = "embeddings"
    __table_args__ = (UniqueConstraint("model", "text_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    text_hash: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecommendationVoteRow(Base):
    """A member's 👍 or 👎 on a recommended session; later rankings use it."""

    __tablename__ = "recommendation_votes"
    __table_args__ = (UniqueConstraint("member_id", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    vote: Mapped[str] = mapped_column(String(8))  # "up" or "down"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DigestRow(Base):
    """One weekly digest written for a member; the unique week makes it once per week."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("member_id", "week"), Index(None, "member_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(10))  # ISO week, e.g. 2026-W48
    event_ids: Mapped[str] = mapped_column(String(300))  # comma-separated, best first
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BuddyOptInRow(Base):
    """A member who wants study-buddy proposals."""

    __tablename__ = "buddy_optins"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BuddyProposalRow(Base):
    """A proposed pair (``member_a < member_b``); names are revealed only when both accept."""

    __tablename__ = "buddy_proposals"
    __table_args__ = (UniqueConstraint("member_a", "member_b"), Index(None, "member_b"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_a: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    member_b: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    shared: Mapped[str] = mapped_column(String(300), default="")  # why they match
    a_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    b_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
