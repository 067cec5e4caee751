"""The weekly digest: a few sessions per opted-in member, through the outbox."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.clock import Clock
from bot.core.model import Button
from bot.core.offload import off_loop
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from bot.services.recommendations import texts
from bot.services.recommendations.index import SessionIndex
from bot.services.recommendations.model import Model
from bot.services.recommendations.views import Suggestion
from config.settings import RecommenderSettings
from storage import Database
from storage.rows.recommendations import DigestRow

if TYPE_CHECKING:
    from recommender import Recommendation

logger = logging.getLogger(__name__)


def iso_week(moment: datetime) -> str:
    """``2026-W48``: the ISO week a digest belongs to."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


class Digests:
    """Writes each week's digests (scheduled by the app)."""

    def __init__(self, db: Database, clock: Clock, outbox: Outbox, model: Model,
                 index: SessionIndex, settings: RecommenderSettings) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._model = model
        self._index = index
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
        exclude = {m.id: [int(i) for i in last[m.id].event_ids.split(",") if i]
                   for m in members if m.id in last}
        signals = [self._index.signals(m, history) for m in members]
        recommender = catalogue.recommender
        size = self._settings.digest_size
        vectors = self._index.text_vectors

        def rank() -> list[tuple[int, list[Recommendation]]]:
            profiles = recommender.profiles(signals, now, vectors)
            return list(recommender.recommend_all(profiles, candidates, now, k=size,
                                                  exclude=exclude))

        async with self._index.lock:
            ranked = await off_loop(rank)
        by_id = {m.id: m for m in members}
        written = 0
        async with self._db.unit() as unit:
            for member_id, recs in ranked:
                keep = [Suggestion(catalogue.sessions[r.item_id], r.score,
                                   texts.reason(r.reason, catalogue.sessions))
                        for r in recs if r.score >= self._settings.digest_min_score
                        and r.item_id in catalogue.sessions]
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
