"""The challenges repository: problems, tests, submissions and solves in one unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows.challenges import (
    ChallengeRow,
    ChallengeSolveRow,
    ChallengeTestRow,
    SubmissionRow,
)
from storage.rows.members import MemberRow

PENDING = ("queued", "running")
# An attempt is a judged submission: a verdict, and not the judge's own internal error.
_JUDGED = SubmissionRow.verdict.is_not(None) & (SubmissionRow.verdict != "IE")


class ChallengeRepo:
    """Challenges, their tests, submissions and solves."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # Challenges and tests.

    async def add(self, row: ChallengeRow) -> ChallengeRow:
        """Store a new challenge."""
        self._s.add(row)
        await self._s.flush()
        return row

    async def get(self, challenge_id: int) -> ChallengeRow | None:
        """A challenge by id."""
        return await self._s.get(ChallengeRow, challenge_id)

    async def save(self, row: ChallengeRow) -> None:
        """Write a changed challenge now, so what is read next in the unit sees it."""
        self._s.add(row)
        await self._s.flush()

    async def update(self, challenge_id: int, **fields: object) -> None:
        """Change fields of a challenge."""
        await self._s.execute(
            update(ChallengeRow).where(ChallengeRow.id == challenge_id).values(**fields)
        )

    async def next_queued(self) -> ChallengeRow | None:
        """The oldest challenge waiting for the rotation."""
        statement = (select(ChallengeRow).where(ChallengeRow.status == "queued")
                     .order_by(ChallengeRow.id).limit(1).with_for_update())
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def open_at(self, now: datetime, limit: int = 25) -> list[ChallengeRow]:
        """Challenges accepting submissions at ``now``, newest first."""
        statement = (
            select(ChallengeRow)
            .where(
                ChallengeRow.status == "open",
                ChallengeRow.opens_at <= now,
                or_(ChallengeRow.closes_at.is_(None), ChallengeRow.closes_at > now),
            )
            .order_by(ChallengeRow.opens_at.desc(), ChallengeRow.id.desc())
            .limit(limit)
        )
        return list((await self._s.execute(statement)).scalars())

    async def upcoming(self, now: datetime, limit: int = 10) -> list[ChallengeRow]:
        """Open challenges whose window has not started yet."""
        statement = (
            select(ChallengeRow)
            .where(ChallengeRow.status == "open", ChallengeRow.opens_at > now)
            .order_by(ChallengeRow.opens_at)
            .limit(limit)
        )
        return list((await self._s.execute(statement)).scalars())

    async def replace_tests(
        self, challenge_id: int, tests: Sequence[tuple[str, str, bool]]
    ) -> None:
        """Store ``(input, output, public)`` tests, numbered from 1, replacing any old ones."""
        await self._s.execute(
            delete(ChallengeTestRow).where(ChallengeTestRow.challenge_id == challenge_id)
        )
        self._s.add_all(
            ChallengeTestRow(challenge_id=challenge_id, number=number, input=given,
                             output=expected, public=public)
            for number, (given, expected, public) in enumerate(tests, start=1)
        )
        await self._s.flush()

    async def tests(self, challenge_id: int, *, public_only: bool = False
                    ) -> list[ChallengeTestRow]:
        """A challenge's tests in order."""
        statement = select(ChallengeTestRow).where(ChallengeTestRow.challenge_id == challenge_id)
        if public_only:
            statement = statement.where(ChallengeTestRow.public.is_(True))
        statement = statement.order_by(ChallengeTestRow.number)
        return list((await self._s.execute(statement)).scalars())

    async def claim_first_solve(self, challenge_id: int, member_id: int, now: datetime) -> bool:
        """Record the first solver unless someone already is; True for the winner only.

        One conditional UPDATE: the database serialises concurrent claims (a row lock on
        PostgreSQL, the write lock on SQLite), so exactly one of them changes a row.
        """
        result = await self._s.execute(
            update(ChallengeRow)
            .where(ChallengeRow.id == challenge_id, ChallengeRow.first_solved_at.is_(None))
            .values(first_solved_at=now, first_solver_id=member_id)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    # Submissions.

    async def add_submission(self, row: SubmissionRow) -> SubmissionRow:
        """Store a submission (queued)."""
        self._s.add(row)
        await self._s.flush()
        return row

    async def submission(self, submission_id: int) -> SubmissionRow | None:
        """A submission by id."""
        return await self._s.get(SubmissionRow, submission_id)

    async def update_submission(self, submission_id: int, **fields: object) -> None:
        """Change fields of a submission."""
        await self._s.execute(
            update(SubmissionRow).where(SubmissionRow.id == submission_id).values(**fields)
        )

    async def record_verdict(self, submission_id: int, *, judged_at: datetime,
                             **fields: object) -> SubmissionRow | None:
        """Mark a submission judged (counting the judging) and return it as stored now.

        None when the submission was forgotten while it was judged.
        """
        await self.update_submission(
            submission_id, status="done", judged_at=judged_at,
            judge_count=SubmissionRow.judge_count + 1, **fields)
        fresh = await self.submission(submission_id)
        if fresh is not None:
            await self._s.refresh(fresh)
        return fresh

    async def pending_ids(self) -> list[int]:
        """Submissions waiting or interrupted while running, oldest first."""
        statement = (select(SubmissionRow.id).where(SubmissionRow.status.in_(PENDING))
                     .order_by(SubmissionRow.id))
        return list((await self._s.execute(statement)).scalars())

    async def requeue(self, submission_ids: Sequence[int]) -> None:
        """Put submissions back in the queue (a restart, a rejudge)."""
        if submission_ids:
            await self._s.execute(
                update(SubmissionRow).where(SubmissionRow.id.in_(list(submission_ids)))
                .values(status="queued")
            )

    async def pending_for_member(self, member_id: int) -> int:
        """How many of a member's submissions are waiting or being judged."""
        statement = select(func.count(SubmissionRow.id)).where(
            SubmissionRow.member_id == member_id, SubmissionRow.status.in_(PENDING))
        return int((await self._s.execute(statement)).scalar_one())

    async def last_submitted_at(self, member_id: int) -> datetime | None:
        """When the member last submitted anything."""
        statement = select(func.max(SubmissionRow.created_at)).where(
            SubmissionRow.member_id == member_id)
        value: datetime | None = (await self._s.execute(statement)).scalar_one_or_none()
        return value

    async def submissions_of_member(
        self, member_id: int, challenge_id: int | None = None, limit: int = 1000
    ) -> list[SubmissionRow]:
        """A member's submissions, newest first."""
        statement = select(SubmissionRow).where(SubmissionRow.member_id == member_id)
        if challenge_id is not None:
            statement = statement.where(SubmissionRow.challenge_id == challenge_id)
        statement = statement.order_by(SubmissionRow.id.desc()).limit(limit)
        return list((await self._s.execute(statement)).scalars())

    async def submissions_of_challenge(self, challenge_id: int, limit: int, offset: int = 0
                                       ) -> list[tuple[SubmissionRow, str]]:
        """A page of a challenge's submissions, newest first, with the member's name."""
        statement = (
            select(SubmissionRow, MemberRow.display_name)
            .join(MemberRow, MemberRow.id == SubmissionRow.member_id)
            .where(SubmissionRow.challenge_id == challenge_id)
            .order_by(SubmissionRow.id.desc()).limit(limit).offset(offset)
        )
        return [(row, str(name)) for row, name in (await self._s.execute(statement)).all()]

    async def submission_ids_of_challenge(self, challenge_id: int) -> list[int]:
        """Every submission of a challenge, oldest first."""
        statement = (select(SubmissionRow.id).where(SubmissionRow.challenge_id == challenge_id)
                     .order_by(SubmissionRow.id))
        return list((await self._s.execute(statement)).scalars())

    async def first_accepted(self, challenge_id: int, limit: int = 200
                             ) -> list[tuple[SubmissionRow, str]]:
        """Each member's first accepted submission, oldest first, with the display name."""
        first = (
            select(func.min(SubmissionRow.id))
            .where(SubmissionRow.challenge_id == challenge_id, SubmissionRow.verdict == "AC")
            .group_by(SubmissionRow.member_id)
        )
        statement = (
            select(SubmissionRow, MemberRow.display_name)
            .join(MemberRow, MemberRow.id == SubmissionRow.member_id)
            .where(SubmissionRow.id.in_(first))
            .order_by(SubmissionRow.id)
            .limit(limit)
        )
        return [(row, str(name)) for row, name in (await self._s.execute(statement)).all()]

    async def attempts_until(self, challenge_id: int, member_id: int, submission_id: int) -> int:
        """How many judged submissions the member made to a challenge up to and including one.

        An internal judge error or a submission still waiting is no attempt of the member's.
        """
        statement = select(func.count(SubmissionRow.id)).where(
            SubmissionRow.challenge_id == challenge_id,
            SubmissionRow.member_id == member_id,
            SubmissionRow.id <= submission_id,
            _JUDGED,
        )
        return int((await self._s.execute(statement)).scalar_one())

    async def verdict_counts(self, challenge_id: int) -> dict[str, int]:
        """Judged submissions per verdict."""
        statement = (
            select(SubmissionRow.verdict, func.count(SubmissionRow.id))
            .where(SubmissionRow.challenge_id == challenge_id,
                   SubmissionRow.verdict.is_not(None))
            .group_by(SubmissionRow.verdict)
        )
        return {str(v): int(n) for v, n in (await self._s.execute(statement)).all()}

    async def attempt_counts(self, challenge_id: int) -> tuple[int, int]:
        """(judged submissions, distinct members) for a challenge."""
        statement = select(
            func.count(SubmissionRow.id), func.count(func.distinct(SubmissionRow.member_id))
        ).where(SubmissionRow.challenge_id == challenge_id, _JUDGED)
        total, members = (await self._s.execute(statement)).one()
        return int(total), int(members)

    # Solves.

    async def add_solve(
        self, challenge_id: int, member_id: int, submission_id: int, attempts: int,
        now: datetime,
    ) -> bool:
        """Record a member's first solve; False when they had already solved it."""
        dialect = self._s.get_bind().dialect.name
        builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            builder(ChallengeSolveRow)
            .values(challenge_id=challenge_id, member_id=member_id,
                    submission_id=submission_id, attempts=attempts, solved_at=now)
            .on_conflict_do_nothing(index_elements=["challenge_id", "member_id"])
            .returning(ChallengeSolveRow.id)
        )
        return (await self._s.execute(statement)).first() is not None

    async def solves(self, challenge_id: int, limit: int = 25
                     ) -> list[tuple[ChallengeSolveRow, str]]:
        """Solves in order of time, with the solver's display name."""
        statement = (
            select(ChallengeSolveRow, MemberRow.display_name)
            .join(MemberRow, MemberRow.id == ChallengeSolveRow.member_id)
            .where(ChallengeSolveRow.challenge_id == challenge_id)
            .order_by(ChallengeSolveRow.solved_at, ChallengeSolveRow.id)
            .limit(limit)
        )
        return [(row, str(name)) for row, name in (await self._s.execute(statement)).all()]

    async def solve_count(self, challenge_id: int) -> int:
        """How many members solved a challenge."""
        statement = select(func.count(ChallengeSolveRow.id)).where(
            ChallengeSolveRow.challenge_id == challenge_id)
        return int((await self._s.execute(statement)).scalar_one())

    async def solves_of_member(self, member_id: int) -> list[ChallengeSolveRow]:
        """A member's solves."""
        statement = (select(ChallengeSolveRow).where(ChallengeSolveRow.member_id == member_id)
                     .order_by(ChallengeSolveRow.id))
        return list((await self._s.execute(statement)).scalars())

    async def delete_for_member(self, member_id: int) -> None:
        """Remove a member's solves and submissions (``/forgetme``)."""
        await self._s.execute(
            delete(ChallengeSolveRow).where(ChallengeSolveRow.member_id == member_id))
        await self._s.execute(delete(SubmissionRow).where(SubmissionRow.member_id == member_id))
