"""Reasons for the learned blend's picks, and members' declared interests, as arrays (G4).

Each pick's reason is the feature that lifted it most, said only when that lift is large;
a series or text feature names the attended session closest to the pick, the interest
feature the member's declared interest closest to it. Computed for a whole block of
members at once: a per-pick Python loop with sparse products cost 10x the ranking itself.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

    from recommender import Encoder, Rankings
    from recommender.blend import LinearBlend, Ranked
    from recommender.features import FeatureSpace, ItemTable

REASON_LIFT = 0.5  # log-odds a feature must add over an average session to be the reason
# The feature that lifted a pick most -> the reason kind said (series and text features
# name the attended session closest to the pick instead).
FEATURE_REASON = {"group": "group", "group_rate": "group", "joined": "group", "habit": "habit",
                  "weekday": "habit", "daypart": "habit", "popularity": "popular",
                  "momentum": "popular", "series_popularity": "popular",
                  "co_attendance": "members_like_you", "soon": "soon", "interest": "interest"}
# Features whose reason is the attended session closest to the pick ("you attended X").
ANCHORED = frozenset({"series", "series_share", "series_rate", "tfidf", "embedding"})


@dataclass(frozen=True, slots=True)
class DeclaredInterests:
    """Members' declared interests, embedded once each: the blend's interest feature."""

    labels: tuple[str, ...]
    vectors: np.ndarray  # (len(labels), d) unit rows
    of_member: Mapping[int, tuple[int, ...]]  # member id -> indices into `labels`

    @classmethod
    def embed(cls, encoder: Encoder, declared: Mapping[int, Sequence[str]],
              cache: MutableMapping[tuple[str, str], np.ndarray]) -> DeclaredInterests:
        """Embed every member's interests through `cache` (the hybrid's text cache)."""
        from recommender import embed_with_cache

        labels = list(dict.fromkeys(t.strip() for ts in declared.values() for t in ts
                                    if t.strip()))
        index = {t: n for n, t in enumerate(labels)}
        vectors = (np.asarray(embed_with_cache(encoder, labels, cache), dtype=np.float32)
                   if labels else np.zeros((0, encoder.dim), dtype=np.float32))
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        of_member = {m: tuple(dict.fromkeys(index[t.strip()] for t in ts if t.strip()))
                     for m, ts in declared.items()}
        return cls(tuple(labels), vectors, {m: i for m, i in of_member.items() if i})

    def block(self, member_ids: Sequence[int]) -> np.ndarray:
        """`(M, d)` the unit mean of each member's interest vectors (zero for none)."""
        return self._summed(member_ids)[1]

    def weights(self, member_ids: Sequence[int]) -> sparse.csr_matrix:
        """`(M, labels)` each member's weights over `labels`: `block` is them @ `vectors`.

        The learned scorer reads interests this way, through each label's cosine with the
        candidates, instead of a `(M, d)` product (G4).
        """
        pick, _, norms = self._summed(member_ids)
        pick.data = pick.data / np.repeat(np.where(norms > 0, norms, 1.0),
                                          np.diff(pick.indptr)).astype(np.float32)
        return pick

    def _summed(self, member_ids: Sequence[int]
                ) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        """Each member's labels (ones), the unit mean of their vectors, and its length."""
        counts, flat = ragged(self.of_member, member_ids)
        from scipy import sparse

        from recommender.rowsums import row_sums

        pick = sparse.csr_matrix((np.ones(len(flat), np.float32), flat,
                                  np.concatenate([[0], np.cumsum(counts)])),
                                 shape=(len(member_ids), len(self.labels)))
        out = row_sums(pick, self.vectors)  # torch's pool: scipy's product holds one core
        norms = np.sqrt(np.einsum("md,md->m", out, out))
        out /= np.where(norms > 0, norms, 1.0)[:, None]
        return pick, out, norms


