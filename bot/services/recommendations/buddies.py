"""Study buddies: opted-in members with close interests and overlapping active hours.

A proposal names nobody: each side sees only why the other fits. Names and handles are
revealed, by DM through the outbox to both, only once both have accepted.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import numpy as np

from bot.core import values
from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Member
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from bot.services.recommendations import texts
from bot.services.recommendations.index import split_interests
from bot.services.recommendations.service import RecommendationService
from bot.services.recommendations.views import Acceptance, BuddyOffer
from storage import Database, Unit
from storage.rows.members import MemberRow
from storage.rows.recommendations import BuddyProposalRow

logger = logging.getLogger(__name__)

MAX_PROPOSALS = 3
ACTIVITY_DAYS = 60
MIN_ACTIVITY = 5  # fewer interactions than this: guess the hours from the time zone
EVENING = range(18, 23)  # local hours assumed active when activity says nothing yet
INTEREST_SHARE = 0.7  # the rest of a match's score is overlapping hours


def active_hours(times: list[datetime], timezone: str) -> np.ndarray:
    """A member's activity over the 24 UTC hours, summing to 1."""
    hours = np.zeros(24, dtype=np.float64)
    if len(times) >= MIN_ACTIVITY:
        for moment in times:
            hours[moment.hour] += 1.0  # stored times are aware UTC
    else:
        zone = values.zone(timezone)
        base = datetime(2026, 1, 5, tzinfo=zone)
        for hour in EVENING:
            hours[(base + timedelta(hours=hour)).astimezone(UTC).hour] += 1.0
    return np.asarray(hours / hours.sum(), dtype=np.float64)


def hours_label(overlap: np.ndarray) -> str:
    """``18:00-21:00 UTC`` around the busiest shared hours."""
    peak = int(np.argmax(overlap))
    return f"{peak:02d}:00-{(peak + 3) % 24:02d}:00 UTC"


