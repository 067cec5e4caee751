"""Member segments: K-means on engagement features, k by silhouette, named from centroids.

Pure: a feature matrix in, labels and named segments out. Counts are skewed (a few members
write most messages), so every feature is ``log1p``-transformed and standardised before
clustering; a segment's name is read from its centroid in those standard units (what sets
it apart from the average member) together with its raw medians (how new, how recent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FEATURES = ("messages", "events", "solves", "feedback", "recency_days", "tenure_days")
MIN_MEMBERS = 10
NEWCOMER_DAYS = 30.0
DORMANT_DAYS = 45.0


class TooLittleData(ValueError):
    """There are not enough members (or not enough variety) to segment."""


@dataclass(frozen=True, slots=True)
class MemberFeatures:
    """One member's engagement over the analysed period."""

    member_id: int
    messages: float
    events: float
    solves: float
    feedback: float
    recency_days: float
    tenure_days: float

    def vector(self) -> list[float]:
        """The features in :data:`FEATURES` order."""
        return [self.messages, self.events, self.solves, self.feedback, self.recency_days,
                self.tenure_days]


@dataclass(frozen=True, slots=True)
class Segment:
    """One named group of members and what is typical of it."""

    label: int
    name: str
    size: int
    member_ids: tuple[int, ...]
    medians: dict[str, float]
    zscores: dict[str, float]

    def describe(self) -> str:
        """A one-line portrait from the medians."""
        m = self.medians
        return (f"{m['messages']:.0f} messages, {m['events']:.0f} events, "
                f"{m['solves']:.0f} solves, {m['feedback']:.0f} ratings; last seen "
                f"{m['recency_days']:.0f} d ago; member for {m['tenure_days']:.0f} d")


@dataclass(frozen=True, slots=True)
class Segmentation:
    """The chosen k, its silhouette, every member's label and the named segments."""

    k: int
    silhouette: float
    scores: dict[int, float]
    labels: dict[int, int]
    segments: tuple[Segment, ...]

    def name_of(self, member_id: int) -> str:
        """The segment name of a member."""
        return self.segments[self.labels[member_id]].name


def segment(members: Sequence[MemberFeatures], *, max_k: int = 8, seed: int = 0,
            min_members: int = MIN_MEMBERS) -> Segmentation:
    """Cluster members, choosing k in 2..max_k by the best silhouette, and name segments."""
    if len(members) < min_members:
        raise TooLittleData(f"segments need at least {min_members} members with some "
                            f"activity; there are {len(members)}")
    raw = np.asarray([m.vector() for m in members], dtype=np.float64)
    scaled = np.log1p(np.clip(raw, 0.0, None))
    mean = scaled.mean(axis=0)
    std = scaled.std(axis=0)
    std[std == 0] = 1.0
    z = (scaled - mean) / std
    distinct = len(np.unique(np.round(z, 6), axis=0))
    if distinct < 3:
        raise TooLittleData("members are too alike to tell groups apart "
                            f"({distinct} distinct activity profiles)")
    # scikit-learn costs a bot process ~1 s to import: paid by the first segmentation, not
    # by every start (the analytics service imports this module).
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    upper = min(max_k, distinct - 1, len(members) - 1)
    scores: dict[int, float] = {}
    fits: dict[int, np.ndarray] = {}
    for k in range(2, upper + 1):
        model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(z)
        labels = np.asarray(model.labels_)
        if len(set(labels.tolist())) < 2:
            continue
        scores[k] = float(silhouette_score(z, labels))
        fits[k] = labels
    if not scores:
        raise TooLittleData("no grouping of these members is better than one group")
    best = max(scores, key=lambda k: (round(scores[k], 3), -k))
    labels = _relabel_by_size(fits[best])
    segments = _name(members, raw, z, labels)
    return Segmentation(
        k=best, silhouette=scores[best], scores=scores,
        labels={m.member_id: int(label) for m, label in zip(members, labels, strict=True)},
        segments=segments,
    )


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Number segments from the largest down, so output is stable across runs."""
    counts = np.bincount(labels)
    order = sorted(range(len(counts)), key=lambda c: (-counts[c], c))
    mapping = {old: new for new, old in enumerate(order)}
    return np.asarray([mapping[int(x)] for x in labels])


def _name(members: Sequence[MemberFeatures], raw: np.ndarray, z: np.ndarray,
          labels: np.ndarray) -> tuple[Segment, ...]:
    k = int(labels.max()) + 1
    candidates: list[tuple[str, float, int]] = []
    portraits: list[tuple[dict[str, float], dict[str, float]]] = []
    for label in range(k):
        mask = labels == label
        medians = {f: float(np.median(raw[mask, i])) for i, f in enumerate(FEATURES)}
        zscores = {f: float(z[mask, i].mean()) for i, f in enumerate(FEATURES)}
        portraits.append((medians, zscores))
        for name, score in _name_scores(medians, zscores).items():
            candidates.append((name, score, label))
    # Give each name to the segment it fits best, strongest fits first; a segment whose
    # best name is taken gets its next best, or a numbered one.
    chosen: dict[int, str] = {}
    for name, _score, label in sorted(candidates, key=lambda c: -c[1]):
        if label not in chosen and name not in chosen.values():
            chosen[label] = name
    out = []
    for label in range(k):
        medians, zscores = portraits[label]
        name = chosen.get(label) or f"group {label + 1}"
        ids = tuple(m.member_id for m, x in zip(members, labels, strict=True) if x == label)
        out.append(Segment(label, name, len(ids), ids, medians, zscores))
    return tuple(out)


def _name_scores(medians: dict[str, float], z: dict[str, float]) -> dict[str, float]:
    """How well each name fits a centroid (higher is better; every name gets a score)."""
    activity = max(z["messages"], z["events"], z["solves"], z["feedback"])
    scores = {
        "challenge solvers": z["solves"] - max(z["events"], z["messages"]) / 2,
        "regulars": (z["events"] + z["feedback"]) / 2,
        "chatters": z["messages"] - max(z["events"], z["solves"]) / 2,
        "lurkers": -activity - max(z["recency_days"], 0) / 4,
        "drifting away": z["recency_days"] - 0.5,
        "newcomers": -z["tenure_days"],
    }
    # Raw medians settle the names that are about time, whatever the others look like.
    if medians["tenure_days"] <= NEWCOMER_DAYS:
        scores["newcomers"] += 10.0
    else:
        scores["newcomers"] -= 10.0
    if medians["recency_days"] >= DORMANT_DAYS:
        scores["drifting away"] += 5.0
    else:
        scores["drifting away"] -= 5.0
    return scores
