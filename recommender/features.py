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
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer

from recommender.history import DAY as DAY
from recommender.history import GroupJoins as GroupJoins
from recommender.history import RsvpHistory as RsvpHistory
from recommender.history import Snapshot as Snapshot
from recommender.member_parts import MemberParts, RankingAids
from recommender.member_parts import cumulated as _cumulated
from recommender.member_parts import first_start as _first_start
from recommender.member_parts import onehot as _onehot
from recommender.member_parts import row_norms as _row_norms
from recommender.member_parts import stacked as _stacked
from recommender.member_parts import unit_rows as _unit_rows

FEATURES: tuple[str, ...] = (
    "series",  # attended earlier occurrences of this series (decayed count, log)
    "series_share",  # log share of the member's recent history in this series (loyalty)
    "series_rate",  # share of this series' occurrences since the member's first that they came to
    "group",  # log share of the member's history with this organiser/group
    "group_rate",  # share of this group's sessions since the member's first that they came to
    "joined",  # the member had joined this session's group (membership, attended or not)
    "tfidf",  # exact-text similarity to the member's history
    "embedding",  # meaning similarity to the member's history
    "interest",  # meaning similarity to the member's declared interests (0 when none)
    "habit",  # log share of the member's history in this time-of-week slot
    "weekday",  # log share of the member's history on this weekday
    "daypart",  # log share of the member's history in this part of the day
    "popularity",  # RSVPs known so far (log)
    "momentum",  # RSVPs known so far per day since its announcement (early appeal, log)
    "ahead",  # share of its announcement-to-start window still ahead (1: not announced)
    "series_popularity",  # mean attendance of the series' past occurrences (log)
    "co_attendance",  # members who attended what you attended RSVP'd this
    "soon",  # -log(1 + days until it starts)
)
F = {name: n for n, name in enumerate(FEATURES)}
# Features read from a small per-member table, by the candidate's series, group or slot.
FAMILY = {"series": "series", "series_share": "series", "series_rate": "series",
          "group": "group", "group_rate": "group", "joined": "group", "habit": "slot",
          "weekday": "slot", "daypart": "slot"}
SERIES_SIMILARITY = 0.9  # near-identical texts are one series (dates/titles may vary)
HALF_LIFE_DAYS = 60.0  # history fades: members drift between groups and series
RATE_PRIOR = (0.1, 2.0)  # (attended, held) added to every rate: 5 % until seen otherwise


@dataclass(frozen=True, slots=True)
class ItemTable:
    """Every session (past and upcoming) as arrays; built once per catalogue."""

    lexical: sparse.csr_matrix  # (n, V) TF-IDF unit rows
    semantic: np.ndarray  # (n, d) embedding unit rows
    starts: np.ndarray  # (n,) POSIX seconds
    series: np.ndarray  # (n,) series index (a one-off is its own series)
    groups: np.ndarray  # (n,) group index, -1 when unknown
    slots: np.ndarray  # (n,) weekday * 4 + six-hour part of the day (UTC)
    announced: np.ndarray  # (n,) POSIX seconds it was announced (created), NaN when unknown
    group_names: tuple[str, ...] = ()  # group row -> its name (what joins are logged by)

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        semantic: np.ndarray,
        starts: np.ndarray,
        groups: Sequence[str] = (),
        lexical: sparse.csr_matrix | None = None,
        announced: np.ndarray | None = None,
    ) -> ItemTable:
        """Index sessions; series are connected runs of near-identical texts.

        `announced`: when each session was created (NaN: unknown, then its first RSVP
        stands in), what its RSVPs per day are counted from.

        `lexical` (unit TF-IDF rows of `texts`) is reused when the caller already has it
        (the bot's `Catalog`), so a rebuild fits one vectorizer, not two.
        """
        n = len(texts)
        if lexical is None:
            try:
                vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english",
                                             ngram_range=(1, 2))
                lexical = sparse.csr_matrix(vectorizer.fit_transform(list(texts)),
                                            dtype=np.float32)
            except ValueError:  # only stop words: no lexical signal
                lexical = sparse.csr_matrix((n, 1), dtype=np.float32)
        elif lexical.shape[0] != n:
            raise ValueError(f"{n} texts but {lexical.shape[0]} TF-IDF rows")
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
            announced=(np.full(n, np.nan) if announced is None
                       else np.asarray(announced, dtype=np.float64)),
            group_names=tuple(index),
        )

    def group_rows(self, names: Sequence[str]) -> np.ndarray:
        """Each group name's row (-1 for a group with no session here)."""
        row = {name: n for n, name in enumerate(self.group_names)}
        return np.array([row.get(name, -1) for name in names], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.starts)


