"""Row-wise top-k over a score block, the selection step that dominates batched ranking."""

from __future__ import annotations

import numpy as np


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of each row's `k` largest scores, best first.

    `argpartition` is linear per row, so only the `k` winners are sorted.
    """
    n_cols = scores.shape[1]
    k = min(k, n_cols)
    if k <= 0:
        empty = np.zeros((scores.shape[0], 0), dtype=np.int64)
        return empty, np.zeros((scores.shape[0], 0), dtype=scores.dtype)
    if k < n_cols:
        idx = np.argpartition(scores, n_cols - k, axis=1)[:, n_cols - k :]
    else:
        idx = np.broadcast_to(np.arange(n_cols), scores.shape).copy()
    vals = np.take_along_axis(scores, idx, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(vals, order, axis=1)
