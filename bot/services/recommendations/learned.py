"""The learned ranker in the bot: `recommender.blend` over the community's own history.

Members with a few attended sessions are ranked by the learned blend of series, group,
text, habit, popularity and co-attendance features (issue 15); members with less are
ranked by the hybrid (interests, messages, popularity). The blend is refitted at most once
a day, from the 15-minute refresh job, in a thread (never on the event loop); until the
first fit, and while the community has too little history, it uses fixed weights. Each
pick's reason is the feature that lifted it most, said only when that lift is large.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np

from bot.core.clock import Clock
from bot.core.offload import off_loop
from bot.services.recommendations.blend_reasons import DeclaredInterests, Explainer, ragged

if TYPE_CHECKING:
    from scipy import sparse

    from recommender import Rankings
    from recommender.blend import Feedback, LinearBlend
    from recommender.features import ItemTable, RsvpHistory
    from storage.rows.events import EventRow, RsvpRow
    from storage.rows.recommendations import RecommendationVoteRow

logger = logging.getLogger(__name__)

REFIT_EVERY = timedelta(days=1)
MIN_HISTORY = 3  # attended sessions before the learned blend ranks a member
HELD = frozenset({"going", "maybe", "waitlist", "offered"})  # answers that say "I'm in"
CHUNK = 2048  # members scored together: one (CHUNK, C) float32 block at a time
# Above this many members the per-member arrays (snapshot, results) have grown, so blocks
# halve to keep the peak within 2x the raw 8,192-row score block (G4); smaller blocks cost
# ~30 % more time in per-block overhead, so only where memory needs it.
LARGE = 16_384
# Blocks ranked at once. Most of a block's time is numpy passes that release the GIL but run
# on one core each (only the products use torch's pool): two blocks keep two cores busy.
WORKERS = 2


@dataclass(frozen=True, slots=True)
class BlendInputs:
    """The community as the blend's arrays, built with the catalogue (same rows)."""

    table: ItemTable
    log: RsvpHistory
    feedback: Feedback
    event_ids: np.ndarray  # item row -> event id
    row_of_event: Mapping[int, int]
    row_of_member: Mapping[int, int]

    @classmethod
    def build(cls, events: Sequence[EventRow], rsvps: Sequence[RsvpRow],
              votes: Sequence[RecommendationVoteRow], texts: Sequence[str],
              semantic: np.ndarray, lexical: sparse.csr_matrix | None = None) -> BlendInputs:
        """From the loaded history; `texts`, `semantic` and `lexical` follow `events`.

        `lexical` is the catalogue's TF-IDF matrix (one vectorizer fit per rebuild).
        """
        from recommender.blend import Feedback
        from recommender.features import ItemTable, RsvpHistory

        row_of_event = {e.id: n for n, e in enumerate(events)}
        members: dict[int, int] = {}
        held = [r for r in rsvps if r.event_id in row_of_event
                and (r.status in HELD or r.checked_in_at is not None)]
        refused = [(r.member_id, r.event_id, r.updated_at, 0) for r in rsvps
                   if r.event_id in row_of_event and r.status == "no"]
        voted = [(v.member_id, v.event_id, v.updated_at, int(v.vote == "up"))
                 for v in votes if v.event_id in row_of_event]
        for member_id in [r.member_id for r in held] + [m for m, *_ in refused + voted]:
            members.setdefault(member_id, len(members))
        starts = np.array([e.starts_at.timestamp() for e in events], dtype=np.float64)
        table = ItemTable.build(list(texts), semantic, starts,
                                [str(e.created_by or "") for e in events], lexical,
                                np.array([e.created_at.timestamp() for e in events]))
        log = RsvpHistory(
            member=np.array([members[r.member_id] for r in held], dtype=np.int64),
            item=np.array([row_of_event[r.event_id] for r in held], dtype=np.int64),
            created=np.array([r.created_at.timestamp() for r in held], dtype=np.float64),
            n_members=len(members),
        )
        said = refused + voted
        feedback = Feedback(
            member=np.array([members[m] for m, *_ in said], dtype=np.int64),
            item=np.array([row_of_event[e] for _, e, *_ in said], dtype=np.int64),
            created=np.array([at.timestamp() for *_, at, _ in said], dtype=np.float64),
            label=np.array([label for *_, label in said], dtype=np.int64),
        )
        ids = np.array([e.id for e in events], dtype=np.int64)
        return cls(table, log, feedback, ids, row_of_event, members)


