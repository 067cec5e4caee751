"""What a community's members did, as arrays, and a snapshot of it as known at one moment.

Split from `recommender.features`: RSVPs and group joins are the two logs every feature is
read from, and a snapshot keeps only what was made by its moment (the strict protocol's
and the live ranker's one rule against leaks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import sparse

from recommender.member_parts import binary as _binary

DAY = 86400.0


class ItemTimes(Protocol):
    """What a snapshot reads of the catalogue (`recommender.features.ItemTable`)."""

    @property
    def starts(self) -> np.ndarray:
        """`(n,)` session starts, POSIX seconds."""

    @property
    def groups(self) -> np.ndarray:
        """`(n,)` group row of each session, -1 when unknown."""

    def __len__(self) -> int:
        """Sessions in the catalogue."""


@dataclass(frozen=True, slots=True)
class GroupJoins:
    """Who joined which group (an `ItemTable` group row) when (seconds), as parallel arrays.

    Real platforms log membership apart from attendance (a Meetup group's members, a
    Telegram group or Discord channel joined): it shows the groups a member follows but has
    not come to yet, and a move to a new group before its first RSVP.
    """

    member: np.ndarray
    group: np.ndarray
    created: np.ndarray

    @classmethod
    def none(cls) -> GroupJoins:
        """No membership log (a data set of RSVPs only)."""
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, np.zeros(0))


@dataclass(frozen=True, slots=True)
class RsvpHistory:
    """Every RSVP as parallel arrays: member row, item row, when it was made (seconds)."""

    member: np.ndarray
    item: np.ndarray
    created: np.ndarray
    n_members: int
    joins: GroupJoins | None = None

    def snapshot(self, table: ItemTimes, now: float) -> Snapshot:
        """What was known at `now`: RSVPs and joins made by then, sessions attended by then."""
        made = self.created <= now
        started = made & (table.starts[self.item] <= now)
        shape = (self.n_members, len(table))
        first = np.full(len(table), np.inf)
        np.minimum.at(first, self.item[made], self.created[made])
        joined = None
        if self.joins is not None:
            j = self.joins
            ok = (j.created <= now) & (j.group >= 0)
            width = max(int(table.groups.max(initial=-1)) + 1, 1)
            # Days a member has been in the group, plus one (a sparse entry is never 0);
            # joined twice counts from the first time.
            age = np.zeros((self.n_members, width))
            np.maximum.at(age, (j.member[ok], j.group[ok]), (now - j.created[ok]) / DAY + 1.0)
            joined = sparse.csr_matrix(age, dtype=np.float32)
        return Snapshot(
            now=now,
            known=_binary(self.member[made], self.item[made], shape),
            past=_binary(self.member[started], self.item[started], shape),
            first_made=first,
            joined=joined,
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The community's interactions as known at `now`."""

    now: float
    known: sparse.csr_matrix  # (members, items) RSVPs made by now, for any session
    past: sparse.csr_matrix  # (members, items) sessions attended that started by now
    first_made: np.ndarray | None = None  # (items,) when its first known RSVP was made
    joined: sparse.csr_matrix | None = None  # (members, groups) 1 + days since joining
