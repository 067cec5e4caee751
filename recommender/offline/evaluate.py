"""`cohort eval-recommender`: popularity, TF-IDF, embeddings and the hybrid, side by side.

Members sharing a cut-off are scored together (one snapshot, one feature block), so the work
is a handful of matrix products per distinct cut-off, never a loop over items per member.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recommender.blend import FIXED, LinearBlend, fit_blend, training_set
from recommender.dataset import Dataset, load_dataset
from recommender.encoders import Encoder, load_encoder
from recommender.evaluation import MethodScore
from recommender.evaluation import evaluate as evaluate_leave_last_out
from recommender.features import (
    DAY,
    FEATURES,
    GroupJoins,
    ItemTable,
    RsvpHistory,
    compute_features,
)
from recommender.metrics import bootstrap_interval, ndcg_at_k, recall_at_k
from recommender.offline.protocol import LEAVE_LAST_OUT_CAVEAT, STRICT_PROTOCOL, strict_split
from recommender.topk import top_k

Progress = Callable[[str, int, int], None]
PROTOCOLS = ("strict", "leave-last-out")
BASELINES = {"popularity": "popularity", "tfidf": "tfidf", "embeddings": "embedding"}
REFIT_DAYS = 7.0


@dataclass(frozen=True, slots=True)
class Report:
    """Scores side by side, the protocol that produced them, and the hybrid's lead."""

    protocol: str
    description: tuple[str, ...]
    k: int
    encoder: str
    users: int
    candidates: int  # distinct sessions that were a candidate for someone
    methods: tuple[MethodScore, ...]
    blend: dict[str, float] = field(default_factory=dict)  # mean learned weights

    def ndcg(self, method: str) -> float:
        """NDCG@k of one method."""
        return next(m.ndcg for m in self.methods if m.method == method)

    @property
    def ratio(self) -> float:
        """Hybrid NDCG over the best of popularity, TF-IDF and embeddings (the 1.2x goal)."""
        best = max(self.ndcg(m) for m in BASELINES)
        return self.ndcg("hybrid") / best if best > 0 else float("inf")

    def as_dict(self) -> dict[str, object]:
        """Plain values for a `--json` report."""
        return {
            "protocol": self.protocol,
            "description": list(self.description),
            "k": self.k,
            "encoder": self.encoder,
            "users": self.users,
            "candidates": self.candidates,
            "ratio": self.ratio,
            "blend": self.blend,
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
    protocol: str = "strict",
    progress: Progress | None = None,
) -> Report:
    """Load the CSV pair, pick the encoder, evaluate under `protocol`."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    dataset = load_dataset(items_path, interactions_path)
    encoder = load_encoder(encoder_spec, corpus=[i.text for i in dataset.items]).encoder
    if protocol == "strict":
        return evaluate_strict(dataset, encoder, k=k, progress=progress)
    old = evaluate_leave_last_out(dataset, encoder, k=k, progress=progress)
    methods = tuple(
        MethodScore(m.method, m.recall, m.ndcg, m.ndcg_low, m.ndcg_high, m.coverage)
        for m in old.methods
    )
    return Report("leave-last-out", (LEAVE_LAST_OUT_CAVEAT,), k, old.encoder, old.users,
                  old.candidates, methods)


def evaluate_strict(
    dataset: Dataset,
    encoder: Encoder,
    *,
    k: int = 10,
    seed: int = 0,
    progress: Progress | None = None,
) -> Report:
    """The strict protocol (see `recommender.offline.protocol`) for every method."""
    if not dataset.interactions:
        raise ValueError("the dataset has no interactions")
    table, log, users, index = _tables(dataset, encoder, progress)
    split = strict_split(dataset.interactions)
    relevant_by_user = {
        u: np.array(sorted(index[i] for i in items), dtype=np.int64)
        for u, items in split.held_out.items()
    }
    groups: dict[float, list[str]] = {}
    for user, cutoff in split.cutoffs.items():
        groups.setdefault(cutoff.timestamp(), []).append(user)
    origin = float(table.starts.min())
    blends: dict[float, LinearBlend] = {}
    names = (*BASELINES, "hybrid")
    ranked: dict[str, list[np.ndarray]] = {name: [] for name in names}
    relevant: list[np.ndarray] = []
    shown: dict[str, set[int]] = {name: set() for name in names}
    offered: set[int] = set()
    rng = np.random.default_rng(seed)
    for step, (at, members_of) in enumerate(sorted(groups.items())):
        if progress:
            progress("rank", step, len(groups))
        cands = np.flatnonzero(table.starts > at)
        wanted = [np.intersect1d(relevant_by_user[u], cands) for u in members_of]
        keep = [n for n, w in enumerate(wanted) if len(w)]
        if len(cands) == 0 or not keep:
            continue
        rows = np.array([users[members_of[n]] for n in keep], dtype=np.int64)
        feats = compute_features(table, log.snapshot(table, at), rows, cands)
        refit = origin + REFIT_DAYS * DAY * np.floor((at - origin) / (REFIT_DAYS * DAY))
        if refit not in blends:
            blends[refit] = fit_blend(*training_set(table, log, float(refit), seed=seed))
        # Ties (e.g. no RSVPs yet) are broken at random, not by catalogue order.
        jitter = rng.random((len(rows), len(cands)), dtype=np.float32) * 1e-6
        scores = {name: feats[FEATURES.index(f)] + jitter for name, f in BASELINES.items()}
        scores["hybrid"] = blends[refit].score(feats) + jitter
        offered.update(int(c) for c in cands)
        for name, block in scores.items():
            cols, _ = top_k(block, k)
            picks = cands[cols]
            ranked[name].extend(picks)
            shown[name].update(int(i) for i in picks.ravel())
        relevant.extend(wanted[n] for n in keep)
    if progress:
        progress("rank", len(groups), len(groups))
    methods = tuple(
        _score(name, ranked[name], relevant, k, len(shown[name]) / max(len(offered), 1))
        for name in names
    )
    learned = [b for b in blends.values() if b.learned]
    weights = (
        {n: float(np.mean([b.coef[i] for b in learned])) for i, n in enumerate(FEATURES)}
        if learned
        else {n: float(FIXED.coef[i]) for i, n in enumerate(FEATURES)}
    )
    description = (
        *STRICT_PROTOCOL,
        f"learned blend in {len(learned)} of {len(blends)} weekly refits (fixed weights in "
        "the rest)",
    )
    return Report("strict", description, k, encoder.name, len(relevant), len(offered),
                  methods, weights)


def _tables(
    dataset: Dataset, encoder: Encoder, progress: Progress | None
) -> tuple[ItemTable, RsvpHistory, dict[str, int], dict[str, int]]:
    index = {item.item_id: n for n, item in enumerate(dataset.items)}
    users = {u: n for n, u in enumerate(dict.fromkeys(i.user_id for i in dataset.interactions))}
    first_seen: dict[str, float] = {}
    for it in dataset.interactions:
        t = it.timestamp.timestamp()
        first_seen[it.item_id] = min(t, first_seen.get(it.item_id, t))
    starts = np.array(
        [i.time.timestamp() if i.time else first_seen.get(i.item_id, np.inf)
         for i in dataset.items],
        dtype=np.float64,
    )
    texts = [item.text for item in dataset.items]
    announced = np.array([i.created.timestamp() if i.created else np.nan
                          for i in dataset.items], dtype=np.float64)
    table = ItemTable.build(texts, _encode(encoder, texts, progress), starts,
                            [item.group for item in dataset.items], announced=announced)
    return table, history_arrays(dataset, table, users, index), users, index


def history_arrays(dataset: Dataset, table: ItemTable, users: dict[str, int],
                   index: dict[str, int]) -> RsvpHistory:
    """The RSVP log and the group joins of `users` (joins of anyone else are dropped)."""
    joined = [j for j in dataset.joins if j.user_id in users]
    joins = GroupJoins(
        member=np.array([users[j.user_id] for j in joined], dtype=np.int64),
        group=table.group_rows([j.group for j in joined]),
        created=np.array([j.created.timestamp() for j in joined], dtype=np.float64),
    )
    return RsvpHistory(
        member=np.array([users[i.user_id] for i in dataset.interactions], dtype=np.int64),
        item=np.array([index[i.item_id] for i in dataset.interactions], dtype=np.int64),
        created=np.array([i.known_at.timestamp() for i in dataset.interactions]),
        n_members=len(users),
        joins=joins if dataset.joins else None,
    )


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
    ranked: Sequence[np.ndarray],
    relevant: Sequence[np.ndarray],
    k: int,
    coverage: float,
) -> MethodScore:
    recalls = [recall_at_k(list(r), set(w.tolist()), k) for r, w in zip(ranked, relevant,
                                                                          strict=True)]
    ndcgs = [ndcg_at_k(list(r), set(w.tolist()), k) for r, w in zip(ranked, relevant,
                                                                    strict=True)]
    low, high = bootstrap_interval(ndcgs)
    return MethodScore(
        method=name,
        recall=float(np.mean(recalls)) if recalls else 0.0,
        ndcg=float(np.mean(ndcgs)) if ndcgs else 0.0,
        ndcg_low=low,
        ndcg_high=high,
        coverage=coverage,
    )
