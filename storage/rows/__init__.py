"""Rows per feature; importing this package registers every table on ``Base.metadata``."""

from storage.rows import (  # noqa: F401
    activity,
    calendar,
    challenges,
    channels,
    events,
    jobs,
    members,
    outbox,
    points,
    recommendations,
    web,
)
from storage.rows.base import Base

__all__ = ["Base"]
