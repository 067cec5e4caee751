"""Maximal marginal relevance, vectorised over a block of members."""

from __future__ import annotations

import numpy as np


def mmr(
    pool: np.ndarray,
    relevance: np.ndarray,
    item_similarity: np.ndarray,
    k: int,
    diversity: float,
) -> np.ndarray:
    """Pick `k` of each row's `pool`, trading relevance against similarity to earlier picks.

    Args:
        pool: (members, p) candidate positions, best first.
        relevance: (members, p) their scores; `-inf` marks a filtered slot.
        item_similarity: (C, C) similarity between candidate positions.
        k: picks per member.
        diversity: 0 keeps relevance order; 1 only avoids repeats of a theme.

    Returns:
        (members, k) positions into each pool row, -1 where the row ran out.
    """
    members, width = pool.shape
    valid = np.isfinite(relevance)
    low = np.where(valid, relevance, np.inf).min(axis=1, keepdims=True)
    high = np.where(valid, relevance, -np.inf).max(axis=1, keepdims=True)
    span = np.where(high > low, high - low, 1.0)
    # Relevance is rescaled per member so the trade-off means the same for every member.
    rel = np.where(valid, (relevance - low) / span, -np.inf)
    closest = np.zeros((members, width), dtype=np.float64)
    picked = np.full((members, min(k, width)), -1, dtype=np.int64)
    taken = ~valid
    rows = np.arange(members)
    for step in range(picked.shape[1]):
        objective = (1.0 - diversity) * rel - diversity * closest
        objective[taken] = -np.inf
        best = objective.argmax(axis=1)
        ok = np.isfinite(objective[rows, best])
        picked[:, step] = np.where(ok, best, -1)
        taken[rows[ok], best[ok]] = True
        # Similarity of this step's pick to the rest of the pool: (members, p) per step, not
        # the (members, p, p) block up front.
        sims = item_similarity[pool[rows, best][:, None], pool]
        closest = np.maximum(closest, np.where(ok[:, None], sims, 0.0))
    return picked
