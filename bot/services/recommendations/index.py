"""What rankings are computed over: members' history, session vectors and the catalogue.

Session texts are embedded once per (model, text hash) and stored, so a warm cache encodes
nothing on a recommendation request; encoding and ranking run in the bounded off-loop pool
(PERFORMANCE.md G5, G6). The catalogue is rebuilt only when sessions or answers change.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from bot.core.clock import Clock
from bot.core.model import Member
from bot.core.offload import off_loop
from bot.core.values import split_tags
from bot.services.recommendations.learned import BlendInputs
from bot.services.recommendations.model import Model
from bot.services.recommendations.views import Session
from config.settings import RecommenderSettings
from storage import Database, Unit
from storage.rows.events import EventRow, FeedbackRow, RsvpRow
from storage.rows.members import MemberRow
from storage.rows.recommendations import RecommendationVoteRow

if TYPE_CHECKING:  # the library (scikit-learn, scipy) is imported in a thread on first use
    from recommender import Encoder, MemberSignals, MessageSignal, Recommender

logger = logging.getLogger(__name__)

ENCODE_CHUNK = 256  # texts per thread hop, so one hop stays short (G6 loop lag)
MAX_TEXT_CACHE = 20_000  # interest and message vectors kept in memory
HISTORY_DAYS = 365  # sessions (and answers to them) that shape profiles
MESSAGE_DAYS = 90  # members' recent texts that shape profiles
MAX_MESSAGES = 50  # recent texts per member at most
# RSVP status -> recommender.SignalKind value (every answer keeps a session off the list).
ANSWERED = {"going": "rsvped", "maybe": "rsvped", "waitlist": "rsvped", "offered": "rsvped",
            "expired": "rsvped", "no": "declined"}
INTEREST_SPLIT = re.compile(r"[,;\n/]+")


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The catalogue ranked against, rebuilt when sessions, answers or the encoder change."""

    fingerprint: str
    encoder: Encoder
    recommender: Recommender
    sessions: Mapping[int, Session]
    community: BlendInputs  # the same sessions and answers as the learned blend's arrays


@dataclass(slots=True)
class History:
    """What the database knows about members' sessions, loaded in one unit."""

    events: list[EventRow]
    rsvps: list[RsvpRow]
    ratings: list[FeedbackRow]
    votes: list[RecommendationVoteRow] = field(default_factory=list)
    texts: dict[int, list[MessageSignal]] = field(default_factory=dict)
    solved_tags: dict[int, list[str]] = field(default_factory=dict)
    rules: dict[int, str] = field(default_factory=dict)  # series id -> RRULE


def session_text(row: EventRow) -> str:
    """What a session is about: title, tags and description."""
    tags = ", ".join(split_tags(row.tags))
    return ". ".join(p for p in (row.title, tags, row.description) if p)


