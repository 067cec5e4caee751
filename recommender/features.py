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
    return FeatureSpace.build(table, snap, candidates).block(members)


@dataclass(frozen=True, slots=True)
class FeatureSpace:
    """Everything about one snapshot and candidate set that does not depend on the member.

    Built once and reused for every block of members, so scoring a whole community costs one
    pass per feature over each `(members, candidates)` block plus the embedding product
    (the G4 budget): item-item and item-candidate matrices are never rebuilt per block.
    """

    table: ItemTable
    snap: Snapshot
    cands: np.ndarray
    decay: sparse.dia_matrix  # recency weight of each item (history fades)
    series: sparse.csr_matrix  # (n, S) item -> series
    groups: sparse.csr_matrix  # (n, G) item -> group
    slots: sparse.csr_matrix  # (n, 28) item -> time-of-week slot
    used: np.ndarray  # items someone attended: the only rows a history can weigh
    lexical_sim: np.ndarray  # (used, C) TF-IDF cosine of those items with every candidate
    semantic_t: np.ndarray  # (d, C)
    co: sparse.csr_matrix  # (n, C) damped co-attendance counts
    past_damped: sparse.csr_matrix  # (members, n) for taking a member's own share back out
    known_counts: np.ndarray  # (C,) RSVPs made by now
    series_pop: np.ndarray  # (C,) log mean attendance of the candidate's series so far
    soon: np.ndarray  # (C,) -log(1 + days until it starts)

    @classmethod
    def build(cls, table: ItemTable, snap: Snapshot, candidates: np.ndarray) -> FeatureSpace:
        """Prepare the member-independent parts for `candidates` (item rows)."""
        cands = np.asarray(candidates, dtype=np.int64)
        age = np.clip(snap.now - table.starts, 0.0, None) / DAY
        n_series = int(table.series.max(initial=0)) + 1
        n_groups = max(int(table.groups.max(initial=-1)) + 1, 1)
        grouped = table.groups >= 0
        started = table.starts <= snap.now
        attended = np.asarray(snap.past.sum(axis=0)).ravel()
        sums = np.bincount(table.series, weights=attended * started, minlength=n_series)
        runs = np.bincount(table.series, weights=started.astype(np.float64), minlength=n_series)
        damp = (1.0 / np.sqrt(np.maximum(attended, 1.0))).astype(np.float32)
        past_damped = sparse.csr_matrix(snap.past @ sparse.diags(damp))
        days = np.clip(table.starts[cands] - snap.now, 0.0, None) / DAY
        used = np.flatnonzero(attended > 0)
        return cls(
            table=table,
            snap=snap,
            cands=cands,
            decay=sparse.diags(np.exp2(-age / HALF_LIFE_DAYS).astype(np.float32)),
            series=_onehot(table.series, n_series),
            groups=_onehot(np.where(grouped, table.groups, 0), n_groups, grouped),
            slots=_onehot(table.slots, 28),
            used=used,
            lexical_sim=np.asarray((table.lexical[used] @ table.lexical[cands].T).todense(),
                                   dtype=np.float32),
            semantic_t=np.ascontiguousarray(table.semantic[cands].T),
            co=sparse.csr_matrix(past_damped.T @ snap.known[:, cands]),
            past_damped=past_damped,
            known_counts=np.asarray(snap.known[:, cands].sum(axis=0), np.float32).ravel(),
            series_pop=np.log1p(sums / np.maximum(runs, 1.0))[table.series[cands]].astype(
                np.float32),
            soon=(-np.log1p(days)).astype(np.float32),
        )

    def block(self, members: np.ndarray) -> np.ndarray:
        """`(len(FEATURES), members, candidates)` float32 features of member rows."""
        table, snap, cands = self.table, self.snap, self.cands
        out = np.empty((len(FEATURES), len(members), len(cands)), dtype=np.float32)
        past = snap.past[members]
        hist = sparse.csr_matrix(past @ self.decay)  # (M, n) recency-weighted history
        total = np.asarray(hist.sum(axis=1)).ravel()
        denom = np.where(total > 0, total, 1.0)[:, None].astype(np.float32)

        # Each per-member table is small (members x series/groups/slots): take logs there,
        # then one gather per feature fills the (members x candidates) block.
        by_series = np.log1p(np.asarray((hist @ self.series).todense(), dtype=np.float32))
        np.take(by_series, table.series[cands], axis=1, out=out[0])

        share = np.asarray((hist @ self.groups).todense(), dtype=np.float32) / denom
        # Logs, because the signals multiply (a habit and a group each scale the chance);
        # the extra last column is for sessions of no known group.
        share = np.log(np.concatenate([share, np.zeros((len(members), 1), np.float32)], 1)
                       + np.float32(0.02))
        cand_groups = table.groups[cands]
        np.take(share, np.where(cand_groups >= 0, cand_groups, share.shape[1] - 1), axis=1,
                out=out[1])

        lexical = hist @ table.lexical  # |profile| without densifying (M, V)
        norms = np.sqrt(np.asarray(lexical.multiply(lexical).sum(axis=1)).ravel())
        out[2] = np.asarray(hist[:, self.used] @ self.lexical_sim) / np.where(
            norms > 0, norms, 1.0)[:, None]
        semantic = normalize(np.asarray(hist @ table.semantic))
        out[3] = semantic.astype(np.float32) @ self.semantic_t  # (matmul's out= skips BLAS)

        slots = np.asarray((past @ self.slots).todense(), dtype=np.float32)
        counts = np.asarray(past.sum(axis=1), dtype=np.float32)
        np.take(np.log((slots + 0.25) / (counts + 7.0)), table.slots[cands], axis=1, out=out[4])

        own = snap.known[members][:, cands].tocoo()  # a member's own RSVPs: few
        out[5] = np.log1p(self.known_counts)[None, :]
        out[5][own.row, own.col] = np.log1p(np.maximum(self.known_counts[own.col] - 1.0, 0.0))
        out[6] = self.series_pop[None, :]

        # Item-based co-attendance; the member's own row contributed
        # sum_i hist[m,i] * damp_i * past[m,i] to each of their own RSVPs: taken back out.
        raw = np.asarray((hist @ self.co).todense())
        self_weight = np.asarray(hist.multiply(self.past_damped[members]).sum(axis=1)).ravel()
        raw[own.row, own.col] -= self_weight[own.row]
        np.maximum(raw, 0.0, out=raw)
        np.divide(raw, denom, out=out[7], casting="unsafe")
        out[8] = self.soon[None, :]
        return out


def _onehot(index: np.ndarray, width: int, mask: np.ndarray | None = None) -> sparse.csr_matrix:
    keep = np.ones(len(index), bool) if mask is None else mask
    rows = np.flatnonzero(keep)
    return sparse.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, index[keep])), shape=(len(index), width)
    )
