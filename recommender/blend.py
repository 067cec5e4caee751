"""The learned blend of `recommender.features`, and the ranker that scores with it.

A logistic regression rather than boosted trees: its score is a sum of per-feature terms,
so the term that lifted a pick most is its reason, and the weights can be read. It is
trained on a time split of the community's own history (features as known at `t0`, labels:
who RSVP'd the sessions that followed), so it adapts to each community instead of to the
data set it was developed on; with too little history it falls back to fixed weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from recommender.features import DAY, FEATURES, ItemTable, RsvpHistory, compute_features
from recommender.topk import top_k

# Positives (and negatives) needed before the learned weights are trusted. 20, not more: a
# small community's first weeks otherwise rank with the fixed priors (half the weekly refits
# of a 120-member generated community were fixed at 40), and C=0.02 keeps 16 weights tame.
MIN_EXAMPLES = 20
NEGATIVES_PER_POSITIVE = 20  # sampled negatives bound the training set
FEEDBACK_WEIGHT = 3.0  # a 👍, 👎 or declined RSVP is said, not inferred


@dataclass(frozen=True, slots=True)
class LinearBlend:
    """score = sum_f coef_f * (x_f - mean_f) / scale_f; each term is a feature's contribution."""

    coef: np.ndarray  # (F,)
    mean: np.ndarray  # (F,)
    scale: np.ndarray  # (F,)
    learned: bool
    names: tuple[str, ...] = FEATURES

    def score(self, features: np.ndarray) -> np.ndarray:
        """`(F, M, C)` features to `(M, C)` scores: one weighted sum over the feature axis."""
        weights = (self.coef / self.scale).astype(np.float32)
        flat = features.reshape(len(weights), -1)
        return np.asarray((weights @ flat).reshape(features.shape[1:]), dtype=np.float32)

    def contributions(self, features: np.ndarray, center: np.ndarray | None = None) -> np.ndarray:
        """`(F, ...)` features to `(..., F)` terms relative to `center` (default the mean).

        `center` `(F, ...)` is e.g. the member's average candidate: what lifted a pick above
        the others, which is what a reason should say.
        """
        moved = np.moveaxis(features if center is None else features - center, 0, -1)
        base = 0.0 if center is not None else self.mean
        return np.asarray((moved - base) / self.scale * self.coef, dtype=np.float32)


# Priors on raw feature scales, for a community with too little history to learn from.
PRIORS = {"series": 1.0, "series_share": 0.3, "series_rate": 0.3, "group": 0.3,
          "group_rate": 0.3, "joined": 0.5, "tfidf": 1.0, "embedding": 0.5,
          "interest": 1.0, "habit": 0.3, "weekday": 0.1, "daypart": 0.1, "popularity": 0.3,
          "momentum": 0.2, "ahead": 0.1, "series_popularity": 0.2, "co_attendance": 0.5,
          "soon": 0.2}
FIXED = LinearBlend(
    coef=np.array([PRIORS[name] for name in FEATURES]),
    mean=np.zeros(len(FEATURES)),
    scale=np.ones(len(FEATURES)),
    learned=False,
)


def fit_blend(
    x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
) -> LinearBlend:
    """Logistic regression on `(n, F)` examples with 0/1 labels; `FIXED` if too few.

    Declines and 👎 are ordinary 0 labels (optionally weighted up via `sample_weight`).
    """
    positives = int(np.sum(y > 0))
    if positives < MIN_EXAMPLES or len(y) - positives < MIN_EXAMPLES:
        return FIXED
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-6, scale, 1.0)
    model = LogisticRegression(C=0.02, max_iter=1000)
    model.fit((x - mean) / scale, y > 0, sample_weight=sample_weight)
    return LinearBlend(np.asarray(model.coef_[0], dtype=np.float64), mean, scale, learned=True)


@dataclass(frozen=True, slots=True)
class Feedback:
    """Explicit answers as parallel arrays: 👍 (1) or 👎 / declined RSVP (0), and when."""

    member: np.ndarray
    item: np.ndarray
    created: np.ndarray
    label: np.ndarray  # 1 liked, 0 refused

    @classmethod
    def none(cls) -> Feedback:
        """No explicit feedback (offline data sets)."""
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, np.zeros(0), empty)


