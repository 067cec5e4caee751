"""The learned blend's ranking without materialising every feature (G4).

`blend.rank` scores a full `(F, M, C)` feature block: fine for training and evaluation, but
each feature is a pass over members x candidates. The score is linear, so here:

- meaning (history and declared interests), every candidate-only feature (a column of ones
  meets the candidates' bias) and the narrow group and slot tables (one-hot rows) are one
  matmul;
- text similarity and co-attendance are one weighted row sum (`embedding_bag`) over the
  attended sessions' rows;
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

import numpy as np
import torch

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


def rank_members(
    space: FeatureSpace,
    blend: LinearBlend,
    members: np.ndarray,
    k: int,
    *,
    exclude: Exclusion | None = None,
    own: bool = False,
    interests: np.ndarray | None = None,
) -> Ranked:
    """Same picks and contributions as `rank(blend, space.block(members), ...)`, cheaper.

    `exclude` is a boolean `(M, C)` mask or `(rows, columns)` of excluded pairs; `own` also
    excludes each member's own RSVPs. `interests` `(M, d)` replaces the space's declared
    interests for these members.
    Ranking many blocks, keep one `BlockScorer` (its tables are built once).
    """
    return BlockScorer(space, blend, members).rank(members, k, exclude=exclude, own=own,
                                          interests=interests)


class BlockScorer:
    """What one ranking needs besides the members: built once, used for every block."""

    def __init__(self, space: FeatureSpace, blend: LinearBlend,
                 members: np.ndarray | None = None) -> None:
        """`members`: every member row this scorer will rank (their defaults built once)."""
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
        self.right = np.concatenate([space.semantic_t, bias[None, :].astype(np.float32),
                                     *onehots]).astype(np.float32)
        self.series = SeriesFamily(space, w)
        self.n = n
        self.aids = RankingAids.build(space.table.lexical, space.table.semantic, space.used,
                                      space.cands)
        self.content = torch.from_numpy(space.content)
        self.means = candidate_means(space)
        if members is not None:
            self.series.ensure(space.first_sessions(members))

    def rank(self, members: np.ndarray, k: int, *, exclude: Exclusion | None = None,
             own: bool = False, interests: np.ndarray | None = None) -> Ranked:
        """Top `k` for member rows `members` (see `rank_members`)."""
        space = self.space
        parts = space.parts(members, series_tables=False, aids=self.aids)
        if interests is not None:
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
        """`(M, C)` text similarity and co-attendance, weighted: one pass on torch's pool.

        Each member's bag is their attended sessions' rows of `content`, text half then
        co-attendance half, weighed by recency and the member's scales; the block it
        allocates then takes the matmul in place.
        """
        x, w = parts.history, self.w
        m, nnz = x.shape[0], x.nnz
        counts = np.diff(x.indptr)
        row = np.repeat(np.arange(m), counts)
        text = np.arange(nnz) + x.indptr[:-1][row]  # bag positions of the text half
        co = text + counts[row]
        index = np.empty(2 * nnz, dtype=np.int64)
        index[text], index[co] = x.indices, x.indices + x.shape[1]
        weight = np.empty(2 * nnz, dtype=np.float32)
        weight[text] = x.data * (w[F["tfidf"]] * parts.text_scale)[row]
        weight[co] = x.data * (w[F["co_attendance"]] * parts.co_scale)[row]
        if not nnz:
            return np.zeros((m, self.n), dtype=np.float32)
        bags = torch.from_numpy(2 * x.indptr[:-1].astype(np.int64))
        return torch.nn.functional.embedding_bag(
            torch.from_numpy(index), self.content, bags, mode="sum",
            per_sample_weights=torch.from_numpy(weight)).numpy()

    def _scores(self, parts: MemberParts) -> np.ndarray:
        """`(M, C)` blend scores, summed feature by feature into one block."""
        space, w = self.space, self.w
        m, d = parts.semantic.shape
        left = np.empty((m, self.right.shape[0]), dtype=np.float32)
        np.multiply(parts.semantic, w[F["embedding"]], out=left[:, :d])
        if parts.interests is not None:
            left[:, :d] += w[F["interest"]] * parts.interests
        left[:, d] = 1.0
        at = d + 1
        for family in self.folded:
            table = self._family(parts, family)
            left[:, at : at + table.shape[1]] = table
            at += table.shape[1]
        scores = self._content(parts)
        torch.from_numpy(scores).addmm_(torch.from_numpy(left), torch.from_numpy(self.right))
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
