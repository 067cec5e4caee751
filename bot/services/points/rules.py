"""The rules that award for activity: chat messages (cooldown, anti-spam) and reactions.

Near-duplicate detection keeps only MinHash signatures of recent messages, never the text.
The per-process caches in :class:`ChatRule` only spare the database a check it would make
anyway; the locked rule state in the database stays the truth across processes.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import struct
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.dispatch import MessageContext
from bot.core.turns import GroupCommit, Turns
from bot.services.points.ledger import Ledger
from bot.services.points.periods import local_day
from bot.services.points.roles import RoleSync
from bot.services.points.terms import Terms
from bot.services.points.views import Award, AwardResult
from storage import Database

SIGNATURE_SIZE = 16
SHINGLE = 4
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_WORDS = struct.Struct(f"<{SIGNATURE_SIZE}I")
BATCH = 256  # awards written in one unit at most: python-telegram-bot runs 256 updates at once


@dataclass(frozen=True, slots=True)
class _Ask:
    """A message waiting for its award, its text already judged and fingerprinted."""

    context: MessageContext
    signature: list[int] | None

    @property
    def member_id(self) -> int:
        return self.context.member.member_id


def normalise(text: str) -> str:
    """Lower-case, accents and punctuation folded away, whitespace collapsed."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", folded).split())


