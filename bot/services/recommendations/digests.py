"""The weekly digest: a few sessions per opted-in member, through the outbox."""

from __future__ import annotations

import logging
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING

from bot.core.clock import Clock
from bot.core.model import Button
from bot.core.offload import off_loop
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from bot.services.recommendations import texts
from bot.services.recommendations.blend_reasons import DeclaredInterests
from bot.services.recommendations.index import SessionIndex, answered, series_of
from bot.services.recommendations.learned import LearnedRanker
from bot.services.recommendations.model import Model
from bot.services.recommendations.views import Suggestion
from config.settings import RecommenderSettings
from storage import Database
from storage.rows.recommendations import DigestRow

if TYPE_CHECKING:
    from recommender import Rankings, Recommendation

logger = logging.getLogger(__name__)


def iso_week(moment: datetime) -> str:
    """``2026-W48``: the ISO week a digest belongs to."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


class Digests:
    """Writes each week's digests (scheduled by the app)."""

    def __init__(self, db: Database, clock: Clock, outbox: Outbox, model: Model,
                 index: SessionIndex, learned: LearnedRanker,
                 settings: RecommenderSettings) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._model = model
        self._index = index
        self._learned = learned
        self._settings = settings

    async def send(self, at: datetime | None = None) -> int:
        """Write the digest of the week of ``at`` (default now) for each opted-in member.

        At most one per member and ISO week (a history row and the outbox key both say so);
        never a session from that member's previous digest; nothing rather than filler.
        ``at`` is the cron period, so a run caught up after a restart keeps its week.
        """
        now = self._clock.now()
        week = iso_week(at or now)
        async with self._db.unit() as unit:
            members = await unit.recommendations.digest_members()
            ids = [m.id for m in members]
            last = await unit.recommendations.last_digests(ids)
            members = [m for m in members if m.id not in last or last[m.id].week != week]
            if not members:
                return 0
        await self._model.library()
        async with self._db.unit() as unit:
            history = await self._index.history(unit, [m.id for m in members])
        encoder = self._model.current()
        catalogue = await self._index.catalogue(encoder, history)
        candidates = self._index.candidates(catalogue, roles=None)
        exclude: dict[int, list[int]] = {}
        for m in members:
            shown = [int(i) for i in last[m.id].event_ids.split(",") if i] if m.id in last else []
            # A series is one item: not again after last week's digest, nor once answered.
            said = answered(m.id, history)
            series = series_of(catalogue, shown) | series_of(catalogue, said, now)
            exclude[m.id] = shown + sorted(said) + [
                c for c in candidates if catalogue.sessions[c].series_id in series]
        signals = [self._index.signals(m, history) for m in members]
        recommender = catalogue.recommender
        size = self._settings.digest_size
        vectors = self._index.text_vectors

        def rank() -> tuple[Rankings, list[tuple[int, list[Recommendation], bool]]]:
            """The learned blend's rankings, and (member, picks, False) from the hybrid."""
            from recommender.explain import vouch

            declared = DeclaredInterests.embed(catalogue.encoder,
                                               {s.member_id: s.interests for s in signals},
                                               vectors)
            learned = self._learned.rank(catalogue.community, [m.id for m in members],
                                         candidates, size, exclude, declared)
            warm = set(learned.member_ids.tolist())
            rest = [s for s in signals if s.member_id not in warm]
            profiles = recommender.profiles(rest, now, vectors)
            rankings = recommender.recommend_all(profiles, candidates, now, k=size,
                                                 exclude=exclude)
            return learned, [(member_id, vouch(recommender.catalog, profile, recs), False)
                             for profile, (member_id, recs) in zip(profiles, rankings,
                                                                   strict=True)]

        async with self._index.lock:
            learned, hybrid = await off_loop(rank)
        # One member's Recommendation objects at a time (G4): the blend's are arrays.
        ranked = chain(((m, recs, True) for m, recs in learned), hybrid)
        by_id = {m.id: m for m in members}
        written = 0
        async with self._db.unit() as unit:
            for member_id, recs, by_blend in ranked:
                sessions = catalogue.sessions
                # Nothing rather than filler: a hybrid pick needs the relevance threshold,
                # a learned pick a feature that clearly lifted it (it has a reason).
                keep = [Suggestion(sessions[r.item_id], r.score,
                                   texts.reason(r.reason, sessions, sessions[r.item_id], now))
                        for r in recs if r.item_id in sessions and (
                            r.reason.kind != "none" if by_blend
                            else r.score >= self._settings.digest_min_score)]
                if not keep:
                    continue
                member = by_id[member_id]
                await unit.recommendations.add_digest(DigestRow(
                    member_id=member_id, week=week,
                    event_ids=",".join(str(s.session.id) for s in keep), created_at=now))
                buttons: list[Button] = []
                for item in keep:
                    buttons.extend(texts.feedback_buttons(item.session.id))
                await self._outbox.put(unit, [Outgoing(
                    key=f"digest:{member_id}:{week}", kind=OutboxKind.DIGEST,
                    text=texts.digest(week, keep, member.timezone, now), due_at=now,
                    member_id=member_id, buttons=tuple(buttons))])
                written += 1
        logger.info("wrote %d weekly digests for %s", written, week)
        return written