class BuddyService:
    """Opt-in, proposals, acceptance and the mutual reveal."""

    def __init__(self, db: Database, clock: Clock, outbox: Outbox,
                 recommendations: RecommendationService, *, min_score: float = 0.25) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._recommendations = recommendations
        self._min_score = min_score

    async def opt_out(self, member: Member) -> int:
        """Stop proposals; open ones are declined. Returns how many were withdrawn."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            await unit.recommendations.set_buddy_optin(member.member_id, False, now)
            return await unit.recommendations.withdraw_open_proposals(member.member_id, now)

    async def find(self, member: Member) -> list[BuddyOffer]:
        """Opt ``member`` in and return up to three proposals (new or still open)."""
        if not split_interests(member.interests):
            raise UserError('Tell me your interests first, e.g. /profile interests="python, '
                            'data science", then send /buddy again.')
        now = self._clock.now()
        async with self._db.unit() as unit:
            await unit.recommendations.set_buddy_optin(member.member_id, True, now)
            others = [m for m in await unit.recommendations.buddy_members()
                      if m.id != member.member_id and split_interests(m.interests)]
            mine = await unit.recommendations.proposals_of(member.member_id)
            everyone = [member.member_id, *(m.id for m in others)]
            times = await unit.recommendations.activity_times(everyone, now - timedelta(
                days=ACTIVITY_DAYS))
        settled = {self._other(p, member.member_id) for p in mine
                   if p.declined_at is not None or p.revealed_at is not None}
        open_ids = {self._other(p, member.member_id) for p in mine
                    if p.declined_at is None and p.revealed_at is None}
        candidates = [m for m in others if m.id not in settled]
        scored = await self._score(member, candidates, times) if candidates else []
        chosen = [(m, s, shared) for m, s, shared in scored
                  if s >= self._min_score or m.id in open_ids][:MAX_PROPOSALS]
        offers = []
        async with self._db.unit() as unit:
            existing = {self._other(p, member.member_id): p
                        for p in await unit.recommendations.proposals_of(member.member_id)}
            for other, score, shared in chosen:
                row = existing.get(other.id)
                if row is None:
                    a, b = sorted((member.member_id, other.id))
                    row = await unit.recommendations.add_proposal(BuddyProposalRow(
                        member_a=a, member_b=b, score=score, shared=shared[:300],
                        created_at=now))
                offers.append(self._offer(row, member.member_id))
        return offers

    async def accept(self, member: Member, proposal_id: int) -> Acceptance:
        """Accept a proposal; when the other side has too, both get each other's names."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            row = await self._own(unit, member, proposal_id, lock=True)
            if row.declined_at is not None:
                raise UserError(f"Proposal #{proposal_id} was declined; send /buddy for others.")
            mine_a = row.member_a == member.member_id
            if mine_a:
                row.a_accepted_at = row.a_accepted_at or now
            else:
                row.b_accepted_at = row.b_accepted_at or now
            other_id = row.member_b if mine_a else row.member_a
            if row.a_accepted_at is None or row.b_accepted_at is None:
                invited = await unit.members.get(other_id)
                zone = invited.timezone if invited is not None else "UTC"
                await self._outbox.put(unit, [Outgoing(
                    key=f"buddy:{row.id}:invite:{other_id}", kind=OutboxKind.NOTICE,
                    text=texts.buddy_invite(row.id, row.shared, zone, now), due_at=now,
                    member_id=other_id, buttons=texts.buddy_invite_buttons(row.id))])
                return Acceptance(row.id, revealed=False)
            first = row.revealed_at is None
            row.revealed_at = row.revealed_at or now
            me = await unit.members.get(member.member_id)
            other = await unit.members.get(other_id)
            if me is None or other is None:
                raise UserError("That member is no longer here.")
            if first:
                await self._outbox.put(unit, [
                    self._reveal(row, me, await self._contact(unit, other), now),
                    self._reveal(row, other, await self._contact(unit, me), now),
                ])
            return Acceptance(row.id, revealed=True, partner=await self._contact(unit, other))

    async def decline(self, member: Member, proposal_id: int) -> None:
        """Decline a proposal; the pair is never proposed again, and nothing is revealed."""
        async with self._db.unit() as unit:
            row = await self._own(unit, member, proposal_id, lock=True)
            if row.revealed_at is not None:
                raise UserError(f"#{proposal_id} is already a match.")
            row.declined_at = row.declined_at or self._clock.now()

    # -- helpers ------------------------------------------------------------------------------

    async def _score(self, member: Member, others: list[MemberRow],
                     times: list[tuple[int, datetime]]) -> list[tuple[MemberRow, float, str]]:
        vectors = await self._recommendations.embed_texts(
            [member.interests, *(m.interests for m in others)])
        mine = vectors[0]
        when: dict[int, list[datetime]] = {}
        for member_id, moment in times:
            when.setdefault(member_id, []).append(moment)
        my_hours = active_hours(when.get(member.member_id, []), member.timezone)
        my_words = {i.lower() for i in split_interests(member.interests)}
        out = []
        for other, vector in zip(others, vectors[1:], strict=True):
            closeness = max(0.0, float(vector @ mine))
            if closeness <= 0.0:
                continue
            overlap = np.minimum(my_hours, active_hours(when.get(other.id, []), other.timezone))
            score = INTEREST_SHARE * closeness + (1 - INTEREST_SHARE) * float(overlap.sum())
            common = [i for i in split_interests(other.interests) if i.lower() in my_words]
            topic = ", ".join(common[:3]) if common else "similar topics"
            hours = f"; you are both active around {hours_label(overlap)}" \
                if overlap.sum() > 0 else ""
            out.append((other, score, f"{topic}{hours}"))
        return sorted(out, key=lambda t: -t[1])

    @staticmethod
    def _other(row: BuddyProposalRow, member_id: int) -> int:
        return row.member_b if row.member_a == member_id else row.member_a

    @staticmethod
    def _offer(row: BuddyProposalRow, member_id: int) -> BuddyOffer:
        mine_a = row.member_a == member_id
        return BuddyOffer(
            proposal_id=row.id, score=row.score, shared=row.shared,
            accepted_by_me=(row.a_accepted_at if mine_a else row.b_accepted_at) is not None,
            accepted_by_them=(row.b_accepted_at if mine_a else row.a_accepted_at) is not None,
        )

    async def _own(self, unit: Unit, member: Member, proposal_id: int, *,
                   lock: bool) -> BuddyProposalRow:
        row = await unit.recommendations.proposal(proposal_id, lock=lock)
        if row is None or member.member_id not in (row.member_a, row.member_b):
            raise UserError(f"You have no buddy proposal #{proposal_id}. Send /buddy.")
        return row

    @staticmethod
    async def _contact(unit: Unit, member: MemberRow) -> str:
        accounts = await unit.members.accounts(member.id)
        return texts.contact(member.display_name,
                             [(a.platform, a.handle, a.display_name) for a in accounts])

    @staticmethod
    def _reveal(row: BuddyProposalRow, to: MemberRow, partner: str, now: datetime) -> Outgoing:
        return Outgoing(
            key=f"buddy:{row.id}:reveal:{to.id}", kind=OutboxKind.NOTICE,
            text=texts.buddy_reveal(row.id, row.shared, partner, to.timezone, now), due_at=now,
            member_id=to.id)