def compute_features(
    table: ItemTable,
    snap: Snapshot,
    members: np.ndarray,
    candidates: np.ndarray,
    interests: np.ndarray | None = None,
) -> np.ndarray:
    """`(len(FEATURES), members, candidates)` float32, for member rows x candidate items."""
    return FeatureSpace.build(table, snap, candidates, interests).block(members)


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
    series: sparse.csr_matrix  # (n, S_c) item -> the candidates' series (others: no entry)
    groups: sparse.csr_matrix  # (n, G) item -> group
    slots: sparse.csr_matrix  # (n, 28) item -> time-of-week slot
    used: np.ndarray  # items someone attended: the only rows a history can weigh
    used_col: np.ndarray  # (n,) each item's row in `used` (-1: nobody attended it)
    content: np.ndarray  # (3 used + labels, C): the 4 tables below stacked, for one row sum
    lexical_sim: np.ndarray  # (used, C) TF-IDF cosine of those items with every candidate
    semantic_t: np.ndarray  # (d, C)
    co: np.ndarray  # (used, C) damped co-attendance counts
    damp: np.ndarray  # (n,) 1 / sqrt(attendance): what one co-attender of an item weighs
    known_counts: np.ndarray  # (C,) RSVPs made by now
    since_first: np.ndarray  # (C,) days since announced (else the first RSVP; 0: neither)
    ahead: np.ndarray  # (C,) share of the announcement-to-start window still ahead
    series_pop: np.ndarray  # (C,) log mean attendance of the candidate's series so far
    soon: np.ndarray  # (C,) -log(1 + days until it starts)
    interests: np.ndarray | None  # (members, d) unit rows of declared interests, 0 if none
    semantic_sim: np.ndarray  # (used, C) meaning cosine of the attended items and candidates
    label_sim: np.ndarray  # (labels, C) of the declared interests' label vectors (`build`)
    held_starts: np.ndarray  # (k,) starts of the sessions held by now, sorted
    cand_series: np.ndarray  # (S_c,) the candidates' series
    series_col: np.ndarray  # (C,) each candidate's column in `cand_series`
    series_held: np.ndarray  # (k + 1, S_c) decayed occurrences held, cumulated by start
    group_held: np.ndarray  # (k + 1, G) decayed group sessions held, cumulated by start

    @classmethod
    def build(cls, table: ItemTable, snap: Snapshot, candidates: np.ndarray,
              interests: np.ndarray | None = None, labels: np.ndarray | None = None,
              pool: Executor | None = None) -> FeatureSpace:
        """Prepare the member-independent parts for `candidates` (item rows).

        `interests` (one row per member, zero when they declared none) is the embedding of
        what each member said they are into: it ranks before any history does. `labels`:
        declared interests' unit vectors (`label_sim`); `pool` runs products meanwhile (G4).
        """
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
        days = np.clip(table.starts[cands] - snap.now, 0.0, None) / DAY
        used = np.flatnonzero(attended > 0)
        first = snap.first_made[cands] if snap.first_made is not None else np.full(len(cands),
                                                                                    np.inf)
        # RSVPs accrue from the announcement; the first RSVP stands in where it is unknown.
        first = np.fmin(table.announced[cands], first)
        since = np.where(np.isfinite(first), np.clip(snap.now - first, 0.0, None) / DAY, 0.0)
        decay = np.exp2(-age / HALF_LIFE_DAYS).astype(np.float32)
        # Sessions held so far in start order, cumulated per series and group: what a member
        # could have come to since they first came is one row difference (see `_rates`).
        held = np.flatnonzero(started)
        held = held[np.argsort(table.starts[held], kind="stable")]
        cand_series, series_col = np.unique(table.series[cands], return_inverse=True)
        column = np.full(n_series, -1, dtype=np.int64)
        column[cand_series] = np.arange(len(cand_series))
        used_col = np.full(len(table), -1, dtype=np.int64)
        used_col[used] = np.arange(len(used))
        u, semantic_t = len(used), np.ascontiguousarray(table.semantic[cands].T)
        content = _stacked(table.lexical, table.semantic, semantic_t, snap.past, snap.known,
                           used, cands, damp, labels, pool)
        return cls(
            table=table,
            snap=snap,
            cands=cands,
            decay=sparse.diags(decay),
            series=_onehot(column[table.series], len(cand_series), column[table.series] >= 0),
            groups=_onehot(np.where(grouped, table.groups, 0), n_groups, grouped),
            slots=_onehot(table.slots, 28),
            used=used,
            used_col=used_col,
            content=content,
            lexical_sim=content[:u],
            semantic_t=semantic_t,
            co=content[u : 2 * u],
            damp=damp,
            known_counts=np.asarray(snap.known[:, cands].sum(axis=0), np.float32).ravel(),
            since_first=since.astype(np.float32),
            ahead=_ahead(table, cands, snap.now),
            series_pop=np.log1p(sums / np.maximum(runs, 1.0))[table.series[cands]].astype(
                np.float32),
            soon=(-np.log1p(days)).astype(np.float32),
            interests=None if interests is None else np.asarray(interests, np.float32),
            semantic_sim=content[2 * u : 3 * u],
            label_sim=content[3 * u :],
            held_starts=table.starts[held],
            cand_series=cand_series,
            series_col=series_col.astype(np.int64),
            series_held=_cumulated(column[table.series[held]], decay[held], len(cand_series)),
            group_held=_cumulated(table.groups[held], decay[held], n_groups),
        )

    def parts(self, members: np.ndarray, *, series_tables: bool = True,
              aids: RankingAids | None = None) -> MemberParts:
        """The per-member pieces every feature of `members` is read from (see `block`).

        Without `series_tables` the series family stays sparse (`series_hist`, read through
        `series_values`): its tables are members x candidates wide in a digest (G4).
        `aids` (built once per ranking) make the norms, meaning and own RSVPs cheaper.
        """
        table, snap, cands = self.table, self.snap, self.cands
        m = len(members)
        past = snap.past[members]
        hist = sparse.csr_matrix(past @ self.decay)  # (M, n) recency-weighted history
        total = np.asarray(hist.sum(axis=1)).ravel()
        denom = np.where(total > 0, total, 1.0)[:, None].astype(np.float32)

        # Per-member tables are small (members x series/groups/slots): logs are taken there,
        # and one gather per family fills a (members x candidates) block. Logs, because the
        # signals multiply (a habit and a group each scale the chance).
        # Series tables cover the candidates' series only: the rest cannot be gathered.
        series_hist = sparse.csr_matrix(hist @ self.series, dtype=np.float32)
        since = np.searchsorted(self.held_starts, _first_start(past, table.starts))
        by_group = np.asarray((hist @ self.groups).todense(), dtype=np.float32)
        none = np.zeros((m, 1), np.float32)  # the last column: sessions of no known group
        attended, could = self._rates(by_group, self.group_held, since)
        # Time of week: the exact slot, and its weekday and part of the day on their own
        # (a member free on Tuesdays is free at 18:00 and at 20:00), all 28 slots wide.
        slots = np.asarray((past @ self.slots).todense(), dtype=np.float32)
        counts = np.asarray(past.sum(axis=1), dtype=np.float32)
        by_day = slots.reshape(m, 7, 4)
        day = np.log((by_day.sum(axis=2) + 0.5) / (counts + 3.5))
        part = np.log((by_day.sum(axis=1) + 0.5) / (counts + 2.0))
        tables = {
            **(self.series_values(series_hist.toarray(), denom, since[:, None],
                                  np.arange(series_hist.shape[1])[None, :])
               if series_tables else {}),
            "group": np.log(np.concatenate([by_group / denom, none], 1) + np.float32(0.02)),
            "group_rate": np.concatenate(
                [np.log(attended / could), none + np.log(RATE_PRIOR[0] / RATE_PRIOR[1])], 1),
            "joined": np.concatenate([self._joined(members), none], 1),
            "habit": np.log((slots + 0.25) / (counts + 7.0)),
            "weekday": np.repeat(day, 4, axis=1),
            "daypart": np.tile(part, (1, 7)),
        }

        # The history over attended items only (the tables' rows): relabel, no slicing.
        history = sparse.csr_matrix((hist.data, self.used_col[hist.indices], hist.indptr),
                                    shape=(m, len(self.used)))
        if aids is not None and aids.gram is not None:
            norms = aids.norms(history)
        else:  # |profile|, never densified
            norms = _row_norms(sparse.csr_matrix(hist @ table.lexical))

        # Item-based co-attendance; the member's own row contributed
        # sum_i hist[m,i] * damp_i * past[m,i] to each of their own RSVPs: taken back out.
        if aids is None:
            own = snap.known[members][:, cands].tocoo()  # a member's own RSVPs: few
            own_rows, own_cols = own.row, own.col
        else:
            own_rows, own_cols = aids.own(snap.known[members])
        self_weight = past @ (self.decay.diagonal() * self.damp)
        meaning, scale = _unit_rows(np.asarray(hist @ table.semantic, dtype=np.float32)
                                    if aids is None else aids.meaning(hist))
        return MemberParts(
            tables=tables,
            series_hist=series_hist,
            since=since,
            denom=denom.ravel(),
            history=history,
            text_scale=(1.0 / np.where(norms > 0, norms, 1.0)).astype(np.float32),
            co_scale=(1.0 / denom.ravel()).astype(np.float32),
            self_weight=self_weight.astype(np.float32),
            lexical_sim=self.lexical_sim,
            co=self.co,
            semantic=meaning,
            semantic_scale=scale,
            interests=None if self.interests is None else self.interests[members],
            own_rows=own_rows.astype(np.int64),
            own_cols=own_cols.astype(np.int64),
        )

    def first_sessions(self, members: np.ndarray) -> np.ndarray:
        """`(M,)` each member's first held session, as `parts` reads it (`since`)."""
        first = _first_start(self.snap.past, self.table.starts)  # no copy of the rows
        return np.asarray(np.searchsorted(self.held_starts, first[members]), dtype=np.int64)

    def series_values(self, count: np.ndarray, denom: np.ndarray, since: np.ndarray,
                      series: np.ndarray) -> dict[str, np.ndarray]:
        """The series family's three features, where arrays broadcast.

        `count`: a member's decayed sessions in candidate series `series`; `denom`: their
        total; `since`: their first held session. One definition for the dense tables
        (`block`) and the scorer's factored form (`recommender.scoring`).
        """
        could = self.series_held[-1][series] - self.series_held[since, series]
        could = np.maximum(could, count)  # float rounding of the cumulated sums
        return {
            "series": np.log1p(count),
            "series_share": np.log(count / denom + np.float32(0.02)),
            "series_rate": np.log((count + np.float32(RATE_PRIOR[0]))
                                  / (could + np.float32(RATE_PRIOR[1]))),
        }

    def column(self, family: str) -> np.ndarray:
        """`(C,)` each candidate's column in the per-member tables of `family`."""
        if family == "series":
            return np.asarray(self.series_col, dtype=np.int64)
        if family == "group":
            groups = self.table.groups[self.cands]
            none = self.groups.shape[1]  # the tables' last column
            return np.asarray(np.where(groups >= 0, groups, none), dtype=np.int64)
        return np.asarray(self.table.slots[self.cands], dtype=np.int64)

    def block(self, members: np.ndarray) -> np.ndarray:
        """`(len(FEATURES), members, candidates)` float32 features of member rows."""
        parts = self.parts(members)
        out = np.empty((len(FEATURES), len(members), len(self.cands)), dtype=np.float32)
        for name, values in parts.tables.items():
            np.take(values, self.column(FAMILY[name]), axis=1, out=out[F[name]])
        out[F["tfidf"]] = parts.tfidf
        out[F["co_attendance"]] = parts.co_attendance
        out[F["embedding"]] = parts.semantic @ self.semantic_t  # (matmul's out= skips BLAS)
        if parts.interests is None:
            out[F["interest"]] = 0.0
        else:
            out[F["interest"]] = parts.interests @ self.semantic_t
        others = np.broadcast_to(self.known_counts, out[0].shape).copy()
        others[parts.own_rows, parts.own_cols] -= 1.0
        np.maximum(others, 0.0, out=others)
        np.log1p(others, out=out[F["popularity"]])
        np.log1p(others / (1.0 + self.since_first), out=out[F["momentum"]])
        out[F["ahead"]] = self.ahead[None, :]
        out[F["series_popularity"]] = self.series_pop[None, :]
        out[F["soon"]] = self.soon[None, :]
        return out

    def _joined(self, members: np.ndarray) -> np.ndarray:
        """`(M, G)` 1 where the member had joined the group by the snapshot, else 0."""
        out = np.zeros((len(members), self.groups.shape[1]), dtype=np.float32)
        if self.snap.joined is not None:
            out[sparse.csr_matrix(self.snap.joined[members]).nonzero()] = 1.0
        return out

    @staticmethod
    def _rates(attended: np.ndarray, held: np.ndarray, since: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """Decayed sessions attended and held since each member's first, with the prior."""
        could = held[-1][None, :] - held[since]
        np.maximum(could, attended, out=could)  # float rounding of the cumulated sums
        return attended + np.float32(RATE_PRIOR[0]), could + np.float32(RATE_PRIOR[1])


def _ahead(table: ItemTable, cands: np.ndarray, now: float) -> np.ndarray:
    """`(C,)` share of each candidate's announcement-to-start window still ahead at `now`.

    RSVPs build after an announcement, so few RSVPs early in the window (or none before
    it, as in a time split) say less against a session than few just before it starts;
    with this the blend reads popularity against how long it has had. 0 when unknown.
    """
    announced, starts = table.announced[cands], table.starts[cands]
    window = np.maximum(starts - announced, 3600.0)
    share = np.clip((starts - now) / window, 0.0, 1.0)
    return np.where(np.isfinite(announced), share, 0.0).astype(np.float32)