class Explainer:
    """Turns a block's `Ranked` picks into `Rankings` rows with their reasons."""

    def __init__(self, table: ItemTable, event_ids: np.ndarray, space: FeatureSpace,
                 past: sparse.csr_matrix, blend: LinearBlend,
                 interests: DeclaredInterests | None) -> None:
        """`table` and `event_ids` (item row -> event id) are the community's."""
        from recommender import ReasonKind
        from recommender.batch_results import CODE

        self._table = table
        self._event_ids = event_ids
        self._space = space
        self._past = past
        self._interests = interests
        self._column = np.full(len(table), -1, dtype=np.int64)
        self._column[space.cands] = np.arange(len(space.cands))
        self._code = np.array([CODE[ReasonKind.ATTENDED] if name in ANCHORED
                               else CODE[ReasonKind(FEATURE_REASON.get(name, "none"))]
                               for name in blend.names], dtype=np.int8)
        self._none = CODE[ReasonKind.NONE]
        self._attended = CODE[ReasonKind.ATTENDED]
        self._interest = CODE[ReasonKind.INTEREST]

    def explain(self, ids: np.ndarray, rows: np.ndarray, ranked: Ranked) -> Rankings:
        """Reasons for members `ids` (log rows `rows`) and their picks."""
        from recommender import Rankings

        items = ranked.items
        lifts = ranked.contributions
        best = lifts.argmax(axis=-1)
        kinds = np.where(np.take_along_axis(lifts, best[..., None], -1)[..., 0] >= REASON_LIFT,
                         self._code[best], self._none).astype(np.int8)
        kinds[items < 0] = self._none
        anchors = np.full(items.shape, -1, dtype=np.int64)
        members, slots = np.nonzero(kinds == self._attended)
        if len(members):
            anchors[members, slots] = self._anchors(rows[members], items[members, slots])
        labels = np.full(items.shape, -1, dtype=np.int32)
        members, slots = np.nonzero(kinds == self._interest)
        if len(members) and self._interests is not None:
            labels[members, slots] = self._labels(ids[members], items[members, slots])
        event_ids = self._event_ids
        return Rankings(ids, np.where(items >= 0, event_ids[np.maximum(items, 0)], -1),
                        ranked.scores, kinds,
                        np.where(anchors >= 0, event_ids[np.maximum(anchors, 0)], -1), labels,
                        self._interests.labels if self._interests is not None else ())

    def _anchors(self, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Per pick, the attended session closest to it (its own series first)."""
        space, past = self._space, self._past
        counts = np.diff(past.indptr)[rows]
        pick = np.repeat(np.arange(len(rows)), counts)
        offsets = np.cumsum(counts) - counts
        entry = np.repeat(past.indptr[rows] - offsets, counts) + np.arange(len(pick))
        mine = past.indices[entry]
        # Closeness: meaning plus text cosine, and 2 more within the pick's own series; read
        # at these pairs from the space's tables (no (used, C) table of its own).
        at = space.used_col[mine], self._column[items][pick]
        values = space.semantic_sim[at] + space.lexical_sim[at]
        np.add(values, np.float32(2.0), out=values,
               where=self._table.series[mine] == self._table.series[items[pick]])
        return np.asarray(mine[_first_max(values, offsets, pick)], dtype=np.int64)

    def _labels(self, ids: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Per pick, the index of the member's declared interest closest to it."""
        assert self._interests is not None
        of = self._interests.of_member
        keys = ids.tolist()
        counts, flat = ragged(of, keys)
        pick = np.repeat(np.arange(len(keys)), counts)
        values = np.einsum("nd,nd->n", self._interests.vectors[flat],
                           self._table.semantic[items[pick]])
        out = np.full(len(keys), -1, dtype=np.int64)
        some = counts > 0
        offsets = (np.cumsum(counts) - counts)[some]
        out[some] = flat[_first_max(values, offsets, np.repeat(np.arange(some.sum()),
                                                                counts[some]))]
        return out


def ragged(lists: Mapping[int, Collection[int]], keys: Sequence[int]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Each key's list length, and the lists joined: two C-level passes, no Python loop."""
    found = list(map(lists.get, keys, repeat(())))
    counts = np.fromiter(map(len, found), np.int64, len(found))
    return counts, np.fromiter(chain.from_iterable(found), np.int64, int(counts.sum()))


def _first_max(values: np.ndarray, offsets: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Index of the first maximum of each non-empty segment of `values` (starts `offsets`)."""
    top = np.maximum.reduceat(values, offsets)
    where = np.where(values == top[segment], np.arange(len(values)), len(values))
    return np.minimum.reduceat(where, offsets)