def training_set(
    table: ItemTable,
    log: RsvpHistory,
    at: float,
    *,
    feedback: Feedback | None = None,
    interests: np.ndarray | None = None,
    lookbacks_days: tuple[float, ...] = (7.0, 14.0, 21.0, 28.0, 42.0, 56.0, 70.0, 84.0),
    min_history: int = 2,
    next_share: float = 0.25,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Examples known at `at`: features at `t0 = at - lookback`, labels = what came next.

    What a member does next is what a recommendation is for, so a member's label is their
    next `next_share` of sessions after `t0` (at least one); their later sessions are left
    out rather than called negatives. Candidates start in (t0, at] and only RSVPs made by
    `at` are read, so a model fitted at `at` has seen nothing later. Weekly lookbacks and
    members from their second session on give a young community enough examples to learn
    from (what is next for a member with a short history is most of what it ranks).

    `feedback` given by `at` on a candidate overrides that: 👍 is a positive, 👎 and a
    declined RSVP a negative that is always kept (never sampled away) and weighs
    `FEEDBACK_WEIGHT` times an ordinary example, since a member said so. `interests`
    `(members, d)` (zero rows: none declared) feed the interest feature, so its weight is
    learned rather than borrowed from history's meaning. Returns features, labels and
    sample weights.
    """
    said = feedback or Feedback.none()
    said_by_then = said.created <= at
    rng = np.random.default_rng(seed)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    ws: list[np.ndarray] = []
    made = log.created <= at
    for lookback in lookbacks_days:
        t0 = at - lookback * DAY
        snap = log.snapshot(table, t0)
        history = np.diff(snap.past.indptr)
        members = np.flatnonzero(history >= min_history)
        cands = np.flatnonzero((table.starts > t0) & (table.starts <= at))
        if len(members) == 0 or len(cands) == 0:
            continue
        row = np.full(log.n_members, -1)
        row[members] = np.arange(len(members))
        col = np.full(len(table), -1)
        col[cands] = np.arange(len(cands))
        hit = np.flatnonzero(made & (row[log.member] >= 0) & (col[log.item] >= 0))
        # Rank each member's upcoming sessions by start; the first few are the labels.
        order = hit[np.lexsort((table.starts[log.item[hit]], log.member[hit]))]
        owner = log.member[order]
        first = np.searchsorted(owner, owner, side="left")
        position = np.arange(len(order)) - first
        wanted = np.maximum(1, np.round(history[owner] * next_share)).astype(np.int64)
        # 0 sampled negative, 1 positive, 2 skipped, 3 refused (👎 or declined), 4 liked
        state = np.zeros((len(members), len(cands)), dtype=np.int8)
        state[row[owner], col[log.item[order]]] = np.where(position < wanted, 1, 2)
        told = np.flatnonzero(said_by_then & (row[np.clip(said.member, 0, None)] >= 0)
                              & (col[said.item] >= 0))
        state[row[said.member[told]], col[said.item[told]]] = np.where(
            said.label[told] > 0, 4, 3)
        flat = state.ravel()
        pos = np.flatnonzero((flat == 1) | (flat == 4))
        neg = np.flatnonzero(flat == 0)
        refused = np.flatnonzero(flat == 3)
        take = min(len(neg), max(NEGATIVES_PER_POSITIVE * len(pos), 200))
        keep = np.concatenate([pos, refused, rng.choice(neg, size=take, replace=False)])
        feats = compute_features(table, snap, members, cands, interests)
        feats = feats.reshape(len(FEATURES), -1)
        xs.append(feats[:, keep].T)
        ys.append(((flat[keep] == 1) | (flat[keep] == 4)).astype(np.float64))
        ws.append(np.where(flat[keep] >= 3, FEEDBACK_WEIGHT, 1.0))
    if not xs:
        return np.zeros((0, len(FEATURES))), np.zeros(0), np.zeros(0)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)


@dataclass(frozen=True, slots=True)
class Ranked:
    """Top-k item rows per member with their scores and per-feature contributions."""

    items: np.ndarray  # (M, k) item rows, -1 for an empty slot
    scores: np.ndarray  # (M, k)
    contributions: np.ndarray  # (M, k, F): lift over the average candidate (largest = reason)

    def reasons(self, names: tuple[str, ...] = FEATURES) -> list[list[str]]:
        """The feature that lifted each pick most, per member and slot."""
        best = self.contributions.argmax(axis=-1)
        return [
            [names[int(f)] for f, item in zip(row, items, strict=True) if item >= 0]
            for row, items in zip(best, self.items, strict=True)
        ]


def rank(
    blend: LinearBlend,
    features: np.ndarray,
    candidates: np.ndarray,
    k: int,
    *,
    exclude: np.ndarray | None = None,
) -> Ranked:
    """Score `(F, M, C)` features, mask `exclude` `(M, C)`, keep the top `k` with reasons."""
    scores = blend.score(features)
    if exclude is not None:
        scores = np.where(exclude, -np.inf, scores)
    cols, vals = top_k(scores, k)
    ok = (cols >= 0) & np.isfinite(vals)
    safe = np.maximum(cols, 0)
    picked = np.take_along_axis(features, safe[None, :, :], axis=2)  # (F, M, k)
    # Why a pick beat the others: its features against the member's average candidate.
    center = features.mean(axis=2, keepdims=True)
    return Ranked(
        items=np.where(ok, np.asarray(candidates)[safe], -1),
        scores=np.where(ok, vals, 0.0).astype(np.float32),
        contributions=blend.contributions(picked, center),
    )
