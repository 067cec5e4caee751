"""Batched results are filled chunk by chunk into compact arrays (G4's peak memory)."""

import numpy as np

from recommender import Interaction, Item, ItemSignal, MemberSignals, SignalKind
from tests.recommender.test_ranking import build, tfidf_for


def test_results_are_filled_in_place_compactly_and_short_rows_keep_minus_one(now):
    words = ["python", "rust", "clay", "glaze", "photo", "kiln"]
    items = [Item(i, f"{words[i % 6]} {words[(i + 1) % 6]}") for i in range(12)]
    rec = build(items, tfidf_for(items), [Interaction(m, m % 12) for m in range(30)])
    profiles = rec.profiles([
        MemberSignals(m, items=(ItemSignal(m % 9, SignalKind.ATTENDED, now),))
        for m in range(11)], now)
    candidates = {9, 10, 11}  # fewer than k: the last two slots of every row stay empty
    batched = rec.recommend_all(profiles, candidates, now, k=5, chunk_size=4)
    assert batched.reason_kinds.dtype == np.int8
    assert batched.reason_interests.dtype == np.int32
    assert batched.item_ids.shape == (11, 5)
    assert (batched.item_ids[:, 3:] == -1).all()
    assert list(batched.member_ids) == list(range(11))
    for p in profiles:
        assert [r.item_id for r in batched.for_member(p.member_id)] == [
            r.item_id for r in rec.recommend(p, candidates, now, k=5)]
