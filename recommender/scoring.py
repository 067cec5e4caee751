"""The learned blend's ranking without materialising every feature (G4).

`blend.rank` scores a full `(F, M, C)` feature block: fine for training and evaluation, but
each feature is a pass over members x candidates. The score is linear, so here the small
per-member tables of one family (series, group, slot) are weighted and summed first and
gathered once, the candidate-only features fold into one vector, and the two meaning
features into one matmul: about as many passes as families. Features are then computed only
for the top-k picks (for reasons), against each member's average candidate, as `rank` does.
"""

from __future__ import annotations

import numpy as np

from recommender.blend import LinearBlend, Ranked
from recommender.features import FAMILY, FEATURES, F, FeatureSpace, MemberParts
from recommender.topk import top_k

FAMILIES = ("series", "group", "slot")


def rank_members(
    space: FeatureSpace,
    blend: LinearBlend,
    members: np.ndarray,
    k: int,
    *,
    exclude: np.ndarray | None = None,
) -> Ranked:
    """Same picks and contributions as `rank(blend, space.block(members), ...)`, cheaper."""
    w = (blend.coef / blend.scale).astype(np.float32)
    parts = space.parts(members)
    semantic = w[F["embedding"]] * parts.semantic
    if parts.interests is not None:
        semantic += w[F["interest"]] * parts.interests
    scores = semantic @ space.semantic_t
    scores += w[F["tfidf"]] * parts.tfidf
    scores += w[F["co_attendance"]] * parts.co_attendance
    for family in FAMILIES:
        names = [n for n, f in FAMILY.items() if f == family]
        scores += np.take(sum(w[F[n]] * parts.tables[n] for n in names), space.column(family),
                          axis=1)
    scores += (w[F["popularity"]] * _popularity(space.known_counts)
               + w[F["momentum"]] * _momentum(space, space.known_counts)
               + w[F["series_popularity"]] * space.series_pop
               + w[F["soon"]] * space.soon)[None, :]
    # A member's own RSVPs do not count towards a session's popularity: corrected in place.
    rows, cols = parts.own_rows, parts.own_cols
    counts = space.known_counts[cols]
    scores[rows, cols] += w[F["popularity"]] * (_popularity(counts - 1) - _popularity(counts))
    scores[rows, cols] += w[F["momentum"]] * (_momentum(space, counts - 1, cols)
                                              - _momentum(space, counts, cols))
    if exclude is not None:
        scores[exclude] = -np.inf
    picks, vals = top_k(scores, k)
    ok = (picks >= 0) & np.isfinite(vals)
    safe = np.maximum(picks, 0)
    picked = _features_at(space, parts, safe)
    center = _mean_features(space, parts)
    return Ranked(
        items=np.where(ok, space.cands[safe], -1),
        scores=np.where(ok, vals, 0.0).astype(np.float32),
        contributions=blend.contributions(picked, center[:, :, None]),
    )


def _popularity(counts: np.ndarray) -> np.ndarray:
    return np.asarray(np.log1p(np.maximum(counts, 0.0)), dtype=np.float32)


def _momentum(space: FeatureSpace, counts: np.ndarray,
              cols: np.ndarray | None = None) -> np.ndarray:
    since = space.since_first if cols is None else space.since_first[cols]
    return np.asarray(np.log1p(np.maximum(counts, 0.0) / (1.0 + since)), dtype=np.float32)


def _features_at(space: FeatureSpace, parts: MemberParts, cols: np.ndarray) -> np.ndarray:
    """`(F, M, k)` features of each member's picked candidate columns."""
    out = np.empty((len(FEATURES), *cols.shape), dtype=np.float32)
    for name, values in parts.tables.items():
        out[F[name]] = np.take_along_axis(values, space.column(FAMILY[name])[cols], axis=1)
    out[F["tfidf"]] = np.take_along_axis(parts.tfidf, cols, axis=1)
    out[F["co_attendance"]] = np.take_along_axis(parts.co_attendance, cols, axis=1)
    vectors = space.semantic_t.T[cols]  # (M, k, d)
    out[F["embedding"]] = np.einsum("md,mkd->mk", parts.semantic, vectors)
    out[F["interest"]] = (0.0 if parts.interests is None
                          else np.einsum("md,mkd->mk", parts.interests, vectors))
    counts = space.known_counts[cols].copy()
    mine = np.zeros((len(cols), len(space.known_counts)), dtype=bool)
    mine[parts.own_rows, parts.own_cols] = True
    counts -= np.take_along_axis(mine, cols, axis=1)
    out[F["popularity"]] = _popularity(counts)
    out[F["momentum"]] = np.log1p(np.maximum(counts, 0.0) / (1.0 + space.since_first[cols]))
    out[F["series_popularity"]] = space.series_pop[cols]
    out[F["soon"]] = space.soon[cols]
    return out


def _mean_features(space: FeatureSpace, parts: MemberParts) -> np.ndarray:
    """`(F, M)` each member's average candidate (what a reason's lift is measured from)."""
    m, c = parts.tfidf.shape
    out = np.empty((len(FEATURES), m), dtype=np.float32)
    for name, values in parts.tables.items():
        share = np.bincount(space.column(FAMILY[name]), minlength=values.shape[1]) / c
        out[F[name]] = values @ share.astype(np.float32)
    out[F["tfidf"]] = parts.tfidf.mean(axis=1)
    out[F["co_attendance"]] = parts.co_attendance.mean(axis=1)
    mean_vector = space.semantic_t.mean(axis=1)
    out[F["embedding"]] = parts.semantic @ mean_vector
    out[F["interest"]] = 0.0 if parts.interests is None else parts.interests @ mean_vector
    # Popularity's own-RSVP correction moves a member's mean by at most log(2)/C: left out.
    out[F["popularity"]] = _popularity(space.known_counts).mean()
    out[F["momentum"]] = _momentum(space, space.known_counts).mean()
    out[F["series_popularity"]] = space.series_pop.mean()
    out[F["soon"]] = space.soon.mean()
    return out
