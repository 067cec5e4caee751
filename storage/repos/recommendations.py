"""Repositories for the recommender's rows (embeddings, votes, digests, study buddies)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows.activity import InteractionRow
from storage.rows.events import EventRow, FeedbackRow, RsvpRow
from storage.rows.members import MemberRow
from storage.rows.recommendations import (
    BuddyOptInRow,
    BuddyProposalRow,
    DigestRow,
    EmbeddingRow,
    RecommendationVoteRow,
)

# Both databases bind at most a few thousand parameters per statement; stay well below.
LOOKUP_CHUNK = 500


class RecommendationRepo:
    """Everything the recommendation and buddy services read and write."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # -- embeddings -------------------------------------------------------------------------

    async def embeddings(self, model: str, hashes: Sequence[str]) -> dict[str, bytes]:
        """Stored vectors (raw float32 bytes) of ``hashes`` under ``model``."""
        out: dict[str, bytes] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), LOOKUP_CHUNK):
            chunk = unique[start : start + LOOKUP_CHUNK]
            statement = select(EmbeddingRow.text_hash, EmbeddingRow.vector).where(
                EmbeddingRow.model == model, EmbeddingRow.text_hash.in_(chunk))
            out.update({h: bytes(v) for h, v in (await self._s.execute(statement)).all()})
        return out

    async def add_embeddings(self, rows: Sequence[dict[str, Any]]) -> int:
        """Store vectors, ignoring a (model, hash) another process stored first."""
        if not rows:
            return 0
        table = EmbeddingRow.__table__
        assert isinstance(table, Table)
        dialect = self._s.get_bind().dialect.name
        builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (builder(table)
                     .on_conflict_do_nothing(index_elements=["model", "text_hash"])
                     .returning(table.c.id))
        return len((await self._s.execute(statement, list(rows))).all())

    async def embedding_count(self, model: str | None = None) -> int:
        """How many vectors are stored (for one model)."""
        statement = select(func.count(EmbeddingRow.id))
        if model is not None:
            statement = statement.where(EmbeddingRow.model == model)
        return int((await self._s.execute(statement)).scalar_one())

    # -- the catalogue and members' history --------------------------------------------------

    async def events_since(self, since: datetime) -> list[EventRow]:
        """Every event starting after ``since`` (past ones anchor profiles), by id."""
        statement = select(EventRow).where(EventRow.starts_at >= since).order_by(EventRow.id)
        return list((await self._s.execute(statement)).scalars())

    async def rsvps_since(self, since: datetime) -> list[RsvpRow]:
        """Answers to events starting after ``since``."""
        statement = (select(RsvpRow).join(EventRow, EventRow.id == RsvpRow.event_id)
                     .where(EventRow.starts_at >= since))
        return list((await self._s.execute(statement)).scalars())

    async def ratings_since(self, since: datetime) -> list[FeedbackRow]:
        """Ratings of events starting after ``since``."""
        statement = (select(FeedbackRow).join(EventRow, EventRow.id == FeedbackRow.event_id)
                     .where(EventRow.starts_at >= since))
        return list((await self._s.execute(statement)).scalars())

    async def solved_tags(self, member_ids: Sequence[int] | None = None
                          ) -> dict[int, list[str]]:
        """Each member's solved challenges' tag lists as stored, most recent solve first."""
        from storage.rows.challenges import ChallengeRow, ChallengeSolveRow

        statement = (
            select(ChallengeSolveRow.member_id, ChallengeRow.tags)
            .join(ChallengeRow, ChallengeRow.id == ChallengeSolveRow.challenge_id)
            .order_by(ChallengeSolveRow.id.desc())
        )
        if member_ids is not None:
            statement = statement.where(ChallengeSolveRow.member_id.in_(list(member_ids)))
        out: dict[int, list[str]] = {}
        for member_id, tags in (await self._s.execute(statement)).all():
            out.setdefault(member_id, []).append(tags)
        return out

    async def digest_members(self) -> list[MemberRow]:
        """Members who opted in to the weekly digest and accept DMs."""
        statement = (select(MemberRow).where(MemberRow.digests.is_(True),
                                             MemberRow.dms.is_(True)).order_by(MemberRow.id))
        return list((await self._s.execute(statement)).scalars())

    async def activity_times(self, member_ids: Sequence[int], since: datetime
                             ) -> list[tuple[int, datetime]]:
        """(member, when) of every interaction since ``since`` (for active hours)."""
        if not member_ids:
            return []
        statement = select(InteractionRow.member_id, InteractionRow.created_at).where(
            InteractionRow.member_id.in_(list(member_ids)), InteractionRow.created_at >= since)
        return [(m, t) for m, t in (await self._s.execute(statement)).all()]

    # -- votes ------------------------------------------------------------------------------

    async def vote(self, member_id: int, event_id: int, vote: str, now: datetime) -> bool:
        """Record 👍/👎; returns True when it replaced an earlier vote."""
        statement = select(RecommendationVoteRow).where(
            RecommendationVoteRow.member_id == member_id,
            RecommendationVoteRow.event_id == event_id)
        row = (await self._s.execute(statement)).scalar_one_or_none()
        if row is None:
            self._s.add(RecommendationVoteRow(member_id=member_id, event_id=event_id,
                                              vote=vote, created_at=now, updated_at=now))
            await self._s.flush()
            return False
        row.vote = vote
        row.updated_at = now
        return True

    async def votes(self, member_ids: Sequence[int] | None = None
                    ) -> list[RecommendationVoteRow]:
        """Votes of some members (all when None)."""
        statement = select(RecommendationVoteRow)
        if member_ids is not None:
            statement = statement.where(RecommendationVoteRow.member_id.in_(list(member_ids)))
        return list((await self._s.execute(statement)).scalars())

    # -- digests ----------------------------------------------------------------------------

    async def last_digests(self, member_ids: Sequence[int]) -> dict[int, DigestRow]:
        """Each member's most recent digest."""
        if not member_ids:
            return {}
        statement = (select(DigestRow).where(DigestRow.member_id.in_(list(member_ids)))
                     .order_by(DigestRow.member_id, DigestRow.id))
        return {row.member_id: row for row in (await self._s.execute(statement)).scalars()}

    async def digests_of(self, member_id: int) -> list[DigestRow]:
        """A member's digests, oldest first."""
        statement = (select(DigestRow).where(DigestRow.member_id == member_id)
                     .order_by(DigestRow.id))
        return list((await self._s.execute(statement)).scalars())

    async def add_digest(self, row: DigestRow) -> None:
        """Remember a digest written."""
        self._s.add(row)
        await self._s.flush()

    # -- study buddies ----------------------------------------------------------------------

    async def buddy_optin(self, member_id: int) -> BuddyOptInRow | None:
        """A member's buddy opt-in row."""
        return await self._s.get(BuddyOptInRow, member_id)

    async def set_buddy_optin(self, member_id: int, active: bool, now: datetime) -> None:
        """Opt in or out of study-buddy proposals."""
        row = await self._s.get(BuddyOptInRow, member_id)
        if row is None:
            self._s.add(BuddyOptInRow(member_id=member_id, active=active, created_at=now))
        else:
            row.active = active
        await self._s.flush()

    async def buddy_members(self) -> list[MemberRow]:
        """Members currently opted in to study buddies."""
        statement = (select(MemberRow).join(BuddyOptInRow, BuddyOptInRow.member_id == MemberRow.id)
                     .where(BuddyOptInRow.active.is_(True)).order_by(MemberRow.id))
        return list((await self._s.execute(statement)).scalars())

    async def proposals_of(self, member_id: int) -> list[BuddyProposalRow]:
        """Every proposal a member is part of."""
        statement = (select(BuddyProposalRow)
                     .where(or_(BuddyProposalRow.member_a == member_id,
                                BuddyProposalRow.member_b == member_id))
                     .order_by(BuddyProposalRow.id))
        return list((await self._s.execute(statement)).scalars())

    async def proposal(self, proposal_id: int, *, lock: bool = False) -> BuddyProposalRow | None:
        """One proposal (``lock`` serialises two acceptances on PostgreSQL)."""
        statement = select(BuddyProposalRow).where(BuddyProposalRow.id == proposal_id)
        if lock:
            statement = statement.with_for_update()
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def add_proposal(self, row: BuddyProposalRow) -> BuddyProposalRow:
        """Store a new proposal."""
        self._s.add(row)
        await self._s.flush()
        return row

    async def withdraw_open_proposals(self, member_id: int, now: datetime) -> int:
        """Decline every unrevealed proposal of a member who opted out."""
        statement = (update(BuddyProposalRow)
                     .where(or_(BuddyProposalRow.member_a == member_id,
                                BuddyProposalRow.member_b == member_id),
                            BuddyProposalRow.revealed_at.is_(None),
                            BuddyProposalRow.declined_at.is_(None))
                     .values(declined_at=now))
        result = await self._s.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    # -- /forgetme --------------------------------------------------------------------------

    async def delete_for_member(self, member_id: int) -> None:
        """Remove a member's votes, digests, buddy opt-in and proposals."""
        for table, column in (
            (RecommendationVoteRow, RecommendationVoteRow.member_id),
            (DigestRow, DigestRow.member_id),
            (BuddyOptInRow, BuddyOptInRow.member_id),
        ):
            await self._s.execute(delete(table).where(column == member_id))
        await self._s.execute(delete(BuddyProposalRow).where(
            or_(BuddyProposalRow.member_a == member_id, BuddyProposalRow.member_b == member_id)))
