"""Rows per feature; importing this package registers every table on ``Base.metadata``."""

from storage.rows import (  # noqa: F401
    activity,
    challenges,
    channels,
    events,
    members,
    outbox,
    points,
    recommendations,
    web,
)
from storage.rows.base import Base

__all__ = ["Base"]