class LearnedRanker:
    """The current blend and its refits; ranking is pure computation (call it in a thread)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._blend: LinearBlend | None = None
        self._fitted_at: datetime | None = None

    @property
    def blend(self) -> LinearBlend:
        """The learned blend once fitted on enough history, else the fixed weights."""
        from recommender.blend import FIXED

        return self._blend or FIXED

    def due(self) -> bool:
        """Whether a refit is due (never fitted, or the last fit is a day old)."""
        return self._fitted_at is None or self._clock.now() - self._fitted_at >= REFIT_EVERY

    async def refit(self, community: BlendInputs,
                    interests: DeclaredInterests | None = None) -> bool:
        """Fit on a time split of what is known now, in a thread; True if learned.

        With `interests` the blend learns the weight of declared interests itself.
        """
        from recommender.blend import fit_blend, training_set

        now = self._clock.now()

        def fit() -> LinearBlend:
            by_row = sorted(community.row_of_member, key=community.row_of_member.__getitem__)
            said = None if interests is None else interests.block(by_row)
            x, y, weights = training_set(community.table, community.log, now.timestamp(),
                                         feedback=community.feedback, min_history=MIN_HISTORY,
                                         interests=said)
            return fit_blend(x, y, weights)

        blend = await off_loop(fit)  # the bounded CPU pool, as ranking uses
        self._blend, self._fitted_at = blend, now
        logger.info("recommendation blend refitted (%s)",
                    "learned" if blend.learned else "too little history: fixed weights")
        return blend.learned

    def rank(
        self,
        community: BlendInputs,
        member_ids: Sequence[int],
        candidates: Collection[int],
        k: int,
        exclude: Mapping[int, Collection[int]] | None = None,
        interests: DeclaredInterests | None = None,
    ) -> Rankings:
        """Top `k` of `candidates` for those `member_ids` with enough history (others absent).

        A member's own answers, declines and 👎 are never suggested, nor what `exclude`
        lists for them; `interests` (declared, embedded) count as the blend's interest
        feature. Results are arrays (G4): `Rankings.row` builds one member's list.
        """
        from recommender import Rankings
        from recommender.features import FeatureSpace
        from recommender.member_parts import RankingAids
        from recommender.scoring import BlockScorer

        snap = community.log.snapshot(community.table, self._clock.now().timestamp())
        attended = np.diff(snap.past.indptr)
        rows = np.fromiter(map(community.row_of_member.get, member_ids, repeat(-1)), np.int64,
                           len(member_ids))
        warm = np.flatnonzero(rows >= 0)
        warm = warm[attended[rows[warm]] >= MIN_HISTORY]
        ids, rows = np.asarray(member_ids, dtype=np.int64)[warm], rows[warm]
        del attended, warm  # per-member temporaries: not alive through the blocks (G4 peak)
        cands = np.array(sorted(community.row_of_event[c] for c in candidates
                                if c in community.row_of_event), dtype=np.int64)
        if not len(ids) or not len(cands):
            return Rankings.empty(np.zeros(0, dtype=np.int64), k)
        # The scorer's TF-IDF Gram table needs only the attended items: built on the pool
        # meanwhile the space is, on this thread (G4: the setup ran on one core).
        table = community.table
        used = np.flatnonzero(np.bincount(snap.past.indices, minlength=len(table)))
        with ThreadPoolExecutor(WORKERS) as pool:
            aids = pool.submit(RankingAids.build, table.lexical, table.semantic, used, cands)
            space = FeatureSpace.build(table, snap, cands,  # once for every block
                                       labels=None if interests is None else interests.vectors,
                                       pool=pool)
            # Members who first came at the same session share series defaults: kept together.
            order = np.argsort(space.first_sessions(rows), kind="stable")
            ids, rows = ids[order], rows[order]
            del order
            column = np.full(len(community.table), -1, dtype=np.int64)
            column[cands] = np.arange(len(cands))
            excluded = Exclusions(community, rows, column, exclude or {})
            blend = _with_interest(self.blend) if interests is not None else self.blend
            small = community.event_ids.max(initial=0) <= np.iinfo(np.int32).max  # G4 memory
            out = Rankings.allocate(ids, k, interests.labels if interests is not None else (),
                                    np.int32 if small else np.int64)
            reasons = Explainer(community.table, community.event_ids, space, snap.past, blend,
                                interests)
            blocks = -(-len(ids) // (CHUNK if len(ids) <= LARGE else CHUNK // 2))
            size = -(-len(ids) // (blocks + -blocks % WORKERS))  # no worker idles at the end

            def block(start: int) -> None:
                stop = min(start + size, len(ids))
                said = None if interests is None else interests.weights(ids[start:stop].tolist())
                ranked = scorer.rank(rows[start:stop], k, own=True, interests=said,
                                     exclude=excluded.block(start, ids[start:stop]))
                out.put(start, reasons.explain(ids[start:stop], rows[start:stop], ranked))

            scorer = BlockScorer(space, blend, rows, aids.result())
            for _ in pool.map(block, range(0, len(ids), size)):  # a block's error raises here
                pass
        return out


class Exclusions:
    """(member position, candidate column) pairs never to suggest, one block at a time.

    Declines and 👎 from the feedback log, and the caller's per-member event ids; built as
    arrays for the block's members only, so they stay as small as a block (G4 memory).
    """

    def __init__(self, community: BlendInputs, rows: np.ndarray, column: np.ndarray,
                 exclude: Mapping[int, Collection[int]]) -> None:
        position = np.full(community.log.n_members, -1, dtype=np.int64)
        position[rows] = np.arange(len(rows))
        said = community.feedback
        refused = said.label == 0
        who, where = position[said.member[refused]], column[said.item[refused]]
        keep = (who >= 0) & (where >= 0)
        order = np.argsort(who[keep], kind="stable")
        self._said = who[keep][order], where[keep][order]
        self._column = column
        self._exclude = exclude
        self._sorter = np.argsort(community.event_ids)
        self._event_ids = community.event_ids

    def block(self, start: int, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs for the members `ids` at positions `start…` (rows relative to the block)."""
        keys = ids.tolist()
        counts, events = ragged(self._exclude, keys)
        who = np.repeat(np.arange(len(keys)), counts)
        if len(self._sorter) and len(events):
            at = np.minimum(np.searchsorted(self._event_ids, events, sorter=self._sorter),
                            len(self._sorter) - 1)
            item = self._sorter[at]
            known = self._event_ids[item] == events
            who, where = who[known], self._column[item[known]]
        else:
            where = np.zeros(0, dtype=np.int64)
        lo, hi = np.searchsorted(self._said[0], [start, start + len(keys)])
        who = np.concatenate([who, self._said[0][lo:hi] - start])
        where = np.concatenate([where, self._said[1][lo:hi]])
        return who[where >= 0], where[where >= 0]


def _with_interest(blend: LinearBlend) -> LinearBlend:
    """`blend` with declared interests weighed as history meaning when it never saw them.

    A blend refitted while nobody had declared interests learned an interest weight of 0;
    a declared interest is the same kind of evidence as the meaning of what a member
    attended, so it takes that feature's weight.
    """
    from recommender.features import F

    i, e = F["interest"], F["embedding"]
    if not blend.learned or blend.coef[i] != 0.0:
        return blend
    coef = blend.coef.copy()
    coef[i] = blend.coef[e] / blend.scale[e] * blend.scale[i]
    return replace(blend, coef=coef)
