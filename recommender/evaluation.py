"""Offline evaluation: a time-ordered hold-out, Recall@k / NDCG@k / coverage per method.

Each user's latest `holdout` share of interactions is held out (a time-ordered hold-out per
user); their profile is built from what came before their own cut-off, and only sessions
starting at or after it are ranked for them. Co-attendance is learned from every user's
training part, so a user may see others' later attendance: the usual leave-last-out caveat.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from recommender.catalog import Catalog, Item
from recommender.collaborative import CoAttendance, Interaction
from recommender.dataset import Dataset, DatasetInteraction, load_dataset
from recommender.encoders import Encoder, load_encoder
from recommender.hybrid import RankingWeights, Recommender
from recommender.metrics import bootstrap_interval, ndcg_at_k, recall_at_k
from recommender.signals import ItemSignal, MemberSignals, SignalKind

Progress = Callable[[str, int, int], None]

BASELINES: dict[str, RankingWeights] = {
    "popularity": RankingWeights(
        semantic=0.0, lexical=0.0, collaborative=0.0, soonness=0.0, popularity=1.0, diversity=0.0
    ),
    # A hair of popularity only breaks ties among equal text scores.
    "tfidf": RankingWeights(
        semantic=0.0, lexical=1.0, collaborative=0.0, soonness=0.0, popularity=1e-4, diversity=0.0
    ),
    "embeddings": RankingWeights(
        semantic=1.0, lexical=0.0, collaborative=0.0, soonness=0.0, popularity=1e-4, diversity=0.0
    ),
}


@dataclass(frozen=True, slots=True)
class MethodScore:
    """One method's averages over the evaluated users, with NDCG's 95% bootstrap interval."""

    method: str
    recall: float
    ndcg: float
    ndcg_low: float
    ndcg_high: float
    coverage: float

    def as_dict(self, k: int) -> dict[str, object]:
        """Plain values for a `--json` report (both protocols)."""
        return {"method": self.method, f"recall@{k}": self.recall, f"ndcg@{k}": self.ndcg,
                "ndcg_95": [self.ndcg_low, self.ndcg_high], "coverage": self.coverage}


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    """Scores side by side, plus what the split left to evaluate."""

    k: int
    encoder: str
    cutoff: datetime
    users: int
    candidates: int
    methods: tuple[MethodScore, ...]

    def as_dict(self) -> dict[str, object]:
        """Plain values for a `--json` report."""
        return {
            "k": self.k,
            "encoder": self.encoder,
            "cutoff": self.cutoff.isoformat(),
            "users": self.users,
            "candidates": self.candidates,
            "methods": [
                m.as_dict(self.k) for m in self.methods
            ],
        }


def evaluate_files(
    items_path: Path,
    interactions_path: Path,
    *,
    k: int = 10,
    encoder_spec: str | Path | None = None,
    progress: Progress | None = None,
) -> EvaluationReport:
    """`cohort eval-recommender`: load the CSV pair, pick the encoder, evaluate."""
    dataset = load_dataset(items_path, interactions_path)
    corpus = [item.text for item in dataset.items]
    encoder = load_encoder(encoder_spec, corpus=corpus).encoder
    return evaluate(dataset, encoder, k=k, progress=progress)


def evaluate(
    dataset: Dataset,
    encoder: Encoder,
    *,
    k: int = 10,
    holdout: float = 0.2,
    hybrid: RankingWeights | None = None,
    progress: Progress | None = None,
) -> EvaluationReport:
    """Compare popularity, TF-IDF, embeddings and the hybrid on a time-ordered hold-out."""
    if not dataset.interactions:
        raise ValueError("the dataset has no interactions")
    index = {item.item_id: n for n, item in enumerate(dataset.items)}
    users = {u: n for n, u in enumerate(dict.fromkeys(i.user_id for i in dataset.interactions))}
    first_seen: dict[str, datetime] = {}
    for it in dataset.interactions:
        first_seen[it.item_id] = min(it.timestamp, first_seen.get(it.item_id, it.timestamp))
    train, test, cutoffs = split_per_user(dataset.interactions, holdout)
    starts = {item.item_id: item.time or first_seen.get(item.item_id) for item in dataset.items}

    def candidates_for(cutoff: datetime) -> set[int]:
        # Only sessions at or after the member's own cut-off: what was upcoming for them.
        return {index[i] for i, when in starts.items() if when is not None and when >= cutoff}

    texts = [item.text for item in dataset.items]
    vectors = _encode(encoder, texts, progress)
    catalog = Catalog.build(
        [Item(index[i.item_id], i.text, starts[i.item_id]) for i in dataset.items], vectors
    )
    co = CoAttendance.fit(
        (Interaction(users[i.user_id], index[i.item_id]) for i in train), catalog
    )

    history: dict[int, list[ItemSignal]] = {}
    for it in train:
        kind = SignalKind.ATTENDED if it.rating is None else SignalKind.RATED
        history.setdefault(users[it.user_id], []).append(
            ItemSignal(index[it.item_id], kind, it.timestamp, it.rating)
        )
    member_cutoff = {users[u]: c for u, c in cutoffs.items()}
    member_candidates = {m: candidates_for(c) for m, c in member_cutoff.items()}
    relevant: dict[int, set[int]] = {}
    for it in test:
        member, item = users[it.user_id], index[it.item_id]
        if member in history and item in member_candidates[member]:
            relevant.setdefault(member, set()).add(item)
    signals = {m: MemberSignals(m, items=tuple(history[m])) for m in sorted(relevant)}
    all_candidates = set().union(*(member_candidates[m] for m in relevant)) if relevant else set()

    methods = {**BASELINES, "hybrid": hybrid or RankingWeights()}
    scores: list[MethodScore] = []
    for step, (name, weights) in enumerate(methods.items()):
        if progress:
            progress("rank", step, len(methods))
        recommender = Recommender(catalog, encoder, co, weights=weights)
        ranked = {
            m: [r.item_id for r in recommender.recommend(
                recommender.profile(signals[m], member_cutoff[m]), member_candidates[m],
                member_cutoff[m], k=k)]
            for m in signals
        }
        scores.append(_score(name, ranked, relevant, k, len(all_candidates)))
    if progress:
        progress("rank", len(methods), len(methods))
    cutoff = min(member_cutoff[m] for m in relevant) if relevant else max(
        it.timestamp for it in dataset.interactions)
    return EvaluationReport(k, encoder.name, cutoff, len(relevant), len(all_candidates),
                            tuple(scores))


Split = tuple[list[DatasetInteraction], list[DatasetInteraction], dict[str, datetime]]


def split_per_user(interactions: Sequence[DatasetInteraction], holdout: float) -> Split:
    """Time-ordered hold-out per user: each user's latest ``holdout`` share is the test.

    Users with a single interaction only train. Returns (train, test, each user's cut-off).
    """
    by_user: dict[str, list[DatasetInteraction]] = {}
    for it in interactions:
        by_user.setdefault(it.user_id, []).append(it)
    train: list[DatasetInteraction] = []
    test: list[DatasetInteraction] = []
    cutoffs: dict[str, datetime] = {}
    for user, items in by_user.items():
        items.sort(key=lambda it: it.timestamp)
        held = max(1, round(len(items) * holdout)) if len(items) > 1 else 0
        split = len(items) - held
        train.extend(items[:split])
        test.extend(items[split:])
        if held:
            cutoffs[user] = items[split].timestamp
    return train, test, cutoffs


def _encode(encoder: Encoder, texts: Sequence[str], progress: Progress | None) -> np.ndarray:
    batch = 256
    parts = []
    for start in range(0, len(texts), batch):
        if progress:
            progress("encode", start, len(texts))
        parts.append(encoder.encode(texts[start : start + batch]))
    if progress:
        progress("encode", len(texts), len(texts))
    return np.concatenate(parts) if parts else np.zeros((0, encoder.dim), np.float32)


def _score(
    name: str,
    ranked: Mapping[int, list[int]],
    relevant: dict[int, set[int]],
    k: int,
    n_candidates: int,
) -> MethodScore:
    recalls: list[float] = []
    ndcgs: list[float] = []
    shown: set[int] = set()
    for member, wanted in relevant.items():
        ids = ranked.get(member, [])
        shown.update(ids)
        recalls.append(recall_at_k(ids, wanted, k))
        ndcgs.append(ndcg_at_k(ids, wanted, k))
    low, high = bootstrap_interval(ndcgs)
    return MethodScore(
        method=name,
        recall=float(np.mean(recalls)) if recalls else 0.0,
        ndcg=float(np.mean(ndcgs)) if ndcgs else 0.0,
        ndcg_low=low,
        ndcg_high=high,
        coverage=len(shown) / n_candidates if n_candidates else 0.0,
    )
