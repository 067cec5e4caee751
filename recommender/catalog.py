"""The session catalogue as matrices: stored embeddings plus exact-text TF-IDF rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer


@dataclass(frozen=True, slots=True)
class Item:
    """A session as the recommender sees it: id, text (title + description), start time."""

    item_id: int
    text: str
    starts_at: datetime | None = None


class UnknownItemError(KeyError):
    """An item id that is not in the catalogue (e.g. a mistyped `/similar` id)."""


@dataclass(frozen=True, slots=True)
class Catalog:
    """All sessions (past and upcoming) the profiles and rankings refer to.

    Past sessions stay in: they are what members attended, so their rows anchor profiles.
    """

    ids: np.ndarray  # (n,) int64
    row_of: dict[int, int]
    semantic: np.ndarray  # (n, d) float32 unit rows, from the caller's embedding cache
    lexical: sparse.csr_matrix  # (n, V) unit rows; recurring series share their text
    vectorizer: TfidfVectorizer
    starts: np.ndarray  # (n,) float64 POSIX seconds, NaN when unknown

    @classmethod
    def build(cls, items: Sequence[Item], embeddings: np.ndarray) -> Catalog:
        """Index `items`; `embeddings[i]` is the stored vector of `items[i]`."""
        if len(items) != len(embeddings):
            raise ValueError(f"{len(items)} items but {len(embeddings)} embeddings")
        ids = np.fromiter((item.item_id for item in items), dtype=np.int64, count=len(items))
        row_of = {int(item_id): row for row, item_id in enumerate(ids)}
        if len(row_of) != len(items):
            raise ValueError("item ids must be unique")
        vectorizer = TfidfVectorizer(
            sublinear_tf=True, stop_words="english", ngram_range=(1, 2), min_df=1
        )
        texts = [item.text for item in items]
        try:
            lexical = sparse.csr_matrix(vectorizer.fit_transform(texts), dtype=np.float32)
        except ValueError:  # only stop words or an empty catalogue: no lexical signal
            vectorizer = TfidfVectorizer().fit(["placeholder"])
            lexical = sparse.csr_matrix((len(items), 1), dtype=np.float32)
        starts = np.array(
            [item.starts_at.timestamp() if item.starts_at else np.nan for item in items],
            dtype=np.float64,
        )
        semantic = np.ascontiguousarray(embeddings, dtype=np.float32)
        if semantic.ndim != 2:
            semantic = semantic.reshape(len(items), -1)
        return cls(ids, row_of, semantic, lexical, vectorizer, starts)

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, item_ids: Sequence[int]) -> np.ndarray:
        """Catalogue rows of `item_ids`; raises `UnknownItemError` for an unknown id."""
        try:
            return np.array([self.row_of[int(i)] for i in item_ids], dtype=np.int64)
        except KeyError as exc:
            raise UnknownItemError(exc.args[0]) from None

    def known_rows(self, item_ids: Sequence[int]) -> np.ndarray:
        """Rows of the ids that are in the catalogue, silently skipping the others."""
        return np.array(
            [self.row_of[int(i)] for i in item_ids if int(i) in self.row_of], dtype=np.int64
        )

    def lexical_of(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """TF-IDF rows for free texts (interests) in the catalogue's vocabulary."""
        if not texts:
            return sparse.csr_matrix((0, self.lexical.shape[1]), dtype=np.float32)
        return sparse.csr_matrix(self.vectorizer.transform(list(texts)), dtype=np.float32)
