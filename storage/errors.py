"""Storage's own errors, so callers above storage never see SQLAlchemy's exceptions."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

# What a lost or refusing database raises, for callers that must survive it (leadership).
UNAVAILABLE: tuple[type[Exception], ...] = (SQLAlchemyError, OSError)


class Duplicate(Exception):
    """A row with the same unique key exists already (a concurrent writer won the race)."""


class Rejected(Exception):
    """The database refused rows for a reason no retry can fix (a broken constraint)."""
