"""Why a pick was made: the anchor (session, interest, conversation) with the largest share.

Vectorised over a whole block of members, so explaining costs no Python loop per pick.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recommender.anchors import AnchorBlock, CandidateSpace
from recommender.batch_results import CODE, Rankings
from recommender.profiles import MemberProfile
from recommender.reasons import ReasonKind

NO_SIGNAL = 1e-6


def explain_picks(
    catalog_ids: np.ndarray,
    profiles: Sequence[MemberProfile],
    scores: np.ndarray,
    chosen: np.ndarray,
    anchors: AnchorBlock,
    space: CandidateSpace,
) -> Rankings:
    """Attach to each pick the anchor with the largest share of its score (vectorised)."""
    n_members, k = chosen.shape
    safe = np.maximum(chosen, 0)
    picked = np.take_along_axis(scores, safe, axis=1)
    ok = (chosen >= 0) & np.isfinite(picked)
    item_ids = np.where(ok, catalog_ids[space.rows[safe]], -1)
    cold = np.where(space.popular[safe], CODE[ReasonKind.POPULAR], CODE[ReasonKind.SOON])
    kinds = cold.astype(np.int64)
    reason_items = np.full((n_members, k), -1, dtype=np.int64)
    reason_interests = np.full((n_members, k), -1, dtype=np.int64)
    weights = anchors.weights
    per_member = np.diff(weights.indptr)
    has = per_member > 0
    if weights.nnz and k:
        n_items = anchors.n_items
        entries = np.arange(weights.nnz)
        owner = np.repeat(np.arange(n_members), per_member)
        cols = weights.indices
        picks = safe[owner]
        # Flat gathers (one index array per table): cheaper than 2-D fancy indexing (G4).
        width = anchors.content.shape[1]
        at = cols[:, None].astype(np.int64) * width + picks
        share = weights.data[:, None] * np.take(anchors.content, at)
        is_item = cols < n_items
        social = np.zeros_like(share)
        if n_items:
            at = np.where(is_item, cols, 0)[:, None].astype(np.int64) * width + picks
            social = np.where(
                is_item[:, None],
                weights.data[:, None]
                * (np.take(anchors.total, at) - np.take(anchors.content, at)),
                0.0,
            )
        starts = weights.indptr[:-1][has]
        segment = (np.cumsum(has) - 1)[owner]
        best_share = np.maximum.reduceat(share, starts, axis=0)
        social_total = np.add.reduceat(social, starts, axis=0)
        best_social = np.maximum.reduceat(social, starts, axis=0)
        top = entries[:, None]
        first = np.minimum.reduceat(
            np.where(share == best_share[segment], top, weights.nnz), starts, axis=0
        )
        via = np.minimum.reduceat(
            np.where(social == best_social[segment], top, weights.nnz), starts, axis=0
        )
        first = np.minimum(first, weights.nnz - 1)
        via = np.minimum(via, weights.nnz - 1)
        use_social = (social_total > best_share) & (social_total > NO_SIGNAL)
        use_content = ~use_social & (best_share > NO_SIGNAL)
        rows = np.flatnonzero(has)
        kinds[rows] = np.where(
            use_social,
            CODE[ReasonKind.MEMBERS_LIKE_YOU],
            np.where(use_content, anchors.entry_kind[first], kinds[rows]),
        )
        reason_items[rows] = np.where(
            use_social,
            anchors.entry_item[via],
            np.where(use_content, anchors.entry_item[first], -1),
        )
        reason_interests[rows] = np.where(use_content, anchors.entry_interest[first], -1)
    return Rankings(
        member_ids=np.fromiter((p.member_id for p in profiles), np.int64, n_members),
        item_ids=item_ids,
        scores=np.where(ok, picked, np.float32(0.0)).astype(np.float32),
        reason_kinds=kinds,
        reason_items=np.where(ok, reason_items, -1),
        reason_interests=np.where(ok, reason_interests, -1),
        interests=(),
    )
