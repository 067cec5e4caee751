"""Batched ranking results as arrays, turned into `Recommendation`s per member on demand.

A digest for 10^4-10^5 members is sent at ~24 messages/s, so building Python objects for
every member up front would cost more than the ranking itself (G4) for no benefit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from recommender.reasons import Reason, ReasonKind, Recommendation

REASON_KINDS: tuple[ReasonKind, ...] = tuple(ReasonKind)
CODE = {kind: n for n, kind in enumerate(REASON_KINDS)}


@dataclass(frozen=True, slots=True)
class Rankings:
    """Top-k per member: row `i` belongs to `member_ids[i]`; -1 marks an empty slot."""

    member_ids: np.ndarray  # (n,)
    item_ids: np.ndarray  # (n, k) int64, -1 when filters left fewer than k
    scores: np.ndarray  # (n, k) float32
    reason_kinds: np.ndarray  # (n, k) index into REASON_KINDS
    reason_items: np.ndarray  # (n, k) session id that explains the pick, or -1
    reason_interests: np.ndarray  # (n, k) index into `interests`, or -1
    interests: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.member_ids)

    def row(self, index: int) -> list[Recommendation]:
        """The recommendations in row `index`, best first."""
        out: list[Recommendation] = []
        for slot in range(self.item_ids.shape[1]):
            item = int(self.item_ids[index, slot])
            if item < 0:
                continue
            ref = int(self.reason_items[index, slot])
            label = int(self.reason_interests[index, slot])
            reason = Reason(
                REASON_KINDS[int(self.reason_kinds[index, slot])],
                item_id=ref if ref >= 0 else None,
                interest=self.interests[label] if label >= 0 else None,
            )
            out.append(Recommendation(item, float(self.scores[index, slot]), reason))
        return out

    def for_member(self, member_id: int) -> list[Recommendation]:
        """The recommendations of one member (empty if the member was not ranked)."""
        hits = np.flatnonzero(self.member_ids == member_id)
        return self.row(int(hits[0])) if len(hits) else []

    def __iter__(self) -> Iterator[tuple[int, list[Recommendation]]]:
        """(member id, recommendations) for every ranked member, in input order."""
        for index, member_id in enumerate(self.member_ids):
            yield int(member_id), self.row(index)

    @classmethod
    def empty(cls, member_ids: np.ndarray, k: int) -> Rankings:
        """Nothing to recommend to anyone (no candidates)."""
        none = np.full((len(member_ids), k), -1, dtype=np.int64)
        scores = np.zeros((len(member_ids), k), dtype=np.float32)
        return cls(member_ids, none, scores, none, none, none, ())

    @classmethod
    def allocate(cls, member_ids: np.ndarray, k: int, interests: tuple[str, ...],
                 id_dtype: type[np.signedinteger] = np.int64) -> Rankings:
        """Empty result arrays for every member, filled chunk by chunk with :meth:`put`.

        Filling in place keeps only one chunk's results alive beside the final arrays
        (joining the chunks at the end held every result twice: G4's peak memory), and
        the small codes are stored small (a reason kind fits a byte); `id_dtype`
        `np.int32` stores session ids small too, for a caller that knows they fit.
        """
        n = len(member_ids)
        return cls(member_ids, np.full((n, k), -1, dtype=id_dtype),
                   np.zeros((n, k), dtype=np.float32), np.full((n, k), -1, dtype=np.int8),
                   np.full((n, k), -1, dtype=id_dtype), np.full((n, k), -1, dtype=np.int32),
                   interests)

    def put(self, start: int, part: Rankings) -> None:
        """Copy one chunk's results into rows ``start…`` (fewer than k columns stay -1)."""
        rows, width = slice(start, start + len(part)), part.item_ids.shape[1]
        self.item_ids[rows, :width] = part.item_ids
        self.scores[rows, :width] = part.scores
        self.reason_kinds[rows, :width] = part.reason_kinds
        self.reason_items[rows, :width] = part.reason_items
        self.reason_interests[rows, :width] = part.reason_interests

    @classmethod
    def concat(cls, parts: list[Rankings], interests: tuple[str, ...], k: int) -> Rankings:
        """Join per-chunk results (their interest indices already share `interests`)."""
        if not parts:
            return cls.empty(np.zeros(0, dtype=np.int64), k)
        return cls(
            np.concatenate([p.member_ids for p in parts]),
            np.concatenate([p.item_ids for p in parts]),
            np.concatenate([p.scores for p in parts]),
            np.concatenate([p.reason_kinds for p in parts]),
            np.concatenate([p.reason_items for p in parts]),
            np.concatenate([p.reason_interests for p in parts]),
            interests,
        )
