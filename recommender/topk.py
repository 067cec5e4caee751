"""Row-wise top-k over a score block, the selection step that dominates batched ranking."""

from __future__ import annotations

import numpy as np


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of each row's `k` largest scores, best first.

    `torch.topk` on the block's own memory (no copy): a few times faster than numpy's
    `argpartition` on the 2-core machine, where selection cost more than the matmul (G4).
    Equal scores among the picks are listed lower column first.
    """
    import torch

    n_rows, n_cols = scores.shape
    k = min(k, n_cols)
    if k <= 0 or n_rows == 0:
        empty = np.zeros((n_rows, max(k, 0)), dtype=np.int64)
        return empty, np.zeros((n_rows, max(k, 0)), dtype=scores.dtype)
    block = torch.from_numpy(np.ascontiguousarray(scores))
    vals, idx = (t.numpy() for t in torch.topk(block, k, dim=1, sorted=True))
    # Equal scores: lower column first (torch leaves their order unspecified).
    order = np.lexsort((idx, -vals.astype(np.float64)), axis=1)
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(vals, order, axis=1)
