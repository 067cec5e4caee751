"""Collaborative signal: item-item cosine over the member x session interaction matrix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize

from recommender.catalog import Catalog


@dataclass(frozen=True, slots=True)
class Interaction:
    """A member attended or RSVP'd a session (weight 1 unless told otherwise)."""

    member_id: int
    item_id: int
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class CoAttendance:
    """Which sessions draw the same members, and how many members each draws.

    Item-item cosine is used rather than latent factors because its explanation is concrete:
    "members who attended X are going to Y".
    """

    columns: sparse.csc_matrix  # (members, items) with unit columns
    counts: np.ndarray  # (items,) members per session

    @classmethod
    def fit(cls, interactions: Iterable[Interaction], catalog: Catalog) -> CoAttendance:
        """Build from interactions; sessions outside `catalog` are ignored."""
        if len(catalog) == 0:
            return cls.empty(catalog)
        member_rows: dict[int, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        for it in interactions:
            col = catalog.row_of.get(it.item_id)
            if col is None:
                continue
            rows.append(member_rows.setdefault(it.member_id, len(member_rows)))
            cols.append(col)
            values.append(it.weight)
        matrix = sparse.csr_matrix(
            (np.asarray(values, dtype=np.float32), (rows, cols)),
            shape=(max(len(member_rows), 1), len(catalog)),
        )
        matrix.sum_duplicates()
        matrix.data = np.minimum(matrix.data, 1.0)  # repeated signals on one pair count once
        counts = np.asarray((matrix > 0).sum(axis=0), dtype=np.float64).ravel()
        return cls(sparse.csc_matrix(normalize(matrix, axis=0)), counts)

    @classmethod
    def empty(cls, catalog: Catalog) -> CoAttendance:
        """No interactions yet: no collaborative signal, no popularity."""
        return cls(
            sparse.csc_matrix((1, len(catalog)), dtype=np.float32),
            np.zeros(len(catalog), dtype=np.float64),
        )

    def similarity(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Dense cosine between sessions `rows` and `cols` (zero on the diagonal)."""
        left = self.columns[:, rows]
        right = self.columns[:, cols]
        sims: np.ndarray = (left.T @ right).astype(np.float32).toarray()  # no float64 block
        same = rows[:, None] == cols[None, :]
        sims[same] = 0.0
        return sims

    def popularity(self) -> np.ndarray:
        """log-scaled member counts in [0, 1], so one huge session does not flatten the rest."""
        top = float(self.counts.max()) if len(self.counts) else 0.0
        if top <= 0.0:
            return np.zeros(len(self.counts), dtype=np.float32)
        return np.asarray(np.log1p(self.counts) / np.log1p(top), dtype=np.float32)
