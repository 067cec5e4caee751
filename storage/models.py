"""Typed SQLAlchemy rows. Platform ids are text; times are aware UTC; ids are ours.

A ``MemberRow`` is one person; ``AccountRow`` is how a platform knows them, so linking a
Discord and a Telegram account only moves accounts and never rewrites history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import BigId, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations are stable on both databases."""

    metadata = MetaData(naming_convention=NAMING)


class MemberRow(Base):
    """One person in the community."""

    __tablename__ = "members"
    # Never reuse a forgotten member's id on SQLite.
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    interests: Mapped[str] = mapped_column(Text, default="")
    dms: Mapped[bool] = mapped_column(Boolean, default=True)
    digests: Mapped[bool] = mapped_column(Boolean, default=False)
    keep_text: Mapped[bool] = mapped_column(Boolean, default=True)
    reminder_offsets: Mapped[str | None] = mapped_column(String(100), nullable=True)
    quiet_hours: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountRow(Base):
    """A platform account belonging to a member."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("platform", "user_id"),
        Index(None, "platform", "handle"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100))
    handle: Mapped[str | None] = mapped_column(String(100), nullable=True)
    dm_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlaceRow(Base):
    """A channel, group or DM the bot has seen or been configured with."""

    __tablename__ = "places"
    __table_args__ = (UniqueConstraint("platform", "place_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    place_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    is_direct: Mapped[bool] = mapped_column(Boolean, default=False)
    community_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class InteractionRow(Base):
    """Something a member did. ``source_key`` makes a redelivered platform event a no-op."""

    __tablename__ = "interactions"
    __table_args__ = (Index(None, "member_id", "created_at"), Index(None, "created_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    place_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source_key: Mapped[str] = mapped_column(String(160), unique=True)


class MessageTextRow(Base):
    """Message text, kept only where the community enables it and the member allows it."""

    __tablename__ = "message_texts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    source_key: Mapped[str] = mapped_column(String(160), unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditRow(Base):
    """An admin action, kept for accountability."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    command: Mapped[str] = mapped_column(String(64))
    args: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


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
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


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
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())  # waitlist order
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
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


class ChannelRoleRow(Base):
    """Which channel of a platform plays a role (announcements, leaderboard)."""

    __tablename__ = "channel_roles"
    __table_args__ = (UniqueConstraint("platform", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(32))
    place_id: Mapped[str] = mapped_column(String(64))


class OutboxRow(Base):
    """One message the bot will send that is not an immediate reply.

    ``key`` makes writing it idempotent; the sweep claims due rows (``sending``), delivers,
    then records ``sent``, ``failed``, ``undeliverable`` (DMs closed) or puts it back with a
    backoff. A DM names a member (the account is chosen at send time, so linking accounts
    needs no re-planning); a post names a platform and a place.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "status", "due_at"), Index(None, "event_id", "status"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), nullable=True
    )
    platform: Mapped[str | None] = mapped_column(String(16), nullable=True)
    place_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[label, action], …]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_platform: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LinkCodeRow(Base):
    """A one-time code that joins a second platform account to a member."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    platform: Mapped[str] = mapped_column(String(16))  # where the code was issued
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

# Feature tables live in their own modules; importing them here lets Alembic see them.
from storage import (  # noqa: E402
    challenge_models,  # noqa: F401
    points_models,  # noqa: F401
    recommend_models,  # noqa: F401
)
