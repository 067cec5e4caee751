"""The learned blend's ranking without materialising every feature (G4).

`blend.rank` scores a full `(F, M, C)` feature block: fine for training and evaluation, but
each feature is a pass over members x candidates. The score is linear, so here:

- every candidate-only feature (a column of ones meets the candidates' bias) and the narrow
  group and slot tables (one-hot rows) are one narrow matmul;
- text similarity, co-attendance and meaning are one weighted row sum (`embedding_bag`) over
  the attended sessions' rows of the space's item x candidate tables (a member's profile is
  a weighted sum of those sessions, so its cosine with a candidate is that sum of cosines,
  scaled by the profile's length); declared interests as weights over labels join the same
  sum (their rows of `label_sim`), given as a `(members, d)` array they join the matmul;
- the series family, as wide as the candidates in a digest, is a default row per member's
  start (shared by every member who started then) plus corrections at the few series the
  member attended.

One `(M, C)` block is alive per call (the row sum allocates it, the matmul adds into
it in place: `torch.addmm_`, as numpy's matmul cannot accumulate), exclusions are
coordinates, and features are then computed only for the top-k picks (for reasons),
against each member's average candidate, as `rank` does.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeAlias

import numpy as np
import torch
from scipy import sparse

from recommender.blend import LinearBlend, Ranked
from recommender.features import FAMILY, F, FeatureSpace
from recommender.member_parts import MemberParts, RankingAids
from recommender.scoring_picks import (
    SeriesFamily,
    at_pairs,
    candidate_means,
    features_at,
    mean_features,
    momentum,
    popularity,
)
from recommender.topk import top_k

FOLD_WIDTH = 64  # a family table at most this wide joins the matmul as one-hot rows
Exclusion = np.ndarray | tuple[np.ndarray, np.ndarray]  # (M, C) mask, or (rows, cols)
# Declared interests: `(M, d)` vectors, or `(M, labels)` weights over the space's labels.
Interests: TypeAlias = "np.ndarray | sparse.csr_matrix"


def rank_members(
    space: FeatureSpace,
    blend: LinearBlend,
    members: np.ndarray,
    k: int,
    *,
    exclude: Exclusion | None = None,
    own: bool = False,
    interests: Interests | None = None,
) -> Ranked:
    """Same picks and contributions as `rank(blend, space.block(members), ...)`, cheaper.

    `exclude` is a boolean `(M, C)` mask or `(rows, columns)` of excluded pairs; `own` also
    excludes each member's own RSVPs. `interests` `(M, d)` replaces the space's declared
    interests for these members; as `(M, labels)` weights over the space's labels (built
    with `labels`) they are read from `label_sim` instead.
    Ranking many blocks, keep one `BlockScorer` (its tables are built once).
    """
    return BlockScorer(space, blend, members).rank(members, k, exclude=exclude, own=own,
                                          interests=interests)


class BlockScorer:
    """What one ranking needs besides the members: built once, used for every block."""

    def __init__(self, space: FeatureSpace, blend: LinearBlend,
                 members: np.ndarray | None = None, aids: RankingAids | None = None) -> None:
        """`members`: every member row this scorer will rank (their defaults built once).

        `aids`: `RankingAids.build` of the space's items, when the caller built it meanwhile
        the space was (it needs only the attended items and the candidates).
        """
        self.space = space
        self.blend = blend
        self.w = w = (blend.coef / blend.scale).astype(np.float32)
        n = len(space.cands)
        widths = {"group": space.groups.shape[1] + 1, "slot": space.slots.shape[1]}
        self.folded = tuple(f for f in ("group", "slot") if widths[f] <= FOLD_WIDTH)
        self.gathered = tuple(f for f in ("group", "slot") if f not in self.folded)
        bias = (w[F["popularity"]] * popularity(space.known_counts)
                + w[F["momentum"]] * momentum(space, space.known_counts)
                + w[F["ahead"]] * space.ahead
                + w[F["series_popularity"]] * space.series_pop
                + w[F["soon"]] * space.soon)
        onehots = [np.eye(widths[f], dtype=np.float32)[:, space.column(f)] for f in self.folded]
        self.right = np.concatenate([bias[None, :].astype(np.float32), *onehots]
                                    ).astype(np.float32)
        self._dense_right: np.ndarray | None = None  # with `semantic_t`: (M, d) interests
        self.series = SeriesFamily(space, w)
        self.n = n
        self.aids = aids or RankingAids.build(space.table.lexical, space.table.semantic,
                                              space.used, space.cands)
        self.content = torch.from_numpy(space.content)
        self.means = candidate_means(space)
        if members is not None:
            self.series.ensure(space.first_sessions(members))

    def rank(self, members: np.ndarray, k: int, *, exclude: Exclusion | None = None,
             own: bool = False, interests: Interests | None = None) -> Ranked:
        """Top `k` for member rows `members` (see `rank_members`)."""
        space = self.space
        parts = space.parts(members, series_tables=False, aids=self.aids)
        if isinstance(interests, sparse.csr_matrix):
            parts = replace(parts, interests=None, label_weights=interests)
        elif interests is not None:
            parts = replace(parts, interests=np.asarray(interests, dtype=np.float32))
        scores = self._scores(parts)
        if isinstance(exclude, tuple):
            scores[exclude[0], exclude[1]] = -np.inf
        elif exclude is not None:
            scores[exclude] = -np.inf
        if own:
            scores[parts.own_rows, parts.own_cols] = -np.inf
        picks, vals = top_k(scores, k, pool="torch")
        ok = (picks >= 0) & np.isfinite(vals)
        safe = np.maximum(picks, 0)
        picked = features_at(space, parts, safe, self.series)
        center = mean_features(space, parts, self.series, self.means)
        return Ranked(
            items=np.where(ok, space.cands[safe], -1),
            scores=np.where(ok, vals, 0.0).astype(np.float32),
            contributions=self.blend.contributions(picked, center[:, :, None]),
        )

    def _family(self, parts: MemberParts, family: str) -> np.ndarray:
        """`(M, width)` the weighted sum of one family's tables."""
        names = [n for n, f in FAMILY.items() if f == family]
        out = self.w[F[names[0]]] * parts.tables[names[0]]
        for name in names[1:]:
            out += self.w[F[name]] * parts.tables[name]
        return np.asarray(out, dtype=np.float32)

    def _content(self, parts: MemberParts) -> np.ndarray:
        """`(M, C)` text similarity, co-attendance, meaning and labelled interests, weighted.

        One pass on torch's pool: each member's bag is their attended sessions' rows of
        `content` (text, co-attendance, meaning), weighed by recency and the member's scales,
        then their labels' rows; the block it allocates then takes the matmul in place.
        """
        x, w, u = parts.history, self.w, len(self.space.used)
        said = parts.label_weights
        if said is None:
            said = sparse.csr_matrix((x.shape[0], 0), dtype=np.float32)
        m, nnz, n_said = x.shape[0], x.nnz, said.nnz
        if not nnz + n_said:
            return np.zeros((m, self.n), dtype=np.float32)
        counts, labels = np.diff(x.indptr), np.diff(said.indptr)
        start = 3 * x.indptr[:-1] + said.indptr[:-1]  # each member's bag
        row = np.repeat(np.arange(m), counts)
        text = np.arange(nnz) - x.indptr[:-1][row] + start[row]  # bag positions, text third
        index = np.empty(3 * nnz + n_said, dtype=np.int64)
        weight = np.empty(3 * nnz + n_said, dtype=np.float32)
        for n, (name, scale) in enumerate((("tfidf", parts.text_scale),
                                           ("co_attendance", parts.co_scale),
                                           ("embedding", parts.semantic_scale))):
            at = text + n * counts[row]
            index[at] = x.indices + n * u
            weight[at] = x.data * (w[F[name]] * scale)[row]
        if n_said:
            lrow = np.repeat(np.arange(m), labels)
            at = np.arange(n_said) - said.indptr[:-1][lrow] + start[lrow] + 3 * counts[lrow]
            index[at] = said.indices + 3 * u
            weight[at] = said.data * w[F["interest"]]
        return torch.nn.functional.embedding_bag(
            torch.from_numpy(index), self.content, torch.from_numpy(start.astype(np.int64)),
            mode="sum", per_sample_weights=torch.from_numpy(weight)).numpy()

    def _scores(self, parts: MemberParts) -> np.ndarray:
        """`(M, C)` blend scores, summed feature by feature into one block."""
        space, w = self.space, self.w
        m = len(parts.semantic)
        d = 0 if parts.interests is None else parts.interests.shape[1]
        right = self.right if not d else self._dense()
        left = np.empty((m, right.shape[0]), dtype=np.float32)
        if parts.interests is not None:
            np.multiply(parts.interests, w[F["interest"]], out=left[:, :d])
        left[:, d] = 1.0
        at = d + 1
        for family in self.folded:
            table = self._family(parts, family)
            left[:, at : at + table.shape[1]] = table
            at += table.shape[1]
        scores = self._content(parts)
        torch.from_numpy(scores).addmm_(torch.from_numpy(left), torch.from_numpy(right))
        for family in self.gathered:
            scores += np.take(self._family(parts, family), space.column(family), axis=1)
        self.series.add_to(scores, parts)
        # Corrections at a member's own RSVPs (few): their own RSVP counts towards neither a
        # session's popularity nor its co-attendance.
        rows, cols = parts.own_rows, parts.own_cols
        counts = space.known_counts[cols]
        scores[rows, cols] += w[F["popularity"]] * (popularity(counts - 1)
                                                    - popularity(counts))
        scores[rows, cols] += w[F["momentum"]] * (momentum(space, counts - 1, cols)
                                                  - momentum(space, counts, cols))
        raw = at_pairs(parts.history, space.co, rows, cols)
        fixed = np.maximum(raw - parts.self_weight[rows], 0.0)
        scores[rows, cols] += w[F["co_attendance"]] * parts.co_scale[rows] * (fixed - raw)
        return scores

    def _dense(self) -> np.ndarray:
        """The matmul's right side with `semantic_t` on top, for `(M, d)` interests."""
        if self._dense_right is None:
            self._dense_right = np.concatenate([self.space.semantic_t, self.right])
        return self._dense_right
