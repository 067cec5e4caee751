"""Recommendations: the pure `recommender` library fed from the database, off the event loop.

The sentence model loads in its own process some seconds after start-up or on first use
(model.py); until then rankings use TF-IDF vectors. History, vectors and the catalogue are
index.py's; the weekly digest is digests.py's.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Member
from bot.core.offload import off_loop
from bot.services.outbox import Outbox
from bot.services.recommendations import texts
from bot.services.recommendations.blend_reasons import DeclaredInterests
from bot.services.recommendations.digests import Digests
from bot.services.recommendations.index import SessionIndex, answered, split_interests
from bot.services.recommendations.learned import LearnedRanker
from bot.services.recommendations.model import EncoderLoader, Model
from bot.services.recommendations.views import Session, Suggestion, Suggestions
from config.settings import RecommenderSettings
from storage import Database

if TYPE_CHECKING:  # the library (scikit-learn, scipy) is imported in a thread on first use
    from recommender import Encoder, Recommendation

MAX_RESULTS = 10


class RecommendationService:
    """Ranks sessions for members, answers ``/similar``, learns 👍/👎, writes digests."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        outbox: Outbox,
        settings: RecommenderSettings | None = None,
        *,
        loader: EncoderLoader | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        settings = settings or RecommenderSettings()
        self._model = Model(clock, settings, loader)
        self._index = SessionIndex(db, clock, self._model, settings)
        self._learned = LearnedRanker(clock)
        self._digests = Digests(db, clock, outbox, self._model, self._index, self._learned,
                                settings)

    # -- the encoder --------------------------------------------------------------------------

    @property
    def wants_model(self) -> bool:
        """Whether a sentence model is configured (else TF-IDF only)."""
        return self._model.wanted

    @property
    def model_ready(self) -> bool:
        """Whether the sentence model (or its failed-load fallback) is in place."""
        return self._model.loaded is not None

    def encoder(self) -> Encoder:
        """The encoder rankings use now: the model once loaded, TF-IDF until then."""
        return self._model.current()

    def install(self, encoder: Encoder) -> None:
        """Use an already loaded encoder (tests, the evaluation command)."""
        self._model.install(encoder)

    def start(self) -> None:
        """Begin loading the model ``preload_seconds`` after start-up, off the connect path."""
        self._model.start()

    def warm_up(self) -> None:
        """Start loading the model (its own process) if that has not started (never blocks)."""
        self._model.warm_up()

    async def ready(self) -> Encoder:
        """Wait until the model is loaded (or has fallen back) and return the encoder."""
        return await self._model.ready()

    async def aclose(self) -> None:
        """Stop the pending preload (a load already in its thread finishes on its own)."""
        await self._model.aclose()

    async def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of free texts (interests) under the current encoder, cached in memory."""
        return await self._index.embed_texts(texts)

    async def refresh(self) -> int:
        """Embed new or edited session texts now, so requests find them cached; returns new.

        Also refits the learned blend when its last fit is a day old (the job runs every
        15 minutes; the fit itself runs in a thread).
        """
        new = await self._index.refresh()
        if self._learned.due():
            await self.refit()
        return new

    async def refit(self) -> bool:
        """Refit the learned blend on the community's history now; True if it learned."""
        await self._model.library()
        async with self._db.unit() as unit:
            history = await self._index.history(unit, None)
            catalogue = await self._index.catalogue(self._model.loaded or self._model.tfidf(),
                                                    history)
            members = await unit.members.many(list(catalogue.community.row_of_member))
        # Declared interests (and solved challenge tags) are features the blend learns a
        # weight for, as `recommend` reads them.
        said = {m: (*split_interests(row.interests), *history.solved_tags.get(m, ()))
                for m, row in members.items()}
        async with self._index.lock:
            declared = await off_loop(DeclaredInterests.embed, catalogue.encoder, said,
                                      self._index.text_vectors)
        return await self._learned.refit(catalogue.community, declared)

    # -- the commands -------------------------------------------------------------------------

    async def recommend(self, member: Member, count: int = 5, *, roles: Collection[str] = (),
                        is_admin: bool = False) -> Suggestions:
        """Top ``count`` upcoming sessions for ``member`` with a one-line reason each."""
        if not 1 <= count <= MAX_RESULTS:
            raise UserError(f"Ask for 1 to {MAX_RESULTS} sessions, e.g. /recommend 5.")
        await self._model.library()
        encoder = self._model.current()
        now = self._clock.now()
        async with self._db.unit() as unit:
            history = await self._index.history(unit, [member.member_id])
        catalogue = await self._index.catalogue(encoder, history)
        signals = self._index.signals(member, history)
        candidates = self._index.candidates(catalogue, roles=roles, is_admin=is_admin,
                                            answered=answered(member.member_id, history))
        recommender = catalogue.recommender
        vectors = self._index.text_vectors

        skip = {member.member_id: answered(member.member_id, history)}

        def rank() -> tuple[list[Recommendation], bool]:
            from recommender.explain import vouch

            declared = DeclaredInterests.embed(catalogue.encoder,
                                               {member.member_id: signals.interests}, vectors)
            learned = self._learned.rank(catalogue.community, [member.member_id], candidates,
                                         count, skip, declared)
            if len(learned):  # enough history for the learned blend
                return learned.row(0), False
            profile = recommender.profile(signals, now, vectors)
            ranked = recommender.recommend(profile, candidates, now, k=count)
            return vouch(recommender.catalog, profile, ranked), profile.is_cold

        async with self._index.lock:
            ranked, cold = await off_loop(rank)
        sessions = catalogue.sessions
        items = tuple(Suggestion(sessions[r.item_id], r.score,
                                 texts.reason(r.reason, sessions, sessions[r.item_id], now))
                      for r in ranked if r.item_id in sessions)
        return Suggestions(items, cold, encoder.name)

    async def similar(self, event_id: int, count: int = 5, *, roles: Collection[str] = (),
                      is_admin: bool = False) -> tuple[Session, list[Suggestion]]:
        """Upcoming sessions most like session ``event_id``."""
        if not 1 <= count <= MAX_RESULTS:
            raise UserError(f"Ask for 1 to {MAX_RESULTS} sessions.")
        await self._model.library()
        encoder = self._model.current()
        async with self._db.unit() as unit:
            if await unit.events.get(event_id) is None:
                raise UserError(f"There is no session #{event_id}. Send /events to see them.")
            history = await self._index.history(unit, [])
        catalogue = await self._index.catalogue(encoder, history)
        if event_id not in catalogue.sessions:
            raise UserError(f"#{event_id} is too old to compare with today's sessions.")
        source = catalogue.sessions[event_id]
        candidates = [i for i in self._index.candidates(catalogue, roles=roles,
                                                        is_admin=is_admin)
                      if i != event_id and (source.series_id is None
                                            or catalogue.sessions[i].series_id
                                            != source.series_id)]
        recommender = catalogue.recommender
        ranked = await off_loop(recommender.similar_items, event_id, count, candidates)
        return source, [
            Suggestion(catalogue.sessions[r.item_id], r.score, texts.like(source))
            for r in ranked if r.item_id in catalogue.sessions
        ]

    async def vote(self, member: Member, event_id: int, up: bool) -> bool:
        """Record 👍/👎 on a session; True when it replaced an earlier vote."""
        async with self._db.unit() as unit:
            if await unit.events.get(event_id) is None:
                raise UserError(f"There is no session #{event_id}. Send /events to see them.")
            return await unit.recommendations.vote(member.member_id, event_id,
                                                   "up" if up else "down", self._clock.now())

    async def send_digests(self, at: datetime | None = None) -> int:
        """Write the week's digest (the week of ``at``, default now) for opted-in members."""
        return await self._digests.send(at)
