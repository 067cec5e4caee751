"""Hybrid ranking: semantic + exact-text + co-attendance + soonness/popularity, then MMR.

Every term is a weighted mean over the member's anchors (sessions, interests, messages), so
scoring a block of members is one sparse (members x anchors) @ dense (anchors x candidates)
product, and the anchor with the largest share of a score is its reason.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import chain

import numpy as np
from scipy import sparse

from recommender.anchors import AnchorBlock, AnchorEntries, CandidateSpace, SharedAnchors
from recommender.attribution import explain_picks
from recommender.batch_results import CODE, Rankings
from recommender.catalog import Catalog
from recommender.collaborative import CoAttendance
from recommender.diversity import mmr
from recommender.encoders import Encoder, embed_with_cache
from recommender.profiles import MemberProfile, build_profile, profile_texts
from recommender.reasons import Reason, ReasonKind, Recommendation
from recommender.rowsums import row_sums
from recommender.signals import MemberSignals, SignalWeights
from recommender.topk import top_k

WORKERS = 2  # blocks ranked at once
SLAB = 256  # MMR similarity rows built at once


@dataclass(frozen=True, slots=True)
class RankingWeights:
    """Blend of the score terms; defaults tuned on the synthetic community in `synthetic`."""

    semantic: float = 1.0
    lexical: float = 1.0  # recurring series reuse their text: exact overlap matters (G9)
    collaborative: float = 0.3
    soonness: float = 0.03
    popularity: float = 0.05
    diversity: float = 0.05  # MMR trade-off; 0 keeps pure relevance order
    soon_days: float = 14.0  # soonness e-folding time
    pool_factor: int = 4  # MMR chooses among the top `pool_factor * k`


class Recommender:
    """Ranks a catalogue's upcoming sessions for members; pure computation, no I/O."""

    __slots__ = ("_catalog", "_co", "_encoder", "_pop", "_signal_weights", "_weights")

    def __init__(
        self,
        catalog: Catalog,
        encoder: Encoder,
        co_attendance: CoAttendance | None = None,
        *,
        weights: RankingWeights | None = None,
        signal_weights: SignalWeights | None = None,
    ) -> None:
        """`encoder` must be the one that produced `catalog.semantic`."""
        if catalog.semantic.shape[1] != encoder.dim:
            raise ValueError(
                f"catalogue vectors are {catalog.semantic.shape[1]}-dim, {encoder.name} "
                f"gives {encoder.dim}"
            )
        self._catalog = catalog
        self._encoder = encoder
        self._co = co_attendance or CoAttendance.empty(catalog)
        self._pop = self._co.popularity()
        self._weights = weights or RankingWeights()
        self._signal_weights = signal_weights or SignalWeights()

    @property
    def catalog(self) -> Catalog:
        """The catalogue this recommender ranks."""
        return self._catalog

    def profiles(
        self,
        signals: Sequence[MemberSignals],
        now: datetime,
        cache: MutableMapping[tuple[str, str], np.ndarray] | None = None,
    ) -> list[MemberProfile]:
        """Profiles for many members, embedding all their new texts in one batch."""
        store: MutableMapping[tuple[str, str], np.ndarray] = {} if cache is None else cache
        texts = [profile_texts(s) for s in signals]
        flat = [t for member_texts in texts for t in member_texts]
        vectors = embed_with_cache(self._encoder, flat, store)
        out: list[MemberProfile] = []
        start = 0
        for member, member_texts in zip(signals, texts, strict=True):
            end = start + len(member_texts)
            out.append(
                build_profile(member, self._catalog, vectors[start:end], now, self._signal_weights)
            )
            start = end
        return out

    def profile(
        self,
        signals: MemberSignals,
        now: datetime,
        cache: MutableMapping[tuple[str, str], np.ndarray] | None = None,
    ) -> MemberProfile:
        """Profile of one member (interest and message texts embedded through `cache`)."""
        return self.profiles([signals], now, cache)[0]

    def recommend(
        self,
        profile: MemberProfile,
        candidates: Collection[int],
        now: datetime,
        *,
        k: int = 5,
        exclude: Collection[int] = (),
    ) -> list[Recommendation]:
        """Top `k` of `candidates` (upcoming, accessible ids) for one member."""
        extra = {profile.member_id: exclude} if exclude else None
        return self.recommend_all([profile], candidates, now, k=k, exclude=extra).row(0)

    def recommend_all(
        self,
        profiles: Sequence[MemberProfile],
        candidates: Collection[int],
        now: datetime,
        *,
        k: int = 5,
        exclude: Mapping[int, Collection[int]] | None = None,
        chunk_size: int = 2048,
    ) -> Rankings:
        """Top `k` for every member, in chunks so the score block stays bounded.

        Args:
            profiles: members to rank for.
            candidates: session ids anyone may get (upcoming, not full without waitlist).
            now: the time soonness is measured from.
            k: results per member (fewer when filters leave fewer).
            exclude: per member id, further ids to skip (inaccessible audience, shown
                in the last digest); each profile's own RSVPs, declines and 👎 always are.
            chunk_size: members scored per block; a block is `chunk_size x C` float32.
        """
        space = self._candidates(candidates, now)
        ids = np.fromiter((p.member_id for p in profiles), np.int64, len(profiles))
        if len(space.rows) == 0:
            return Rankings.empty(ids, k)
        # Blocks on two threads: most of a block is numpy passes that release the GIL but
        # use one core each (G4, as the learned ranker's blocks); MMR's similarity table is
        # built on the pool meanwhile the anchors are.
        with ThreadPoolExecutor(WORKERS) as pool:
            similar = pool.submit(self._similarity, space) if self._weights.diversity > 0 else None
            shared = self._shared(profiles, space)
            if similar is not None:
                space = replace(space, similarity=similar.result())
            out = Rankings.allocate(ids, k, tuple(shared.labels))

            def block(start: int) -> None:  # one chunk's results alive per worker
                out.put(start, self._rank_block(profiles, start, chunk_size, space, k,
                                                exclude or {}, shared))

            for _ in pool.map(block, range(0, len(profiles), chunk_size)):  # errors raise
                pass
        return out

    def similar_items(
        self, item_id: int, k: int = 5, candidates: Collection[int] | None = None
    ) -> list[Recommendation]:
        """Sessions most like `item_id` (text, meaning, shared audience); `/similar ID`."""
        row = int(self._catalog.rows([item_id])[0])
        ids = self._catalog.ids if candidates is None else np.fromiter(candidates, np.int64)
        cols = self._catalog.known_rows([int(i) for i in ids if int(i) != item_id])
        if len(cols) == 0:
            return []
        w = self._weights
        cat = self._catalog
        scores = (
            w.semantic * (cat.semantic[cols] @ cat.semantic[row])
            + w.lexical * (cat.lexical[cols] @ cat.lexical[row].T).toarray().ravel()
            + w.collaborative * self._co.similarity(np.array([row]), cols)[0]
        )
        best, vals = top_k(scores[None, :], k)
        reason = Reason(ReasonKind.SIMILAR, item_id=item_id)
        return [
            Recommendation(int(cat.ids[cols[c]]), float(v), reason)
            for c, v in zip(best[0], vals[0], strict=True)
        ]

    def _candidates(self, candidates: Collection[int], now: datetime) -> CandidateSpace:
        cat = self._catalog
        rows = np.unique(cat.known_rows(list(candidates)))
        w = self._weights
        days = (cat.starts[rows] - now.timestamp()) / 86400.0
        soon = np.where(np.isnan(days), 0.0, np.exp(-np.clip(days, 0.0, None) / w.soon_days))
        pop = self._pop[rows]
        semantic_t = np.ascontiguousarray(cat.semantic[rows].T)
        lexical = cat.lexical[rows]
        column_of_row = np.full(len(cat), -1, dtype=np.int64)
        column_of_row[rows] = np.arange(len(rows))
        return CandidateSpace(
            rows=rows,
            column_of_row=column_of_row,
            position={int(cat.ids[r]): c for c, r in enumerate(rows)},
            semantic_t=semantic_t,
            lexical_t=sparse.csc_matrix(lexical.T),
            bias=(w.soonness * soon + w.popularity * pop).astype(np.float32),
            popular=w.popularity * pop >= w.soonness * soon,
        )

    def _similarity(self, space: CandidateSpace) -> np.ndarray:
        """`(C, C)` meaning and text similarity of the candidates, for MMR."""
        w = self._weights
        total = w.semantic + w.lexical or 1.0
        similarity = space.semantic_t.T @ space.semantic_t  # float32, in place (G4 peak)
        similarity *= np.float32(w.semantic / total)
        lexical, lexical_t = space.lexical_t.T.tocsr(), space.lexical_t
        for lo in range(0, len(similarity), SLAB):  # a slab at a time: the peak is the anchors'
            part = (lexical[lo : lo + SLAB] @ lexical_t).astype(np.float32).toarray()
            part *= np.float32(w.lexical / total)
            similarity[lo : lo + SLAB] += part
        return np.asarray(similarity, dtype=np.float32)

    def _shared(self, profiles: Sequence[MemberProfile], space: CandidateSpace) -> SharedAnchors:
        """Anchors for the whole call, scored once, and every member's weights over them.

        The anchors are every session and interest anyone holds; one pass over the profiles.
        """
        cat = self._catalog
        w = self._weights
        n_members = len(profiles)
        labels: dict[str, int] = {}
        vectors: list[np.ndarray] = []
        owner: list[int] = []
        label_of: list[int] = []
        weight_of: list[np.ndarray] = []
        talk_owner: list[int] = []
        talk_weight: list[float] = []
        talk_semantic: list[np.ndarray] = []
        talk_lexical: list[sparse.csr_matrix] = []
        for member, p in enumerate(profiles):
            if p.interests:
                for n, label in enumerate(p.interests):
                    index = labels.setdefault(label, len(labels))
                    if index == len(vectors):
                        vectors.append(p.interest_semantic[n])
                    label_of.append(index)
                owner += [member] * len(p.interests)
                weight_of.append(p.interest_weights)
            if p.conversation_weight > 0:
                talk_owner.append(member)
                talk_weight.append(p.conversation_weight)
                talk_semantic.append(p.conversation_semantic)
                talk_lexical.append(p.conversation_lexical)
        empty = np.zeros(0, dtype=np.int64)
        counts = np.fromiter((len(p.item_rows) for p in profiles), np.int64, n_members)
        rows = np.concatenate([empty, *(p.item_rows for p in profiles)])
        item_rows = np.unique(rows)
        column_of_row = np.full(len(cat), -1, dtype=np.int64)
        column_of_row[item_rows] = np.arange(len(item_rows))
        n_items = len(item_rows)
        n_shared = n_items + len(labels)
        # One entry per (member, anchor): ~10 per member, so at 10^5 members every int64
        # array here is ~8 MB; codes and columns are stored as small as they fit (G4 peak).
        label_arr = np.asarray(label_of, dtype=np.int32)
        n_talk = len(talk_owner)
        members = np.concatenate(
            [
                np.repeat(np.arange(n_members, dtype=np.int32), counts),
                np.asarray(owner, dtype=np.int32),
                np.asarray(talk_owner, dtype=np.int32),
            ]
        )
        order = np.argsort(members, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(members, minlength=n_members))])
        del members
        entries = AnchorEntries(
            indptr=indptr,
            col=np.concatenate(
                [column_of_row[rows].astype(np.int32), n_items + label_arr,
                 n_shared + np.arange(n_talk, dtype=np.int32)]
            )[order],
            weight=np.concatenate(
                [
                    np.zeros(0, np.float32),
                    *(p.item_weights for p in profiles),
                    *weight_of,
                    np.asarray(talk_weight, np.float32),
                ],
                dtype=np.float32,
            )[order],
            kind=np.concatenate(
                [
                    np.concatenate([empty, *(p.item_reasons for p in profiles)]),
                    np.full(len(label_arr), CODE[ReasonKind.INTEREST], dtype=np.int8),
                    np.full(n_talk, CODE[ReasonKind.CONVERSATION], dtype=np.int8),
                ],
                dtype=np.int8,
            )[order],
            anchor_ids=cat.ids[item_rows],
            talk_owner=np.asarray(talk_owner, dtype=np.int64),
            talk_semantic=talk_semantic,
            talk_lexical=talk_lexical,
        )
        del rows, order  # per-entry temporaries, gone before the anchor blocks are scored
        semantic = cat.semantic[item_rows]
        lexical = cat.lexical[item_rows]
        if labels:
            semantic = np.concatenate([semantic, np.stack(vectors)])
            lexical = sparse.vstack([lexical, cat.lexical_of(list(labels))], format="csr")
        content = self._content(semantic, lexical, space)
        total = content.copy()
        if w.collaborative and n_items:
            social = self._co.similarity(item_rows, space.rows)
            social *= np.float32(w.collaborative)  # in place: no second block (G4 peak)
            total[:n_items] += social
            del social
        return SharedAnchors(n_items, labels, content, total, entries)

    def _content(
        self, semantic: np.ndarray, lexical: sparse.csr_matrix, space: CandidateSpace
    ) -> np.ndarray:
        w = self._weights
        content = np.asarray(semantic @ space.semantic_t, dtype=np.float32)
        content *= np.float32(w.semantic)
        if w.lexical:  # densified in float32, scaled in place: no float64 block (G4 peak)
            lexical_part = (lexical @ space.lexical_t).astype(np.float32).toarray()
            lexical_part *= np.float32(w.lexical)
            content += lexical_part
        return content

    def _anchors(self, start: int, stop: int, space: CandidateSpace,
                 shared: SharedAnchors) -> AnchorBlock:
        """Members `start:stop` as weights over the shared anchors and their conversations."""
        e = shared.entries
        lo, hi = int(e.indptr[start]), int(e.indptr[stop])
        n_shared = shared.n_items + len(shared.labels)
        first, last = np.searchsorted(e.talk_owner, [start, stop])
        cols = e.col[lo:hi]
        # An entry's session or interest follows from its anchor column (not stored per
        # entry: two int64 arrays of ~10 entries per member were G4's peak at 10^5 members).
        is_item = cols < shared.n_items
        entry_item = (np.where(is_item, e.anchor_ids[np.where(is_item, cols, 0)], -1)
                      if shared.n_items else np.full(len(cols), -1, dtype=np.int64))
        entry_interest = np.where(~is_item & (cols < n_shared), cols - shared.n_items, -1)
        if last > first:  # conversation anchors are numbered per call; renumber per block
            cols = np.where(cols >= n_shared, cols - first, cols)
        weights = sparse.csr_matrix(
            (e.weight[lo:hi], cols, e.indptr[start : stop + 1] - lo),
            shape=(stop - start, n_shared + last - first),
        )
        content, total = shared.content, shared.total
        if last > first:
            talk = self._content(
                np.stack(e.talk_semantic[first:last]),
                sparse.vstack(e.talk_lexical[first:last], format="csr"),
                space,
            )
            content = np.concatenate([content, talk])
            total = np.concatenate([total, talk])
        return AnchorBlock(
            weights=weights,
            content=content,
            total=total,
            n_items=shared.n_items,
            entry_kind=e.kind[lo:hi],
            entry_item=entry_item,
            entry_interest=entry_interest,
        )

    def _rank_block(
        self,
        everyone: Sequence[MemberProfile],
        start: int,
        size: int,
        space: CandidateSpace,
        k: int,
        exclude: Mapping[int, Collection[int]],
        shared: SharedAnchors,
    ) -> Rankings:
        stop = min(start + size, len(everyone))
        profiles = everyone[start:stop]
        anchors = self._anchors(start, stop, space, shared)
        scores = row_sums(anchors.weights, anchors.total)  # on torch's pool
        scores += space.bias
        counts = np.fromiter((len(p.excluded_rows) for p in profiles), np.int64, len(profiles))
        held = np.concatenate([np.zeros(0, np.int64), *(p.excluded_rows for p in profiles)])
        member_of = np.repeat(np.arange(len(profiles)), counts)
        column = space.column_of_row[held]
        scores[member_of[column >= 0], column[column >= 0]] = -np.inf
        if exclude:  # the caller's ids as arrays: no Python loop per member (G4)
            found = [exclude.get(p.member_id, ()) for p in profiles]
            counts = np.fromiter(map(len, found), np.int64, len(found))
            events = np.fromiter(chain.from_iterable(found), np.int64, int(counts.sum()))
            ids = self._catalog.ids[space.rows]
            order = np.argsort(ids)
            at = np.minimum(np.searchsorted(ids, events, sorter=order), len(ids) - 1)
            known = ids[order[at]] == events
            scores[np.repeat(np.arange(len(found)), counts)[known], order[at][known]] = -np.inf
        w = self._weights
        if space.similarity is not None and k > 1:
            pool, relevance = top_k(scores, k * w.pool_factor, pool="torch")
            picks = mmr(pool, relevance, space.similarity, k, w.diversity)
            valid = picks >= 0
            chosen = np.where(valid, np.take_along_axis(pool, np.maximum(picks, 0), axis=1), -1)
        else:
            chosen, _ = top_k(scores, k, pool="torch")
        return explain_picks(self._catalog.ids, profiles, scores, chosen, anchors, space)
