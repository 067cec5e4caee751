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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from bot.core.clock import Clock
from bot.core.offload import off_loop

if TYPE_CHECKING:
    from scipy import sparse

    from recommender import Recommendation
    from recommender.blend import Feedback, LinearBlend, Ranked
    from recommender.features import ItemTable, RsvpHistory
    from storage.rows.events import EventRow, RsvpRow
    from storage.rows.recommendations import RecommendationVoteRow

logger = logging.getLogger(__name__)

REFIT_EVERY = timedelta(days=1)
MIN_HISTORY = 3  # attended sessions before the learned blend ranks a member
REASON_LIFT = 0.5  # log-odds a feature must add over an average session to be the reason
HELD = frozenset({"going", "maybe", "waitlist", "offered"})  # answers that say "I'm in"
CHUNK = 512  # members whose feature block is computed together
# The feature that lifted a pick most -> the reason kind said (series and text features
# name the attended session closest to the pick instead).
FEATURE_REASON = {"group": "group", "group_rate": "group", "habit": "habit",
                  "weekday": "habit", "daypart": "habit", "popularity": "popular",
                  "momentum": "popular", "series_popularity": "popular",
                  "co_attendance": "members_like_you", "soon": "soon"}
# Features whose reason is the attended session closest to the pick ("you attended X").
ANCHORED = frozenset({"series", "series_share", "series_rate", "tfidf", "embedding"})


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
                                [str(e.created_by or "") for e in events], lexical)
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

    async def refit(self, community: BlendInputs) -> bool:
        """Fit on a time split of what is known now, in a thread; True if learned."""
        from recommender.blend import fit_blend, training_set

        now = self._clock.now()

        def fit() -> LinearBlend:
            x, y, weights = training_set(community.table, community.log, now.timestamp(),
                                         feedback=community.feedback, min_history=MIN_HISTORY)
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
    ) -> dict[int, list[Recommendation]]:
        """Top `k` of `candidates` for those `member_ids` with enough history (others absent).

        A member's own answers, declines and 👎 are never suggested.
        """
        from recommender.scoring import rank_members

        now = self._clock.now().timestamp()
        snap = community.log.snapshot(community.table, now)
        attended = np.diff(snap.past.indptr)
        warm = [m for m in member_ids if m in community.row_of_member
                and attended[community.row_of_member[m]] >= MIN_HISTORY]
        cands = np.array(sorted(community.row_of_event[c] for c in candidates
                                if c in community.row_of_event), dtype=np.int64)
        out: dict[int, list[Recommendation]] = {}
        if not warm or not len(cands):
            return out
        from recommender.features import FeatureSpace

        space = FeatureSpace.build(community.table, snap, cands)  # once for every block
        said = community.feedback
        refused = said.label == 0
        column = np.full(len(community.table), -1, dtype=np.int64)
        column[cands] = np.arange(len(cands))
        for start in range(0, len(warm), CHUNK):
            ids = warm[start : start + CHUNK]
            rows = np.array([community.row_of_member[m] for m in ids], dtype=np.int64)
            # Never again: own RSVPs, declines and 👎, and what the caller excludes.
            mask = np.asarray(snap.known[rows][:, cands].todense()) > 0
            local = np.full(community.log.n_members, -1, dtype=np.int64)
            local[rows] = np.arange(len(rows))
            who, where = local[said.member[refused]], column[said.item[refused]]
            hit = (who >= 0) & (where >= 0)
            mask[who[hit], where[hit]] = True
            for n, member_id in enumerate(ids):
                extra = [community.row_of_event[e] for e in (exclude or {}).get(member_id, ())
                         if e in community.row_of_event]
                cols = column[np.asarray(extra, dtype=np.int64)]
                mask[n, cols[cols >= 0]] = True
            ranked = rank_members(space, self.blend, rows, k, exclude=mask)
            for n, member_id in enumerate(ids):
                out[member_id] = self._explain(community, snap.past, int(rows[n]), ranked, n)
        return out

    def _explain(self, community: BlendInputs, past: sparse.csr_matrix, row: int,
                 ranked: Ranked, n: int) -> list[Recommendation]:
        """Each pick with the feature that lifted it most, if it lifted it enough."""
        from recommender import Reason, ReasonKind, Recommendation
        from recommender.explain import NO_REASON

        table = community.table
        names = self.blend.names
        mine = past[row].indices
        out: list[Recommendation] = []
        for slot, item in enumerate(ranked.items[n]):
            if item < 0:
                continue
            lifts = ranked.contributions[n, slot]
            best = int(np.argmax(lifts))
            feature = names[best]
            reason = NO_REASON
            if lifts[best] >= REASON_LIFT:
                if feature in ANCHORED and len(mine):
                    # The attended session closest to the pick (its own series first).
                    close = (table.lexical[mine] @ table.lexical[item].T).toarray().ravel()
                    close += table.semantic[mine] @ table.semantic[item]
                    close += 2.0 * (table.series[mine] == table.series[item])
                    anchor = int(mine[int(np.argmax(close))])
                    reason = Reason(ReasonKind.ATTENDED, item_id=int(community.event_ids[anchor]))
                else:
                    reason = Reason(ReasonKind(FEATURE_REASON.get(feature, "none")))
            out.append(Recommendation(int(community.event_ids[item]),
                                      float(ranked.scores[n, slot]), reason))
        return out
