"""Sparse rows times a dense table, as weighted row sums on torch's thread pool (G4).

`csr @ dense` in scipy runs on one core, one row at a time; with ~10 entries per row it
was the largest cost after the matmul. `embedding_bag` does the same sums on every core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:
    import torch


def row_sums(weights: sparse.csr_matrix, table: np.ndarray | torch.Tensor) -> np.ndarray:
    """`(M, width)` float32 `weights @ table` for a CSR `weights` and a float32 `table`."""
    import torch  # here, not at import: the bot process loads torch only once it ranks (G13)

    dense = table if isinstance(table, torch.Tensor) else torch.from_numpy(
        np.ascontiguousarray(table, dtype=np.float32))
    if not weights.nnz or not weights.shape[0]:
        return np.zeros((weights.shape[0], dense.shape[1]), dtype=np.float32)
    return torch.nn.functional.embedding_bag(
        torch.from_numpy(weights.indices.astype(np.int64)), dense,
        torch.from_numpy(weights.indptr[:-1].astype(np.int64)), mode="sum",
        per_sample_weights=torch.from_numpy(weights.data.astype(np.float32))).numpy()
