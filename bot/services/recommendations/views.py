"""Frozen data the recommendation and study-buddy services return (texts.py words them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Session:
    """An event as the recommendations show it."""

    id: int
    title: str
    start: datetime
    timezone: str
    audience: str | None
    capacity: int | None
    going: int
    scheduled: bool
    series_id: int | None = None  # occurrences of one series are one item to members
    repeats: str | None = None  # the series' RRULE ("FREQ=WEEKLY"), worded by texts.py

    @property
    def full(self) -> bool:
        """No free seat (joining would put the member on the waitlist)."""
        return self.capacity is not None and self.going >= self.capacity


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One recommended session with its one-line reason."""

    session: Session
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class Suggestions:
    """A member's list; ``cold`` when nothing is known about them yet."""

    items: tuple[Suggestion, ...]
    cold: bool
    model: str


@dataclass(frozen=True, slots=True)
class BuddyOffer:
    """A proposal as one side sees it (the other side stays anonymous)."""

    proposal_id: int
    score: float
    shared: str
    accepted_by_me: bool
    accepted_by_them: bool


@dataclass(frozen=True, slots=True)
class Acceptance:
    """What accepting did: waiting for the other side, or a revealed match."""

    proposal_id: int
    revealed: bool
    partner: str | None = None
