"""The learned blend's cheap ranking path gives what the full feature block gives (G4, #15)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from recommender.blend import fit_blend, rank, training_set
from recommender.features import F, FeatureSpace, ItemTable, RsvpHistory
from recommender.scoring import rank_members
from recommender.synthetic import synthetic_community
from tests.recommender.arrays import history_arrays


@pytest.fixture(scope="module")
def arrays() -> tuple[ItemTable, RsvpHistory, np.ndarray]:
    return history_arrays(
        synthetic_community(users=120, weeks=14, seed=7, shape="meetups").dataset)


def test_ranking_without_the_feature_block_picks_and_explains_the_same(arrays):
    table, log, starts = arrays
    at = float(np.quantile(starts, 0.7))
    blend = fit_blend(*training_set(table, log, at))
    assert blend.learned
    snap = log.snapshot(table, at)
    cands = np.flatnonzero(starts > at)
    rng = np.random.default_rng(0)
    interests = rng.standard_normal((log.n_members, table.semantic.shape[1])).astype(np.float32)
    space = FeatureSpace.build(table, snap, cands, interests / 10)
    rows = np.arange(log.n_members)
    own = np.asarray(snap.known[rows][:, cands].todense()) > 0
    assert own.any()  # own RSVPs are masked, and their popularity correction is exercised
    full = rank(blend, space.block(rows), cands, 5, exclude=own)
    cheap = rank_members(space, blend, rows, 5, exclude=own)
    assert np.array_equal(full.items, cheap.items)
    np.testing.assert_allclose(cheap.scores, full.scores, atol=1e-4)
    np.testing.assert_allclose(cheap.contributions, full.contributions, atol=1e-2)
    assert cheap.reasons() == full.reasons()


def test_loyalty_and_habits_are_read_only_from_sessions_held_by_the_snapshot(arrays):
    table, log, starts = arrays
    at = float(np.quantile(starts, 0.7))
    cands = np.flatnonzero(starts > at)
    rows = np.arange(log.n_members)
    honest = FeatureSpace.build(table, log.snapshot(table, at), cands).block(rows)
    # RSVPs made after `at` change nothing that describes a member's past.
    later = log.created > at
    shuffled = RsvpHistory(log.member, np.where(later, log.item[::-1], log.item), log.created,
                           log.n_members)
    again = FeatureSpace.build(table, shuffled.snapshot(table, at), cands).block(rows)
    for name in ("series", "series_share", "series_rate", "group", "group_rate", "habit",
                 "weekday", "daypart", "popularity", "momentum"):
        np.testing.assert_array_equal(honest[F[name]], again[F[name]], err_msg=name)


def test_the_catalogues_tfidf_is_reused_not_refitted():
    texts = ["python asyncio night", "rust ownership talk", "python asyncio night"]
    lexical = TfidfVectorizer().fit_transform(texts)
    table = ItemTable.build(texts, np.eye(3, dtype=np.float32), np.arange(3.0), (), lexical)
    assert table.lexical is lexical or (table.lexical != lexical).nnz == 0
    assert table.series[0] == table.series[2] != table.series[1]
    with pytest.raises(ValueError, match="TF-IDF rows"):
        ItemTable.build(texts[:2], np.eye(2, dtype=np.float32), np.arange(2.0), (), lexical)


def test_blocks_with_coordinate_exclusions_and_interests_pick_as_the_full_block(arrays):
    """The digest's path: one scorer, blocks of members, (row, column) exclusions, own
    RSVPs masked by flag, declared interests per block; the full block's picks."""
    from recommender.scoring import BlockScorer

    table, log, starts = arrays
    at = float(np.quantile(starts, 0.7))
    fitted = fit_blend(*training_set(table, log, at))
    coef = fitted.coef.copy()
    coef[F["interest"]] = 0.5  # never seen in training (0 there): weighed here
    blend = replace(fitted, coef=coef)
    snap = log.snapshot(table, at)
    cands = np.flatnonzero(starts > at)
    rng = np.random.default_rng(1)
    interests = rng.standard_normal((log.n_members, table.semantic.shape[1])).astype(np.float32)
    interests /= np.linalg.norm(interests, axis=1, keepdims=True)
    rows = np.arange(log.n_members)
    mask = np.asarray(snap.known[rows][:, cands].todense()) > 0
    extra = rng.random(mask.shape) < 0.05  # what a caller excludes (last digest's picks)
    full = rank(blend, FeatureSpace.build(table, snap, cands, interests).block(rows), cands, 5,
                exclude=mask | extra)
    space = FeatureSpace.build(table, snap, cands)
    scorer = BlockScorer(space, blend, rows)
    # Half in the bot's order (by first session: series defaults added in place), half not.
    half = len(rows) // 80 * 40
    rows[:half] = rows[:half][np.argsort(space.first_sessions(rows[:half]), kind="stable")]
    for start in range(0, len(rows), 40):
        part = rows[start : start + 40]
        who, where = np.nonzero(extra[part])
        cheap = scorer.rank(part, 5, exclude=(who, where), own=True, interests=interests[part])
        assert np.array_equal(cheap.items, full.items[part])
        np.testing.assert_allclose(cheap.scores, full.scores[part], atol=1e-4)
        np.testing.assert_allclose(cheap.contributions, full.contributions[part], atol=1e-2)


def test_interests_as_label_weights_pick_as_interest_vectors(arrays):
    """The digest's form of declared interests (weights over labels, read from each label's
    cosine with the candidates) ranks and explains as the `(members, d)` vectors do."""
    from scipy import sparse

    from recommender.scoring import BlockScorer

    table, log, starts = arrays
    at = float(np.quantile(starts, 0.7))
    fitted = fit_blend(*training_set(table, log, at))
    coef = fitted.coef.copy()
    coef[F["interest"]] = 0.5
    blend = replace(fitted, coef=coef)
    snap = log.snapshot(table, at)
    cands = np.flatnonzero(starts > at)
    rng = np.random.default_rng(2)
    labels = rng.standard_normal((7, table.semantic.shape[1])).astype(np.float32)
    labels /= np.linalg.norm(labels, axis=1, keepdims=True)
    said = sparse.csr_matrix((rng.random((log.n_members, 7)) < 0.3).astype(np.float32))
    lengths = np.linalg.norm(said @ labels, axis=1)
    said = sparse.csr_matrix(sparse.diags(1 / np.where(lengths > 0, lengths, 1)) @ said)
    interests = np.asarray(said @ labels, dtype=np.float32)
    rows = np.arange(log.n_members)
    mask = np.asarray(snap.known[rows][:, cands].todense()) > 0
    full = rank(blend, FeatureSpace.build(table, snap, cands, interests).block(rows), cands, 5,
                exclude=mask)
    scorer = BlockScorer(FeatureSpace.build(table, snap, cands, labels=labels), blend, rows)
    for start in range(0, len(rows), 40):
        part = rows[start : start + 40]
        cheap = scorer.rank(part, 5, own=True, interests=said[part])
        assert np.array_equal(cheap.items, full.items[part])
        np.testing.assert_allclose(cheap.scores, full.scores[part], atol=1e-4)
        np.testing.assert_allclose(cheap.contributions, full.contributions[part], atol=1e-2)
        assert cheap.reasons() == full.reasons()[start : start + 40]
