"""Per (member, session) features for the learned ranker, computed as matrix products.

Each feature is one signal a real community shows (see `recommender.synthetic`): members
return to series (whose occurrences reuse their text), stay within a few groups, keep to
their weekdays and hours, follow what is popular and what people like them go to. Everything
is computed from a `Snapshot`, what was known at one moment, so the same code serves the live
ranker (now) and a leak-free evaluation (each member's cut-off). A member's own RSVPs to a
candidate never count towards its popularity or co-attendance: in evaluation those are the
answers, and live such a session is not a candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

FEATURES: tuple[str, ...] = (
    "series",  # attended earlier occurrences of this series (decayed count, log)
    "group",  # log share of the member's history with this organiser/group
    "tfidf",  # exact-text similarity to the member's history
    "embedding",  # meaning similarity to the member's history
    "habit",  # log share of the member's history in this time-of-week slot
    "popularity",  # RSVPs known so far (log)
    "series_popularity",  # mean attendance of the series' past occurrences (log)
    "co_attendance",  # members who attended what you attended RSVP'd this
    "soon",  # -log(1 + days until it starts)
)
DAY = 86400.0
SERIES_SIMILARITY = 0.9  # near-identical texts are one series (dates/titles may vary)
HALF_LIFE_DAYS = 60.0  # history fades: members drift between groups and series


@dataclass(frozen=True, slots=True)
class ItemTable:
    """Every session (past and upcoming) as arrays; built once per catalogue."""

    lexical: sparse.csr_matrix  # (n, V) TF-IDF unit rows
    semantic: np.ndarray  # (n, d) embedding unit rows
    starts: np.ndarray  # (n,) POSIX seconds
    series: np.ndarray  # (n,) series index (a one-off is its own series)
    groups: np.ndarray  # (n,) group index, -1 when unknown
    slots: np.ndarray  # (n,) weekday * 4 + six-hour part of the day (UTC)

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        semantic: np.ndarray,
        starts: np.ndarray,
        groups: Sequence[str] = (),
    ) -> ItemTable:
        """Index sessions; series are connected runs of near-identical texts."""
        n = len(texts)
        try:
            vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english",
                                         ngram_range=(1, 2))
            lexical = sparse.csr_matrix(vectorizer.fit_transform(list(texts)), dtype=np.float32)
        except ValueError:  # only stop words: no lexical signal
            lexical = sparse.csr_matrix((n, 1), dtype=np.float32)
        same = lexical @ lexical.T
        same.data = (same.data >= SERIES_SIMILARITY).astype(np.float32)
        same.eliminate_zeros()
        _, series = connected_components(same, directed=False)
        names = list(groups) if len(groups) == n else [""] * n
        index: dict[str, int] = {}
        group_ids = np.array(
            [index.setdefault(g, len(index)) if g else -1 for g in names], dtype=np.int64
        )
        stamps = np.asarray(starts, dtype=np.float64)
        weekday = ((stamps // DAY).astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        part = ((stamps % DAY) // (6 * 3600)).astype(np.int64)
        return cls(
            lexical=lexical,
            semantic=np.ascontiguousarray(semantic, dtype=np.float32),
            starts=stamps,
            series=series.astype(np.int64),
            groups=group_ids,
            slots=weekday * 4 + part,
        )

    def __len__(self) -> int:
        return len(self.starts)


@dataclass(frozen=True, slots=True)
class RsvpHistory:
    """Every RSVP as parallel arrays: member row, item row, when it was made (seconds)."""

    member: np.ndarray
    item: np.ndarray
    created: np.ndarray
    n_members: int

    def snapshot(self, table: ItemTable, now: float) -> Snapshot:
        """What was known at `now`: RSVPs made by then, and sessions attended by then."""
        made = self.created <= now
        started = made & (table.starts[self.item] <= now)
        shape = (self.n_members, len(table))
        return Snapshot(
            now=now,
            known=_binary(self.member[made], self.item[made], shape),
            past=_binary(self.member[started], self.item[started], shape),
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The community's interactions as known at `now`."""

    now: float
    known: sparse.csr_matrix  # (members, items) RSVPs made by now, for any session
    past: sparse.csr_matrix  # (members, items) sessions attended that started by now


def _binary(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    m = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=shape)
    m.data[:] = 1.0  # duplicates count once
    return m


