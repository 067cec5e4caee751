import math

import pytest

from recommender.metrics import bootstrap_interval, ndcg_at_k, recall_at_k


def test_recall_counts_hits_in_the_first_k_over_all_relevant():
    assert recall_at_k([1, 2, 3, 4], {2, 4, 9}, k=3) == pytest.approx(1 / 3)
    assert recall_at_k([1, 2, 3, 4], {2, 4, 9}, k=4) == pytest.approx(2 / 3)
    assert recall_at_k([1], set(), k=3) == 0.0


def test_ndcg_matches_a_hand_computed_example():
    # hits at ranks 2 and 4 of 4; two relevant items, ideal puts them at ranks 1 and 2.
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k([7, 2, 8, 4], {2, 4}, k=4) == pytest.approx(dcg / ideal)
    assert ndcg_at_k([2, 4, 7], {2, 4}, k=3) == pytest.approx(1.0)
    assert ndcg_at_k([7, 8, 2], {2}, k=2) == 0.0
    # more relevant items than k: the ideal is k hits.
    assert ndcg_at_k([1, 2], {1, 2, 3}, k=2) == pytest.approx(1.0)


def test_bootstrap_interval_brackets_the_mean():
    low, high = bootstrap_interval([0.0, 1.0] * 50)
    assert low < 0.5 < high
    assert bootstrap_interval([0.3] * 10) == pytest.approx((0.3, 0.3))
