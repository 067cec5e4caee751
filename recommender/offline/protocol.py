"""The strict hold-out: who is evaluated, on what, and what each signal may know.

The old protocol let popularity and co-attendance see every member's training RSVPs however
late they were made, and started each member's candidates at their first held-out session;
both inflate scores. Here nothing created after a member's cut-off reaches any signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from recommender.dataset import DatasetInteraction

MIN_INTERACTIONS = 5
HOLDOUT = 0.2

STRICT_PROTOCOL: tuple[str, ...] = (
    f"members with at least {MIN_INTERACTIONS} interactions are evaluated",
    f"each member's last {HOLDOUT:.0%} of interactions by session start are held out",
    "cut-off = start of the member's last training session",
    "candidates = every session starting after the cut-off the member has not interacted with",
    "every signal (popularity, co-attendance, profiles, the learned blend) uses only RSVPs "
    "created by the cut-off (no `created` column: the session start is used); a member's own "
    "held-out RSVPs never count",
    "the learned blend is refitted weekly on a time split of what was known at the refit",
)
LEAVE_LAST_OUT_CAVEAT = (
    "leave-last-out: popularity and co-attendance are fitted on every member's training "
    "interactions whenever they were made, and candidates start at the member's first "
    "held-out session; it leaks the future and overstates every method (use only to compare "
    "with old figures)"
)


@dataclass(frozen=True, slots=True)
class StrictSplit:
    """Per evaluated member: cut-off, training interactions, held-out (relevant) items."""

    cutoffs: dict[str, datetime]
    train: dict[str, tuple[DatasetInteraction, ...]]
    held_out: dict[str, frozenset[str]]


def strict_split(
    interactions: Sequence[DatasetInteraction],
    *,
    min_interactions: int = MIN_INTERACTIONS,
    holdout: float = HOLDOUT,
) -> StrictSplit:
    """Split each eligible member's interactions by session start (ties keep file order)."""
    by_user: dict[str, list[DatasetInteraction]] = {}
    for it in interactions:
        by_user.setdefault(it.user_id, []).append(it)
    cutoffs: dict[str, datetime] = {}
    train: dict[str, tuple[DatasetInteraction, ...]] = {}
    held: dict[str, frozenset[str]] = {}
    for user, rows in by_user.items():
        if len({r.item_id for r in rows}) < min_interactions:
            continue
        rows.sort(key=lambda r: r.timestamp)
        n_held = max(1, round(len(rows) * holdout))
        first = rows[: len(rows) - n_held]
        cutoffs[user] = first[-1].timestamp
        train[user] = tuple(first)
        held[user] = frozenset(r.item_id for r in rows[len(rows) - n_held :])
    return StrictSplit(cutoffs, train, held)
