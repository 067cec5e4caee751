"""Reasons that are true: a content reason is kept only when its anchor is really close.

The ranker names the anchor with the largest share of a pick's score, but a largest share
can still be a weak one: with one declared interest, "neural networks" is the largest share
of an accessibility talk's score too. A reason is worth saying only when the anchor on its
own is close to the pick (same scale as the ranker's content term: meaning plus exact words);
otherwise the pick carries no reason rather than a wrong one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from scipy import sparse

from recommender.catalog import Catalog
from recommender.profiles import MemberProfile
from recommender.reasons import Reason, ReasonKind, Recommendation

REASON_MIN = 0.3  # cosine(meaning) + cosine(TF-IDF) of anchor and pick, each in [0, 1]
ITEM_KINDS = frozenset(
    {ReasonKind.ATTENDED, ReasonKind.RSVPED, ReasonKind.RATED, ReasonKind.LIKED,
     ReasonKind.SIMILAR}
)
NO_REASON = Reason(ReasonKind.NONE)


def closeness(catalog: Catalog, profile: MemberProfile, why: Reason, item_id: int) -> float:
    """How close the reason's anchor is to the pick; inf for reasons not about content."""
    row = catalog.row_of.get(item_id)
    if row is None:
        return 0.0
    semantic = catalog.semantic[row]
    lexical = catalog.lexical[row]
    if why.kind in ITEM_KINDS:
        anchor = catalog.row_of.get(why.item_id) if why.item_id is not None else None
        if anchor is None:
            return 0.0
        return _cosines(catalog.semantic[anchor], catalog.lexical[anchor], semantic, lexical)
    if why.kind is ReasonKind.INTEREST:
        if why.interest not in profile.interests:
            return 0.0
        n = profile.interests.index(why.interest)
        return _cosines(profile.interest_semantic[n], profile.interest_lexical[n], semantic,
                        lexical)
    if why.kind is ReasonKind.CONVERSATION:
        return _cosines(profile.conversation_semantic, profile.conversation_lexical, semantic,
                        lexical)
    return float("inf")


def vouch(
    catalog: Catalog,
    profile: MemberProfile,
    ranked: Sequence[Recommendation],
    threshold: float = REASON_MIN,
) -> list[Recommendation]:
    """`ranked` with every content reason below `threshold` replaced by no reason."""
    return [
        r if closeness(catalog, profile, r.reason, r.item_id) >= threshold
        else replace(r, reason=NO_REASON)
        for r in ranked
    ]


def _cosines(a_sem: np.ndarray, a_lex: sparse.spmatrix, b_sem: np.ndarray,
             b_lex: sparse.spmatrix) -> float:
    """Meaning plus exact-word cosine (vectors are unit rows, or zero)."""
    left = sparse.csr_matrix(a_lex).reshape(1, -1)
    right = sparse.csr_matrix(b_lex).reshape(1, -1)
    words = float(left.multiply(right).sum()) if left.shape == right.shape else 0.0
    return float(np.dot(np.ravel(a_sem), np.ravel(b_sem))) + words
