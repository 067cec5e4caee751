"""Member profiles: weighted, time-decayed anchors (sessions and texts) and their mean vector."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy import sparse

from recommender.batch_results import CODE
from recommender.catalog import Catalog
from recommender.reasons import ReasonKind
from recommender.signals import EXCLUDING_KINDS, MemberSignals, SignalKind, SignalWeights

ITEM_REASON = {
    SignalKind.ATTENDED: ReasonKind.ATTENDED,
    SignalKind.RSVPED: ReasonKind.RSVPED,
    SignalKind.RATED: ReasonKind.RATED,
    SignalKind.LIKED: ReasonKind.LIKED,
    SignalKind.DISLIKED: ReasonKind.LIKED,  # negative weight: never the explanation
    SignalKind.DECLINED: ReasonKind.RSVPED,
}


@dataclass(frozen=True, slots=True)
class MemberProfile:
    """A member as weighted anchors; every score term is linear in these anchors.

    Weights are divided by the total absolute weight, so a score is a weighted mean of
    similarities to what the member did and said, and each anchor's share explains it.
    """

    member_id: int
    item_rows: np.ndarray  # (a,) catalogue rows of session anchors
    item_weights: np.ndarray  # (a,) normalised weights (negative for 👎)
    item_reasons: np.ndarray  # (a,) codes into `rankings.REASON_KINDS`
    interests: tuple[str, ...]
    interest_semantic: np.ndarray  # (i, d)
    interest_lexical: sparse.csr_matrix  # (i, V) in the catalogue's TF-IDF vocabulary
    interest_weights: np.ndarray  # (i,) normalised weights
    conversation_semantic: np.ndarray  # (d,) weighted mean of message vectors
    conversation_lexical: sparse.csr_matrix  # (1, V)
    conversation_weight: float  # normalised share of all messages together
    semantic: np.ndarray  # (d,) weighted mean vector: the member in embedding space
    excluded: frozenset[int]  # session ids never to recommend (held, declined, 👎)
    excluded_rows: np.ndarray  # the same, as catalogue rows (for masking a score block)

    @property
    def is_cold(self) -> bool:
        """No anchor at all: rank by popularity and soonness."""
        return (
            len(self.item_rows) == 0
            and len(self.interests) == 0
            and self.conversation_weight == 0.0
        )


def build_profile(
    signals: MemberSignals,
    catalog: Catalog,
    text_vectors: np.ndarray,
    now: datetime,
    weights: SignalWeights,
) -> MemberProfile:
    """Profile from signals; `text_vectors` encodes `profile_texts(signals)` in that order."""
    per_row: dict[int, float] = {}
    strongest: dict[int, tuple[float, SignalKind]] = {}
    excluded: set[int] = set()
    for signal in signals.items:
        if signal.kind in EXCLUDING_KINDS:
            excluded.add(signal.item_id)
        row = catalog.row_of.get(signal.item_id)
        if row is None:
            continue
        weight = weights.of(signal, now)
        per_row[row] = per_row.get(row, 0.0) + weight
        if weight > strongest.get(row, (float("-inf"), signal.kind))[0]:
            strongest[row] = (weight, signal.kind)
    item_rows = np.fromiter(per_row, dtype=np.int64, count=len(per_row))
    item_weights = np.fromiter(per_row.values(), dtype=np.float64, count=len(per_row))
    interests = tuple(dict.fromkeys(t.strip() for t in signals.interests if t.strip()))
    messages = [m for m in signals.messages if m.text.strip()]
    dim = catalog.semantic.shape[1]
    vectors = np.asarray(text_vectors, dtype=np.float32).reshape(-1, dim)
    if len(vectors) != len(interests) + len(messages):
        raise ValueError("text_vectors must encode profile_texts(signals)")
    interest_weights = np.full(len(interests), weights.interest, dtype=np.float64)
    message_weights = np.array(
        [weights.message * weights.decay(m.at, now) for m in messages], dtype=np.float64
    )
    conversation = float(message_weights.sum())
    total = float(np.abs(item_weights).sum() + interest_weights.sum() + conversation)
    scale = 1.0 / total if total > 0 else 0.0
    item_w = (item_weights * scale).astype(np.float32)
    interest_w = (interest_weights * scale).astype(np.float32)
    interest_semantic = vectors[: len(interests)]
    conversation_semantic = np.zeros(dim, dtype=np.float32)
    conversation_lexical = sparse.csr_matrix((1, catalog.lexical.shape[1]), dtype=np.float32)
    if messages:
        share = (message_weights / conversation).astype(np.float32)
        conversation_semantic = share @ vectors[len(interests) :]
        lexical = catalog.lexical_of([m.text for m in messages])
        conversation_lexical = sparse.csr_matrix(share[None, :] @ lexical, dtype=np.float32)
    semantic = np.zeros(dim, dtype=np.float32)
    if len(item_rows):
        semantic += item_w @ catalog.semantic[item_rows]
    if interests:
        semantic += interest_w @ interest_semantic
    semantic += np.float32(conversation * scale) * conversation_semantic
    return MemberProfile(
        member_id=signals.member_id,
        item_rows=item_rows,
        item_weights=item_w,
        item_reasons=np.array(
            [CODE[ITEM_REASON[strongest[int(r)][1]]] for r in item_rows], dtype=np.int64
        ),
        interests=interests,
        interest_semantic=interest_semantic,
        interest_lexical=catalog.lexical_of(interests),
        interest_weights=interest_w,
        conversation_semantic=conversation_semantic,
        conversation_lexical=conversation_lexical,
        conversation_weight=conversation * scale,
        semantic=semantic,
        excluded=frozenset(excluded),
        excluded_rows=catalog.known_rows(sorted(excluded)),
    )


def profile_texts(signals: MemberSignals) -> Sequence[str]:
    """The free texts of a profile, interests first; the caller embeds them (with a cache)."""
    interests = dict.fromkeys(t.strip() for t in signals.interests if t.strip())
    return [*interests, *(m.text for m in signals.messages if m.text.strip())]