class SessionIndex:
    """Loads history, keeps session and text vectors, and builds the catalogue."""

    def __init__(self, db: Database, clock: Clock, model: Model,
                 settings: RecommenderSettings) -> None:
        self._db = db
        self._clock = clock
        self._model = model
        self._settings = settings
        self._session_vectors: dict[tuple[str, str], np.ndarray] = {}
        self.text_vectors: dict[tuple[str, str], np.ndarray] = {}
        self._catalogue: Catalogue | None = None
        self.lock = asyncio.Lock()  # rankings share the text-vector cache

    async def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of free texts (interests) under the current encoder, cached in memory."""
        from recommender import embed_with_cache

        await self._model.library()
        encoder = self._model.current()
        async with self.lock:
            if len(self.text_vectors) > MAX_TEXT_CACHE:
                self.text_vectors.clear()
            return await off_loop(embed_with_cache, encoder, list(texts),
                                  self.text_vectors)

    async def refresh(self) -> int:
        """Embed new or edited session texts now, so requests find them cached; returns new.

        This never starts the model load itself (start() and first use do), so a sweep of
        every job in a test or the console does not pull in the model.
        """
        await self._model.library()
        encoder = self._model.loaded or self._model.tfidf()
        since = self._clock.now() - timedelta(days=HISTORY_DAYS)
        async with self._db.unit() as unit:
            events = await unit.recommendations.events_since(since)
        before = len(self._session_vectors)
        await self._session_matrix(encoder, [session_text(e) for e in events])
        return len(self._session_vectors) - before

    async def _session_matrix(self, encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
        """Stored vectors for session texts; only texts never seen are encoded (and stored)."""
        from recommender import TfidfEncoder, text_hash

        keys = [(encoder.name, text_hash(t)) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True)
                   if k not in self._session_vectors}
        persistent = not isinstance(encoder, TfidfEncoder)  # TF vectors are cheaper to redo
        if missing and persistent:
            async with self._db.unit() as unit:
                stored = await unit.recommendations.embeddings(encoder.name,
                                                               [h for _, h in missing])
            for digest, raw in stored.items():
                vector = np.frombuffer(raw, dtype=np.float32)
                if len(vector) == encoder.dim:
                    key = (encoder.name, digest)
                    self._session_vectors[key] = vector
                    missing.pop(key, None)
        if missing:
            fresh = list(missing.items())
            for start in range(0, len(fresh), ENCODE_CHUNK):
                chunk = fresh[start : start + ENCODE_CHUNK]
                vectors = await off_loop(encoder.encode, [t for _, t in chunk])
                for (key, _), vector in zip(chunk, vectors, strict=True):
                    self._session_vectors[key] = np.asarray(vector, dtype=np.float32)
            if persistent:
                now = self._clock.now()
                async with self._db.unit() as unit:
                    await unit.recommendations.add_embeddings([
                        {"model": name, "text_hash": digest, "dim": encoder.dim,
                         "vector": self._session_vectors[(name, digest)].tobytes(),
                         "created_at": now}
                        for (name, digest), _ in fresh
                    ])
            logger.info("embedded %d session texts with %s", len(fresh), encoder.name)
        if not keys:
            return np.zeros((0, encoder.dim), dtype=np.float32)
        return np.stack([self._session_vectors[k] for k in keys])

    async def history(self, unit: Unit, member_ids: Sequence[int] | None) -> History:
        """Sessions, answers, ratings, votes, solved tags and recent texts of ``member_ids``."""
        from recommender import MessageSignal

        now = self._clock.now()
        since = now - timedelta(days=HISTORY_DAYS)
        repo = unit.recommendations
        history = History(
            events=await repo.events_since(since),
            rsvps=await repo.rsvps_since(since),
            ratings=await repo.ratings_since(since),
        )
        history.votes = await repo.votes(None)  # everyone's: the learned blend reads them
        history.rules = {s.id: s.rrule for s in await unit.series.active()}
        history.solved_tags = {
            member_id: list(split_tags(",".join(lists)))
            for member_id, lists in (await repo.solved_tags(member_ids)).items()}
        texts_since = now - timedelta(days=MESSAGE_DAYS)
        if member_ids:
            # One query for every member's recent texts (a digest covers many members).
            texts = await unit.texts.recent_for(member_ids, texts_since, MAX_MESSAGES)
            for member_id in member_ids:
                history.texts[member_id] = [MessageSignal(r.text, r.created_at)
                                            for r in texts.get(member_id, [])]
        return history

    async def catalogue(self, encoder: Encoder, history: History) -> Catalogue:
        """The catalogue and co-attendance for these events, reused while nothing changed."""
        from recommender import Catalog, CoAttendance, Interaction, Item, Recommender, text_hash

        attended = sorted((r.member_id, r.event_id) for r in history.rsvps
                          if r.status == "going" or r.checked_in_at is not None)
        texts = [session_text(e) for e in history.events]
        digest = hashlib.sha256(encoder.name.encode())
        for event, text in zip(history.events, texts, strict=True):
            digest.update(f"{event.id}|{text_hash(text)}|{event.starts_at.timestamp()}|"
                          f"{event.status}|{event.capacity}|{event.audience}|"
                          f"{event.series_id}|{history.rules.get(event.series_id or 0)}\n"
                          .encode())
        answers = sorted((r.member_id, r.event_id, r.status, r.checked_in_at is not None)
                         for r in history.rsvps)
        digest.update(repr(answers).encode())
        digest.update(repr(sorted((v.member_id, v.event_id, v.vote)
                                  for v in history.votes)).encode())
        fingerprint = digest.hexdigest()
        cached = self._catalogue
        if cached is not None and cached.fingerprint == fingerprint and cached.encoder is encoder:
            return cached
        vectors = await self._session_matrix(encoder, texts)
        going: dict[int, int] = {}
        for rsvp in history.rsvps:
            if rsvp.status in ("going", "offered"):
                going[rsvp.event_id] = going.get(rsvp.event_id, 0) + 1
        sessions = {
            e.id: Session(e.id, e.title, e.starts_at, e.timezone, e.audience, e.capacity,
                          going.get(e.id, 0), e.status == "scheduled", e.series_id,
                          history.rules.get(e.series_id) if e.series_id else None)
            for e in history.events
        }
        items = [Item(e.id, text, e.starts_at) for e, text in zip(history.events, texts,
                                                                      strict=True)]

        def build() -> tuple[Recommender, BlendInputs]:
            catalog = Catalog.build(items, vectors)
            co = CoAttendance.fit((Interaction(m, e) for m, e in attended), catalog)
            return Recommender(catalog, encoder, co), BlendInputs.build(
                history.events, history.rsvps, history.votes, texts, vectors, catalog.lexical)

        recommender, community = await off_loop(build)
        catalogue = Catalogue(fingerprint, encoder, recommender, sessions, community)
        self._catalogue = catalogue
        return catalogue

    def signals(self, member: MemberRow | Member, history: History) -> MemberSignals:
        """What ``member`` did and said, as the recommender reads it."""
        from recommender import ItemSignal, MemberSignals, SignalKind

        member_id = member.id if isinstance(member, MemberRow) else member.member_id
        starts = {e.id: e.starts_at for e in history.events}
        items: list[ItemSignal] = []
        now = self._clock.now()
        for rsvp in history.rsvps:
            if rsvp.member_id != member_id or rsvp.event_id not in starts:
                continue
            held = starts[rsvp.event_id] <= now and (
                rsvp.status == "going" or rsvp.checked_in_at is not None)
            if held:
                items.append(ItemSignal(rsvp.event_id, SignalKind.ATTENDED,
                                        starts[rsvp.event_id]))
            elif rsvp.status in ANSWERED:
                items.append(ItemSignal(rsvp.event_id, SignalKind(ANSWERED[rsvp.status]),
                                        rsvp.updated_at))
        for rating in history.ratings:
            if rating.member_id == member_id:
                items.append(ItemSignal(rating.event_id, SignalKind.RATED, rating.updated_at,
                                        float(rating.rating)))
        for vote in history.votes:
            if vote.member_id == member_id:
                kind = SignalKind.LIKED if vote.vote == "up" else SignalKind.DISLIKED
                items.append(ItemSignal(vote.event_id, kind, vote.updated_at))
        # What a member solved in coding challenges says what they are learning.
        interests = tuple(dict.fromkeys(
            (*split_interests(member.interests), *history.solved_tags.get(member_id, ()))))
        return MemberSignals(
            member_id=member_id,
            interests=interests,
            messages=tuple(history.texts.get(member_id, ())),
            items=tuple(items),
        )

    def candidates(self, catalogue: Catalogue, *, roles: Collection[str] | None,
                   is_admin: bool = False, answered: Collection[int] = ()) -> list[int]:
        """Upcoming, scheduled, accessible and (unless waitlists are suggested) not full.

        A series is one item: only its next such occurrence is a candidate, and none when
        the member already answered an upcoming occurrence (``answered``: event ids), so
        lists show sessions, not copies. ``roles`` None means the member's roles are
        unknown (a digest): audience-limited sessions are then left out rather than guessed.
        """
        now = self._clock.now()
        taken = series_of(catalogue, answered, now)
        nearest: dict[int, Session] = {}
        out = []
        for s in catalogue.sessions.values():
            if not s.scheduled or s.start <= now:
                continue
            if s.audience and not is_admin and (roles is None or s.audience not in roles):
                continue
            if s.full and not self._settings.suggest_waitlist:
                continue
            if s.series_id is None:
                out.append(s.id)
            elif s.series_id not in taken:
                best = nearest.get(s.series_id)
                if best is None or (s.start, s.id) < (best.start, best.id):
                    nearest[s.series_id] = s
        return out + [s.id for s in nearest.values()]


def series_of(catalogue: Catalogue, event_ids: Collection[int],
              now: datetime | None = None) -> set[int]:
    """The series of ``event_ids`` (only of those not started by ``now`` when given)."""
    out = set()
    for event_id in event_ids:
        s = catalogue.sessions.get(event_id)
        if s is not None and s.series_id is not None and (now is None or s.start > now):
            out.add(s.series_id)
    return out


def answered(member_id: int, history: History) -> set[int]:
    """Sessions the member answered (any RSVP) or thumbed down: never suggested again."""
    return ({r.event_id for r in history.rsvps if r.member_id == member_id}
            | {v.event_id for v in history.votes
               if v.member_id == member_id and v.vote == "down"})


def split_interests(text: str) -> tuple[str, ...]:
    """``"python, async; data"`` -> ("python", "async", "data"); one phrase stays whole."""
    return tuple(dict.fromkeys(p.strip() for p in INTEREST_SPLIT.split(text) if p.strip()))