def compute_features(
    table: ItemTable, snap: Snapshot, members: np.ndarray, candidates: np.ndarray
) -> np.ndarray:
    """`(len(FEATURES), members, candidates)` float32, for member rows x candidate items."""
    cands = np.asarray(candidates, dtype=np.int64)
    age = np.clip(snap.now - table.starts, 0.0, None) / DAY
    decay = np.exp2(-age / HALF_LIFE_DAYS).astype(np.float32)
    past = snap.past[members]
    hist = sparse.csr_matrix(past @ sparse.diags(decay))  # (M, n) recency-weighted history
    total = np.asarray(hist.sum(axis=1)).ravel()
    denom = np.where(total > 0, total, 1.0)[:, None]

    series = _onehot(table.series, int(table.series.max(initial=0)) + 1)
    by_series = np.asarray((hist @ series).todense())
    f_series = np.log1p(by_series[:, table.series[cands]])

    n_groups = int(table.groups.max(initial=-1)) + 1
    f_group = np.zeros((len(members), len(cands)), np.float32)
    if n_groups:
        grouped = table.groups >= 0
        g = _onehot(np.where(grouped, table.groups, 0), n_groups, grouped)
        share = np.asarray((hist @ g).todense()) / denom
        cand_groups = table.groups[cands]
        f_group = np.where(cand_groups >= 0, share[:, np.maximum(cand_groups, 0)], 0.0)
    # Logs, because the signals multiply (a habit and a group each scale the chance to go).
    f_group = np.log(f_group + 0.02)

    lex_profile = normalize(hist @ table.lexical)
    f_tfidf = np.asarray((lex_profile @ table.lexical[cands].T).todense())
    sem_profile = normalize(np.asarray(hist @ table.semantic))
    f_embed = sem_profile @ table.semantic[cands].T

    slots = np.asarray((past @ _onehot(table.slots, 28)).todense())
    counts = np.asarray(past.sum(axis=1)).ravel()[:, None]
    f_habit = np.log((slots + 0.25) / (counts + 7.0))[:, table.slots[cands]]

    own = np.asarray(snap.known[members][:, cands].todense())
    known_counts = np.asarray(snap.known.sum(axis=0)).ravel()
    f_pop = np.log1p(np.maximum(known_counts[cands][None, :] - own, 0.0))

    started = table.starts <= snap.now
    attended = np.asarray(snap.past.sum(axis=0)).ravel()
    sums = np.bincount(table.series, weights=attended * started, minlength=series.shape[1])
    runs = np.bincount(table.series, weights=started.astype(np.float64),
                       minlength=series.shape[1])
    mean_attendance = sums / np.maximum(runs, 1.0)
    f_series_pop = np.broadcast_to(np.log1p(mean_attendance[table.series[cands]]),
                                   (len(members), len(cands)))

    f_co = _co_attendance(snap, members, cands, hist, denom, own)

    days = np.clip(table.starts[cands] - snap.now, 0.0, None) / DAY
    f_soon = np.broadcast_to(-np.log1p(days), (len(members), len(cands)))
    return np.stack(
        [f_series, f_group, f_tfidf, f_embed, f_habit, f_pop, f_series_pop, f_co, f_soon]
    ).astype(np.float32)


def _co_attendance(
    snap: Snapshot,
    members: np.ndarray,
    cands: np.ndarray,
    hist: sparse.csr_matrix,
    denom: np.ndarray,
    own: np.ndarray,
) -> np.ndarray:
    """Item-based: for each attended session, who went there RSVP'd the candidate.

    (items x candidates) co-counts are damped by each history session's size; the member's
    own contribution (their own RSVP to the candidate) is taken back out.
    """
    attended = np.asarray(snap.past.sum(axis=0)).ravel()
    damp = 1.0 / np.sqrt(np.maximum(attended, 1.0))
    past_damped = sparse.csr_matrix(snap.past @ sparse.diags(damp.astype(np.float32)))
    co = (past_damped.T @ snap.known[:, cands]).tocsr()  # (items, C)
    raw = np.asarray((hist @ co).todense())
    # The member's own row contributed sum_i hist[m,i] * damp_i * past[m,i] to each own RSVP.
    self_weight = np.asarray(hist.multiply(past_damped[members]).sum(axis=1)).ravel()
    return np.asarray(np.maximum(raw - self_weight[:, None] * own, 0.0) / denom, np.float32)


def _onehot(index: np.ndarray, width: int, mask: np.ndarray | None = None) -> sparse.csr_matrix:
    keep = np.ones(len(index), bool) if mask is None else mask
    rows = np.flatnonzero(keep)
    return sparse.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, index[keep])), shape=(len(index), width)
    )
