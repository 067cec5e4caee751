"""The matrices one ranking call works on: candidates, anchors and their per-member weights.

Shared by the hybrid ranker (which builds them) and the attribution of reasons (which reads
them); plain numpy/scipy containers, no behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse


@dataclass(frozen=True, slots=True)
class CandidateSpace:
    """One ranking call's candidate sessions as matrices (built once per call)."""

    rows: np.ndarray  # (C,) catalogue rows
    position: dict[int, int]  # item id -> column
    semantic_t: np.ndarray  # (d, C)
    lexical_t: sparse.csc_matrix  # (V, C)
    bias: np.ndarray  # (C,) soonness + popularity
    popular: np.ndarray  # (C,) bool: popularity explains a cold-start pick
    column_of_row: np.ndarray  # (n,) catalogue row -> column, -1 if not a candidate
    similarity: np.ndarray | None = field(default=None)  # (C, C) for MMR


@dataclass(frozen=True, slots=True)
class AnchorEntries:
    """Every (member, anchor) weight of one call, grouped by member (CSR order)."""

    indptr: np.ndarray  # (members + 1,)
    col: np.ndarray  # anchor row; conversations are numbered after the shared anchors
    weight: np.ndarray
    kind: np.ndarray  # reason code if the entry explains a pick
    anchor_ids: np.ndarray  # session id of each item anchor (an entry's item is its col's)
    talk_owner: np.ndarray  # member of each conversation anchor, ascending
    talk_semantic: list[np.ndarray]
    talk_lexical: list[sparse.csr_matrix]


@dataclass(frozen=True, slots=True)
class SharedAnchors:
    """Anchors shared by every member of one call, scored against the candidates once."""

    n_items: int  # anchor rows [0, n_items) are sessions, then one row per interest
    labels: dict[str, int]  # interest -> index (anchor row n_items + index)
    content: np.ndarray  # (anchors, C) semantic + lexical, pre-weighted
    total: np.ndarray  # content plus the co-attendance term on the session rows
    entries: AnchorEntries


@dataclass(frozen=True, slots=True)
class AnchorBlock:
    """A block of members as a sparse weight matrix over anchor rows."""

    weights: sparse.csr_matrix  # (members, anchors); entry e is one (member, anchor)
    content: np.ndarray  # (anchors, C) what the anchor's meaning and words contribute
    total: np.ndarray  # (anchors, C) content plus co-attendance (item anchors)
    n_items: int  # the first n_items anchors are sessions
    entry_kind: np.ndarray  # (E,) reason code if entry e explains a pick
    entry_item: np.ndarray  # (E,) session id of an item anchor, else -1
    entry_interest: np.ndarray  # (E,) index into the call's interests, else -1
