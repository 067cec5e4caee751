import logging
import os
from pathlib import Path

import numpy as np
import pytest

from recommender import (
    BUNDLED_MODEL_SHA256,
    ModelIntegrityError,
    SentenceTransformerEncoder,
    TfidfEncoder,
    embed_with_cache,
    load_encoder,
    text_hash,
)
from recommender.sentence_encoder import bundled_model_path, weights_sha256


def test_bundled_minilm_matches_the_model_card_example(minilm):
    vectors = minilm.encode(["A man is eating food.", "A man is eating a piece of bread."])
    assert vectors.shape == (2, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(0.7553, abs=1e-3)


def test_bundled_model_is_loaded_offline_with_its_pinned_digest(minilm):
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert weights_sha256(bundled_model_path()) == BUNDLED_MODEL_SHA256
    assert minilm.name == f"all-MiniLM-L6-v2@{BUNDLED_MODEL_SHA256[:12]}"
    assert minilm.dim == 384
    assert minilm.encode([]).shape == (0, 384)


def test_a_model_whose_weights_differ_from_the_pin_is_refused(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"not the real weights")
    with pytest.raises(ModelIntegrityError):
        SentenceTransformerEncoder.from_path(folder, expected_sha256=BUNDLED_MODEL_SHA256)


def test_bogus_model_path_falls_back_to_tfidf_and_says_why(tmp_path, caplog):
    corpus = ["asyncio concurrency workshop", "pottery wheel class"]
    with caplog.at_level(logging.WARNING, logger="recommender.encoders"):
        loaded = load_encoder(tmp_path / "no-such-model", corpus=corpus)
    assert isinstance(loaded.encoder, TfidfEncoder)
    assert loaded.fallback_reason is not None
    assert "FileNotFoundError" in loaded.fallback_reason
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    vectors = loaded.encoder.encode(["asyncio concurrency", "pottery"])
    assert vectors.shape == (2, loaded.encoder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


def test_tfidf_spec_and_a_model_folder_load_without_the_network(tmp_path: Path, minilm):
    assert isinstance(load_encoder("tfidf").encoder, TfidfEncoder)
    # Any local sentence-transformers folder works, not only the bundled one.
    loaded = load_encoder(bundled_model_path(), expected_sha256=BUNDLED_MODEL_SHA256)
    assert loaded.fallback_reason is None
    assert loaded.encoder.name.startswith("model@")
    same = loaded.encoder.encode(["pottery"])[0] @ minilm.encode(["pottery"])[0]
    assert same == pytest.approx(1.0, abs=1e-5)


def test_tfidf_encoder_scores_shared_words_and_tracks_its_corpus():
    encoder = TfidfEncoder(["rust ownership borrowing", "glazing stoneware kiln"])
    a, b, c = encoder.encode(["rust borrowing", "rust ownership", "kiln glazing"])
    assert a @ b > a @ c
    assert encoder.encode([""])[0].sum() == 0.0
    assert TfidfEncoder(["other corpus"]).name != encoder.name
    assert TfidfEncoder().encode(["plain tf works"]).shape == (1, encoder.dim)


def test_cache_encodes_each_text_once_per_model():
    encoder = TfidfEncoder(["asyncio", "pottery"])
    cache: dict[tuple[str, str], np.ndarray] = {}
    first = embed_with_cache(encoder, ["asyncio", "pottery", "asyncio"], cache)
    assert len(cache) == 2
    assert (encoder.name, text_hash("asyncio")) in cache
    before = dict(cache)
    second = embed_with_cache(encoder, [" asyncio", "pottery"], cache)
    assert cache == before  # nothing new encoded: " asyncio" hashes like "asyncio"
    assert np.array_equal(first[0], second[0])
    assert text_hash("a") != text_hash("b")
