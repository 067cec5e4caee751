"""A block of members' feature pieces, and the array helpers the feature space is built with.

Split from `recommender.features` to keep that module small.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from recommender.rowsums import row_sums

if TYPE_CHECKING:
    import torch

GRAM_LIMIT = 4096  # attended sessions up to which their TF-IDF Gram table is built (64 MiB)


@dataclass(frozen=True, slots=True)
class MemberParts:
    """What a block of members' features are read from: small tables and a few products.

    Text similarity and co-attendance stay factored (history x item table, G4): the ranker
    sums them into one product and reads them only at its picks; `block` densifies them.
    """

    tables: dict[str, np.ndarray]  # feature -> (M, width of its `FAMILY`) values
    series_hist: sparse.csr_matrix  # (M, candidate series) decayed sessions attended
    since: np.ndarray  # (M,) first held session each member came to (see `_rates`)
    denom: np.ndarray  # (M,) total recency weight (1 for none)
    history: sparse.csr_matrix  # (M, used) recency-weighted attended sessions
    text_scale: np.ndarray  # (M,) 1 / norm of the member's TF-IDF profile
    co_scale: np.ndarray  # (M,) 1 / the member's total recency weight
    self_weight: np.ndarray  # (M,) the member's own share of co-attendance on own RSVPs
    lexical_sim: np.ndarray  # the space's (used, C) tables, shared
    co: np.ndarray
    semantic: np.ndarray  # (M, d) unit history profiles
    semantic_scale: np.ndarray  # (M,) 1 / length of the history profile before scaling
    interests: np.ndarray | None  # (M, d) declared interests
    own_rows: np.ndarray  # a member's own RSVPs among the candidates (block rows, columns)
    own_cols: np.ndarray
    # (M, labels) declared interests as weights over the space's labels (`label_sim`): the
    # scorer's alternative to `interests`, read without a (M, d) product.
    label_weights: sparse.csr_matrix | None = None

    @property
    def tfidf(self) -> np.ndarray:
        """`(M, C)` exact-text similarity of each member's history to every candidate."""
        out = np.asarray(self.history @ self.lexical_sim, dtype=np.float32)
        out *= self.text_scale[:, None]
        return out

    @property
    def co_attendance(self) -> np.ndarray:
        """`(M, C)` item-based co-attendance, the member's own row taken back out."""
        co = np.asarray(self.history @ self.co, dtype=np.float32)
        co[self.own_rows, self.own_cols] -= self.self_weight[self.own_rows]
        np.maximum(co, 0.0, out=co)
        co *= self.co_scale[:, None]
        return co


