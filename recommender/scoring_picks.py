"""The learned blend's features read only where the ranking needs them (G4, see scoring).

At each member's k picks (for reasons) and as each member's average over the candidates
(what a reason's lift is measured from), plus the series family in its factored form: a
default row per member's first session, corrected at the few series a member attended.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from recommender.features import FAMILY, FEATURES, F, FeatureSpace
from recommender.member_parts import MemberParts

SERIES = ("series", "series_share", "series_rate")
SLAB = 64  # first sessions whose default rows are computed together


class SeriesFamily:
    """The series features of one ranking; weighted defaults per first session, memoised.

    A member who never attended a candidate's series still has series features (a rate
    prior over the occurrences held since they first came): one `table` row per first
    session, shared by every member who started then.
    """

    def __init__(self, space: FeatureSpace, w: np.ndarray) -> None:
        self.space = space
        self.weights = np.array([w[F[n]] for n in SERIES], dtype=np.float32)
        col = space.series_col
        self.order = np.argsort(col, kind="stable")  # candidate columns grouped by series
        self.start = np.searchsorted(col[self.order], np.arange(len(space.cand_series) + 1))
        self.per_series = np.diff(self.start)  # candidates in each series
        # First session -> row of `table` and `mean_rows` (-1: not built yet); an array, so
        # lookups hold no GIL while other blocks rank.
        self.row_of = np.full(len(space.held_starts) + 1, -1, dtype=np.int64)
        self.table = np.zeros((0, len(space.cands)), dtype=np.float32)  # weighted defaults
        self.mean_rows = np.zeros((0, len(SERIES)), dtype=np.float32)  # per feature, averaged

    def ensure(self, since: np.ndarray) -> bool:
        """Add the default rows of first sessions `since` not seen yet; True if any."""
        new = np.unique(since)
        new = new[self.row_of[new] < 0]
        if not len(new):
            return False
        width = len(self.space.cand_series)
        summed = np.empty((len(new), len(self.space.cands)), dtype=np.float32)
        means = np.empty((len(new), len(SERIES)), dtype=np.float32)
        share = (self.per_series / len(self.space.cands)).astype(np.float32)
        for lo in range(0, len(new), SLAB):  # a slab at a time bounds the temporaries (G4)
            values = self.space.series_values(np.zeros((1, 1), np.float32), np.ones((1, 1)),
                                              new[lo : lo + SLAB, None], np.arange(width)[None])
            part = np.zeros((len(new[lo : lo + SLAB]), width), dtype=np.float32)
            for n, name in enumerate(SERIES):
                part += self.weights[n] * values[name]
                means[lo : lo + SLAB, n] = np.broadcast_to(values[name], part.shape) @ share
            summed[lo : lo + SLAB] = part[:, self.space.series_col]
        self.row_of[new] = len(self.table) + np.arange(len(new))
        self.table = np.concatenate([self.table, summed])
        self.mean_rows = np.concatenate([self.mean_rows, means])
        return True

    def rows(self, since: np.ndarray) -> np.ndarray:
        """Each member's row of `table` (after `ensure`)."""
        return np.asarray(self.row_of[since], dtype=np.int64)

    def entries(self, parts: MemberParts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, series and counts of the series each member attended."""
        hist = parts.series_hist  # read as CSR: `tocoo` holds the GIL in its checks
        rows = np.repeat(np.arange(hist.shape[0]), np.diff(hist.indptr))
        return rows, hist.indices.astype(np.int64), hist.data

    def delta(self, parts: MemberParts, rows: np.ndarray, series: np.ndarray,
              count: np.ndarray) -> np.ndarray:
        """`(3, n)` each series feature at these entries minus its default."""
        args = (parts.denom[rows], parts.since[rows], series)
        have = self.space.series_values(count, *args)
        zero = self.space.series_values(np.zeros_like(count), *args)
        return np.stack([have[n] - zero[n] for n in SERIES])

    def add_to(self, scores: np.ndarray, parts: MemberParts) -> None:
        """Add the weighted series family to a block's `scores`.

        Members ordered by first session (as the bot ranks them) share each default row
        over a run of block rows, added in place; otherwise one gathered copy.
        """
        since = parts.since
        self.ensure(since)
        rows = self.rows(since)
        if len(since) and np.all(since[1:] >= since[:-1]):
            starts = np.flatnonzero(np.diff(since, prepend=-1))
            for lo, hi in zip(starts, [*starts[1:], len(since)], strict=True):
                scores[lo:hi] += self.table[rows[lo]]
        else:
            scores += self.table[rows]
        member, series, count = self.entries(parts)
        delta = self.weights @ self.delta(parts, member, series, count)
        many = self.per_series[series]
        at = np.repeat(self.start[series] - np.cumsum(many) + many, many) + np.arange(many.sum())
        scores[np.repeat(member, many), self.order[at]] += np.repeat(delta, many)

    def at(self, parts: MemberParts, cols: np.ndarray) -> np.ndarray:
        """`(3, M, k)` the series features at candidate columns `cols`."""
        m, k = cols.shape
        series = self.space.series_col[cols]
        member, attended, count = self.entries(parts)
        width = len(self.space.cand_series)
        keys = member * width + attended
        order = np.argsort(keys)
        wanted = (np.arange(m)[:, None] * width + series).ravel()
        at = np.clip(np.searchsorted(keys[order], wanted), 0, max(len(keys) - 1, 0))
        hit = keys[order][at] == wanted if len(keys) else np.zeros(len(wanted), bool)
        counts = np.where(hit, count[order][at] if len(keys) else 0.0, 0.0).astype(np.float32)
        rows = np.repeat(np.arange(m), k)
        values = self.space.series_values(counts, parts.denom[rows], parts.since[rows],
                                          series.ravel())
        return np.stack([values[n].reshape(m, k) for n in SERIES])

    def means(self, parts: MemberParts) -> np.ndarray:
        """`(3, M)` each series feature averaged over the candidates."""
        self.ensure(parts.since)
        out = self.mean_rows[self.rows(parts.since)].T.astype(np.float64)
        member, series, count = self.entries(parts)
        shift = self.delta(parts, member, series, count) * (self.per_series[series]
                                                            / len(self.space.cands))
        for n in range(len(SERIES)):
            out[n] += np.bincount(member, weights=shift[n], minlength=len(parts.since))
        return np.asarray(out, dtype=np.float32)


def at_pairs(history: sparse.csr_matrix, table: np.ndarray, rows: np.ndarray,
             cols: np.ndarray, second: int = 0, tables: int = 2) -> np.ndarray:
    """`(history @ table)[rows, cols]` without the product: each pair's entries, summed.

    With `second` (rows per table), `table` starts with `tables` stacked tables, each read:
    `(tables, n)`.
    """
    counts = np.diff(history.indptr)[rows]
    pair = np.repeat(np.arange(len(rows)), counts)
    starts = np.repeat(history.indptr[rows] - np.cumsum(counts) + counts, counts)
    entry = starts + np.arange(len(pair))
    weight = history.data[entry]
    flat = table.reshape(-1)  # one flat gather per table: cheaper than 2-D fancy indexing
    at = history.indices[entry].astype(np.int64) * table.shape[1] + cols[pair]
    out = [np.bincount(pair, weights=weight * np.take(flat, at + offset * table.shape[1]),
                       minlength=len(rows))
           for offset in (range(0, tables * second, second) if second else (0,))]
    return np.asarray(out if second else out[0], dtype=np.float32)


def popularity(counts: np.ndarray) -> np.ndarray:
    """The popularity feature of RSVP counts."""
    return np.asarray(np.log1p(np.maximum(counts, 0.0)), dtype=np.float32)


def momentum(space: FeatureSpace, counts: np.ndarray, cols: np.ndarray | None = None
             ) -> np.ndarray:
    """The momentum feature of RSVP counts (at candidate columns `cols`, default all)."""
    since = space.since_first if cols is None else space.since_first[cols]
    return np.asarray(np.log1p(np.maximum(counts, 0.0) / (1.0 + since)), dtype=np.float32)


def features_at(space: FeatureSpace, parts: MemberParts, cols: np.ndarray,
                series: SeriesFamily) -> np.ndarray:
    """`(F, M, k)` features of each member's picked candidate columns."""
    out = np.empty((len(FEATURES), *cols.shape), dtype=np.float32)
    for name, values in parts.tables.items():
        out[F[name]] = np.take_along_axis(values, space.column(FAMILY[name])[cols], axis=1)
    for name, values in zip(SERIES, series.at(parts, cols), strict=True):
        out[F[name]] = values
    rows = np.repeat(np.arange(cols.shape[0]), cols.shape[1])
    flat = cols.ravel()
    text, co, meaning = at_pairs(parts.history, space.content, rows, flat, len(space.used), 3)
    out[F["tfidf"]] = text.reshape(cols.shape) * parts.text_scale[:, None]
    c = len(space.cands)
    own = np.isin(rows * c + flat, parts.own_rows * c + parts.own_cols)
    co[own] = np.maximum(co[own] - parts.self_weight[rows[own]], 0.0)
    out[F["co_attendance"]] = co.reshape(cols.shape) * parts.co_scale[:, None]
    out[F["embedding"]] = meaning.reshape(cols.shape) * parts.semantic_scale[:, None]
    if parts.label_weights is not None:
        out[F["interest"]] = at_pairs(parts.label_weights, space.label_sim, rows, flat
                                      ).reshape(cols.shape)
    elif parts.interests is None:
        out[F["interest"]] = 0.0
    else:
        vectors, items = space.table.semantic, space.cands  # (n, d), rows contiguous
        for slot in range(cols.shape[1]):  # (M, d) at a time: no (M, k, d) gather
            out[F["interest"], :, slot] = np.einsum("md,md->m", parts.interests,
                                                    vectors[items[cols[:, slot]]])
    counts = space.known_counts[cols] - own.reshape(cols.shape)
    out[F["popularity"]] = popularity(counts)
    out[F["momentum"]] = np.log1p(np.maximum(counts, 0.0) / (1.0 + space.since_first[cols]))
    out[F["ahead"]] = space.ahead[cols]
    out[F["series_popularity"]] = space.series_pop[cols]
    out[F["soon"]] = space.soon[cols]
    return out


def candidate_means(space: FeatureSpace) -> tuple[np.ndarray, ...]:
    """What `mean_features` reads, once per ranking (per attended session, then meaning).

    Each attended session's mean text similarity, co-attendance and meaning cosine over
    the candidates, each label's mean cosine, and the candidates' mean meaning vector.
    """
    return (space.lexical_sim.mean(axis=1), space.co.mean(axis=1),
            space.semantic_sim.mean(axis=1), space.label_sim.mean(axis=1),
            space.semantic_t.mean(axis=1))


def mean_features(space: FeatureSpace, parts: MemberParts, series: SeriesFamily,
                  means: tuple[np.ndarray, ...] | None = None) -> np.ndarray:
    """`(F, M)` each member's average candidate (what a reason's lift is measured from).

    `means`: `candidate_means(space)`, when ranking many blocks.
    """
    m, c = len(parts.semantic), len(space.cands)
    text_mean, co_mean, meaning_mean, label_mean, mean_vector = means or candidate_means(space)
    out = np.empty((len(FEATURES), m), dtype=np.float32)
    for name, values in parts.tables.items():
        share = np.bincount(space.column(FAMILY[name]), minlength=values.shape[1]) / c
        out[F[name]] = np.einsum("mw,w->m", values, share.astype(np.float32))
    for name, values in zip(SERIES, series.means(parts), strict=True):
        out[F[name]] = values
    out[F["tfidf"]] = (parts.history @ text_mean) * parts.text_scale
    co = parts.history @ co_mean
    rows, cols = parts.own_rows, parts.own_cols
    raw = at_pairs(parts.history, space.co, rows, cols)
    fixed = np.maximum(raw - parts.self_weight[rows], 0.0)
    co += np.bincount(rows, weights=fixed - raw, minlength=m) / c
    out[F["co_attendance"]] = co * parts.co_scale
    out[F["embedding"]] = (parts.history @ meaning_mean) * parts.semantic_scale
    if parts.label_weights is not None:
        out[F["interest"]] = parts.label_weights @ label_mean
    else:
        out[F["interest"]] = (0.0 if parts.interests is None
                              else np.einsum("md,d->m", parts.interests, mean_vector))
    # Popularity's own-RSVP correction moves a member's mean by at most log(2)/C: left out.
    out[F["popularity"]] = popularity(space.known_counts).mean()
    out[F["momentum"]] = momentum(space, space.known_counts).mean()
    out[F["ahead"]] = space.ahead.mean()
    out[F["series_popularity"]] = space.series_pop.mean()
    out[F["soon"]] = space.soon.mean()
    return out
