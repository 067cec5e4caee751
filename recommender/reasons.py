"""Ranked results and the typed reason the bot renders next to each one."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonKind(StrEnum):
    """Which signal put a session on the list; the bot words each one."""

    ATTENDED = "attended"  # "you attended X"
    RSVPED = "rsvped"  # "you signed up for X"
    RATED = "rated"  # "you rated X highly"
    LIKED = "liked"  # "you liked X"
    INTEREST = "interest"  # "matches your interest in Y"
    CONVERSATION = "conversation"  # "close to what you've been discussing"
    MEMBERS_LIKE_YOU = "members_like_you"  # "members who attended X are going"
    SIMILAR = "similar"  # "/similar X": like X
    POPULAR = "popular"  # cold start: many members are going
    SOON = "soon"  # cold start, nothing popular: starts soon
    GROUP = "group"  # "from an organiser whose sessions you often attend"
    HABIT = "habit"  # "at a time you usually come"
    NONE = "none"  # no signal clear enough to name (see `recommender.explain`)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why: the kind, plus the session (`item_id`) or declared interest that explains it."""

    kind: ReasonKind
    item_id: int | None = None
    interest: str | None = None


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One ranked session."""

    item_id: int
    score: float
    reason: Reason
