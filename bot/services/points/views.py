"""Frozen data the points feature returns: awards, boards, standings, badges, the shop."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AwardResult:
    """What one award did."""

    amount: int
    points: int
    balance: int
    level_before: int
    level_after: int
    badges: tuple[str, ...] = ()

    @property
    def levelled_up(self) -> bool:
        """Whether the member reached a new level."""
        return self.level_after > self.level_before


def replace_amount(result: AwardResult, amount: int) -> AwardResult:
    """The same result with ``amount`` changed (a take reports a negative amount)."""
    return replace(result, amount=amount)


@dataclass(frozen=True, slots=True)
class Award:
    """One award for the bulk path (imports, benchmarks): no side rules run."""

    member_id: int
    amount: int
    kind: str
    reason: str
    key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One line of a leaderboard."""

    rank: int
    member_id: int
    name: str
    value: int


@dataclass(frozen=True, slots=True)
class Board:
    """One page of a leaderboard."""

    period: str
    metric: str
    label: str
    page: int
    pages: int
    rows: tuple[BoardRow, ...]


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's points, level, progress, rank and badges (``/rank``)."""

    member_id: int
    name: str
    points: int
    balance: int
    level: int
    into_level: int
    level_size: int
    rank: int | None
    ranked: int
    week_points: int
    badges: tuple[str, ...]
    streak: int


@dataclass(frozen=True, slots=True)
class BadgeView:
    """A badge kind a member holds, and how many times."""

    badge: str
    title: str
    count: int
    first_at: datetime


@dataclass(frozen=True, slots=True)
class RewardView:
    """A reward as members see it."""

    id: int
    name: str
    cost: int
    stock: int | None
    role: str | None


@dataclass(frozen=True, slots=True)
class RedemptionView:
    """A redemption as admins and members see it."""

    id: int
    reward: str
    member_id: int
    member: str
    cost: int
    status: str
    created_at: datetime
