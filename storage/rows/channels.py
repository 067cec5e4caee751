"""Which place plays which role (announcements, leaderboard) on each platform."""

from __future__ import annotations

from sqlalchemy import (
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.rows.base import Base


class ChannelRoleRow(Base):
    """Which channel of a platform plays a role (announcements, leaderboard)."""

    __tablename__ = "channel_roles"
    __table_args__ = (UniqueConstraint("platform", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(32))
    place_id: Mapped[str] = mapped_column(String(64))
