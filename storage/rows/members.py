"""People, their platform accounts, the places they talk in, link codes and the admin audit log."""

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
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.rows.base import Base
from storage.types import UTCDateTime


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


class AuditRow(Base):
    """An admin action, kept for accountability (who, what, where, when)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True, index=True
    )
    command: Mapped[str] = mapped_column(String(64))
    args: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    platform: Mapped[str | None] = mapped_column(String(16), nullable=True)
    place_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


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