@dataclass(frozen=True, slots=True)
class RankingAids:
    """What one ranking computes once so that each block's parts are cheap (G4).

    TF-IDF profile norms from the attended sessions' Gram table (a member's few pairs)
    instead of a `(M, vocabulary)` product per block; meaning profiles as weighted row sums
    on torch's pool; own RSVPs read through a candidate column map.
    """

    gram: np.ndarray | None  # (used, used) TF-IDF cosines; None: too many sessions
    column: np.ndarray  # (n,) each item's candidate column, -1 for none
    semantic: torch.Tensor  # (n, d) the items' meaning rows

    @classmethod
    def build(cls, lexical: sparse.csr_matrix, semantic: np.ndarray, used: np.ndarray,
              cands: np.ndarray) -> RankingAids:
        """From the items' TF-IDF and meaning rows, the attended ones and the candidates."""
        import torch  # not at import: only a ranking loads it (G13)

        gram = None
        if len(used) <= GRAM_LIMIT:
            rows = lexical[used]
            gram = np.asarray((rows @ rows.T).todense(), dtype=np.float32)
        column = np.full(len(semantic), -1, dtype=np.int64)
        column[cands] = np.arange(len(cands))
        return cls(gram, column, torch.from_numpy(semantic))

    def norms(self, history: sparse.csr_matrix) -> np.ndarray:
        """`(M,)` TF-IDF profile norms of `history` (over attended sessions); needs `gram`."""
        assert self.gram is not None
        return gram_norms(history.indices, history.indptr, history.data, self.gram)

    def own(self, known: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """Rows and candidate columns of the RSVPs in `known` (a block's rows) on candidates."""
        cols = self.column[known.indices]
        rows = np.repeat(np.arange(known.shape[0]), np.diff(known.indptr))
        keep = cols >= 0
        return rows[keep], cols[keep]

    def meaning(self, hist: sparse.csr_matrix) -> np.ndarray:
        """`(M, d)` weighted sums of the items' meaning rows (`hist @ semantic`)."""
        return row_sums(hist, self.semantic)


def gram_norms(indices: np.ndarray, indptr: np.ndarray, data: np.ndarray, gram: np.ndarray
               ) -> np.ndarray:
    """Norms of CSR rows' products with a table, from the table's Gram matrix.

    A row's squared norm is its entries' squares on the diagonal plus twice each pair of
    its entries (one pass per pair, no product with the table).
    """
    counts = np.diff(indptr)
    row = np.repeat(np.arange(len(counts)), counts)
    idx = indices.astype(np.int64)
    later = indptr[1:][row] - 1 - np.arange(len(row))  # entries after each in its row
    first = np.repeat(np.arange(len(row)), later)
    second = first + 1 + np.arange(len(first)) - np.repeat(np.cumsum(later) - later, later)
    pairs = data[first] * data[second] * np.take(gram, idx[first] * len(gram) + idx[second])
    squares = (np.bincount(row, weights=np.square(data) * gram[idx, idx], minlength=len(counts))
               + 2.0 * np.bincount(row[first], weights=pairs, minlength=len(counts)))
    return np.sqrt(np.maximum(squares, 0.0)).astype(np.float32)


def binary(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    """A 0/1 CSR matrix with ones at `(rows, cols)` (duplicates count once)."""
    m = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=shape)
    m.data[:] = 1.0  # duplicates count once
    return m


def cumulated(column: np.ndarray, weight: np.ndarray, width: int) -> np.ndarray:
    """`(len + 1, width)` running sums of `weight` one-hot in `column` (-1: none)."""
    out = np.zeros((len(column) + 1, width), dtype=np.float32)
    hit = np.flatnonzero(column >= 0)
    out[hit + 1, column[hit]] = weight[hit]
    for row in range(1, len(out)):  # row by row: 3x faster than cumsum down a C array
        out[row] += out[row - 1]
    return out


def first_start(past: sparse.csr_matrix, starts: np.ndarray) -> np.ndarray:
    """Start of each row's first attended session (inf for none)."""
    first = np.full(past.shape[0], np.inf)
    some = np.flatnonzero(np.diff(past.indptr) > 0)
    if len(some):
        first[some] = np.minimum.reduceat(starts[past.indices], past.indptr[some])
    return first

def onehot(index: np.ndarray, width: int, mask: np.ndarray | None = None) -> sparse.csr_matrix:
    """`(len(index), width)` one-hot rows (rows outside `mask` left empty)."""
    keep = np.ones(len(index), bool) if mask is None else mask
    rows = np.flatnonzero(keep)
    return sparse.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, index[keep])), shape=(len(index), width)
    )


def row_norms(matrix: sparse.csr_matrix) -> np.ndarray:
    """Euclidean norm of each row of a canonical CSR matrix (no squared copy of it)."""
    squares = np.square(matrix.data)
    some = np.diff(matrix.indptr) > 0
    out = np.zeros(matrix.shape[0], dtype=np.float32)
    if some.any():
        out[some] = np.add.reduceat(squares, matrix.indptr[:-1][some])
    return np.sqrt(out)


def stacked(lexical: sparse.csr_matrix, semantic: np.ndarray, semantic_t: np.ndarray,
            past: sparse.csr_matrix, known: sparse.csr_matrix, used: np.ndarray,
            cands: np.ndarray, damp: np.ndarray, labels: np.ndarray | None,
            pool: Executor | None) -> np.ndarray:
    """`(3 used + labels, C)` the feature space's item x candidate tables, stacked.

    TF-IDF cosine, damped co-attendance and meaning cosine of the attended items (only they
    carry weight in a history, so the tables are dense over them), then the labels' meaning
    cosine: one table, so a member's rows of all are one row sum (G4). The
    meaning products run on `pool` meanwhile the sparse ones run here.
    """
    u = len(used)
    said = np.zeros((0, semantic_t.shape[0]), np.float32) if labels is None else labels
    out = np.empty((3 * u + len(said), len(cands)), dtype=np.float32)

    def meaning() -> None:
        out[2 * u : 3 * u] = semantic[used] @ semantic_t
        out[3 * u :] = np.asarray(said, np.float32) @ semantic_t

    products = pool.submit(meaning) if pool is not None else None
    if products is None:
        meaning()
    out[:u] = (lexical[used] @ lexical[cands].T).todense()
    out[u : 2 * u] = (past[:, used].T @ known[:, cands]).todense()
    out[u : 2 * u] *= damp[used][:, None]
    if products is not None:
        products.result()
    return out


def unit_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows scaled to unit length in place (zero rows stay zero), and each row's scale."""
    norms = np.sqrt(np.einsum("md,md->m", vectors, vectors))
    scale = (1.0 / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    vectors /= np.where(norms > 0, norms, 1.0)[:, None]
    return vectors, scale