def fingerprint(text: str) -> list[int]:
    """A MinHash signature of the normalised text's character shingles.

    Only the signature is stored (never the text); two messages' Jaccard similarity is the
    share of equal positions. One BLAKE2 digest per shingle gives all positions, and it is
    stable across processes (``hash()`` is salted).
    """
    norm = normalise(text)
    if len(norm) < SHINGLE:
        shingles = {norm}
    else:
        shingles = {norm[i:i + SHINGLE] for i in range(len(norm) - SHINGLE + 1)}
    mins = [2**32] * SIGNATURE_SIZE
    for shingle in shingles:
        digest = hashlib.blake2b(shingle.encode(), digest_size=4 * SIGNATURE_SIZE).digest()
        mins = list(map(min, mins, _WORDS.unpack(digest)))  # 16 little-endian uint32s
    return mins


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of two signatures."""
    if len(a) != len(b) or not a:
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


class ChatRule:
    """Points for chat messages and for reactions received, with their limits."""

    def __init__(self, db: Database, terms: Terms, ledger: Ledger, roles: RoleSync,
                 rng: random.Random) -> None:
        self._db = db
        self._terms = terms
        self._ledger = ledger
        self._roles = roles
        self._rng = rng
        # Hot-path caches (per process; the database stays the truth, so a stale entry
        # only sends a message to the database check it would have had anyway).
        self._last_award: dict[int, datetime] = {}
        self._recent: dict[int, list[list[int]]] = {}
        self._turns = Turns()  # one judgement per member at a time (a burst, G10)
        self._batches = GroupCommit(self._award_batch, BATCH)

    async def on_message(self, context: MessageContext) -> AwardResult | None:
        """The chat-message rule: cooldown, no DMs, no short or repeated text, exclusions.

        When the platform withholds the text (Discord without the Message Content intent)
        only the cooldown applies: the text rules need text to judge.
        """
        incoming, member_id = context.incoming, context.member.member_id
        rules = self._terms.rules
        judged = not incoming.text_hidden
        if incoming.place.is_direct or self._excluded(incoming.place.place_id,
                                                      incoming.place.name, incoming.roles):
            return None
        now = incoming.received_at
        if self._cooling(member_id, now):  # first: most of a burst stops here, cheaply
            return None
        async with self._turns.turn(member_id):
            # The text is judged only once it is this message's turn: the member's other
            # messages of a burst waited here for the award in flight, and now stop at its
            # cooldown without hashing their text (that hashing was most of a burst's CPU).
            if self._cooling(member_id, now):
                return None
            if judged and len(normalise(incoming.text)) < rules.message_min_length:
                return None
            signature = fingerprint(incoming.text) if judged else None
            if signature is not None and self._repeats(signature,
                                                       self._recent.get(member_id, [])):
                return None
            result = await self._award_message(context, signature)
        if result is not None and result.levelled_up:
            await self._roles.sync()
        return result

    def _cooling(self, member_id: int, now: datetime) -> bool:
        """Whether the member's last award (as this process knows it) is still cooling."""
        last = self._last_award.get(member_id)
        return last is not None and now - last < timedelta(
            seconds=self._terms.rules.message_cooldown_seconds)

    async def _award_message(self, context: MessageContext, signature: list[int] | None
                             ) -> AwardResult | None:
        """Judge the message against the stored rule state and award it.

        Messages of different members that wait together are judged and written in one
        unit (a group commit); the caller's award is committed when this returns.
        """
        result = await self._batches.submit(_Ask(context, signature))
        self._db.note_commit()  # committed for this caller (its error policy won't rerun it)
        return result

    async def _award_batch(self, asks: list[_Ask]) -> list[AwardResult | None]:
        """Judge each message against its member's stored rule state; award in one unit."""
        rules = self._terms.rules
        cooldown = timedelta(seconds=rules.message_cooldown_seconds)
        grants: dict[int, Award] = {}
        fresh: dict[int, tuple[datetime, list[list[int]]]] = {}
        async with self._db.unit() as unit:
            states = await unit.points.states([ask.member_id for ask in asks])
            for n, ask in enumerate(asks):
                incoming, member_id = ask.context.incoming, ask.member_id
                now, state = incoming.received_at, states[member_id]
                recent: list[list[int]] = json.loads(state.fingerprints)
                self._recent[member_id] = recent
                if state.last_message_at is not None and now - state.last_message_at < cooldown:
                    self._last_award[member_id] = state.last_message_at
                    continue
                if ask.signature is not None:
                    if self._repeats(ask.signature, recent):
                        continue
                    recent = [ask.signature, *recent][: rules.duplicate_window]
                state.last_message_at = now
                state.fingerprints = json.dumps(recent)
                fresh[member_id] = (now, recent)
                grants[n] = Award(
                    member_id, self._rng.randint(rules.message_min, rules.message_max),
                    "message", "chat message",
                    f"msg:{incoming.author.platform}:{incoming.place.place_id}:"
                    f"{incoming.source_id}", now)
            awarded = await self._ledger.record_many(unit, list(grants.values()))
        for member_id, (now, recent) in fresh.items():
            self._last_award[member_id], self._recent[member_id] = now, recent
        results = dict(zip(grants, awarded, strict=True))
        return [results.get(n) for n in range(len(asks))]

    async def reaction_received(self, member_id: int, source_key: str, at: datetime,
                                place_id: str = "", place_name: str = "") -> AwardResult | None:
        """Points for a reaction to the member's message, up to a daily cap."""
        if self._terms.rules.reaction_points <= 0 or self._excluded(place_id, place_name, ()):
            return None
        day = str(local_day(at, self._terms.zone))
        async with self._db.unit() as unit:
            state = await unit.points.state(member_id)
            if state.reaction_day != day:
                state.reaction_day, state.reactions = day, 0
            if state.reactions >= self._terms.rules.reaction_daily_cap:
                return None
            result = await self._ledger.record(unit, member_id, self._terms.rules.reaction_points,
                                               "reaction", "reaction received",
                                               f"reaction:{source_key}", at=at)
            if result is not None:
                state.reactions += 1
        return result

    def _excluded(self, place_id: str, place_name: str, roles: Sequence[str]) -> bool:
        channels = {c.lower().lstrip("#") for c in self._terms.rules.excluded_channels}
        if place_id.lower() in channels or place_name.lower().lstrip("#") in channels:
            return True
        excluded_roles = {r.lower() for r in self._terms.rules.excluded_roles}
        return any(r.lower() in excluded_roles for r in roles)

    def _repeats(self, signature: list[int], recent: Sequence[Sequence[int]]) -> bool:
        return any(similarity(signature, r) >= self._terms.rules.duplicate_similarity
                   for r in recent)
