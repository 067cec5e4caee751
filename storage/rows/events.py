"""Events, series, RSVPs and feedback."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.rows.base import Base
from storage.types import UTCDateTime


class EventRow(Base):
    """A workshop, talk or study session (one occurrence; series share ``series_id``)."""

    __tablename__ = "events"
    __table_args__ = (Index(None, "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    online_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    venue: Mapped[str | None] = mapped_column(String(300), nullable=True)
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audience: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), nullable=True, index=True
    )
    detached: Mapped[bool] = mapped_column(Boolean, default=False)
    place_platform: Mapped[str | None] = mapped_column(String(16), nullable=True)
    place_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    checkin_code: Mapped[str] = mapped_column(String(32), default="")
    reminder_offsets: Mapped[str] = mapped_column(String(100), default="24h,1h")
    cancel_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    feedback_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime(),
                                                                   nullable=True)
    # Public from then on (/event announce, or at once by setting); None: not yet.
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The last queue ticket handed out, taken under this row's lock (RsvpRow.queue_seq).
    queue_next: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def ends_at(self) -> datetime:
        """When the event ends: the one place that adds the duration to the start."""
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class SeriesRow(Base):
    """A recurring event: an RRULE in local time plus the fields each occurrence copies."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rrule: Mapped[str] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64))
    local_start: Mapped[str] = mapped_column(String(20))  # first occurrence, local ISO
    template: Mapped[str] = mapped_column(Text)  # JSON of the copied event fields
    status: Mapped[str] = mapped_column(String(16), default="active")
    materialized_until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RsvpRow(Base):
    """A member's answer to an event: going, maybe, no, waitlist or offered a freed seat."""

    __tablename__ = "rsvps"
    __table_args__ = (UniqueConstraint("event_id", "member_id"), Index(None, "event_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    status: Mapped[str] = mapped_column(String(16))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when, for people; not order
    # The order members joined, from EventRow.queue_next under the event's row lock: the
    # waitlist position told, the order freed seats are offered and the listing all use it.
    queue_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Wrong check-in codes in the current window (rate-limited per member and event).
    checkin_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    checkin_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FeedbackRow(Base):
    """A member's rating of an event they attended; one per member and event."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("event_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
