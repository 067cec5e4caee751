"""The challenges' use cases: admins create and manage, members read and submit.

A submission is validated, stored (queued) and only then judged by the
:class:`~bot.services.challenges.judging.JudgingQueue` in front of the sandbox, so a restart
judges again what was waiting or running; :class:`~bot.services.challenges.grading.Grader`
records the verdict, the solve and the points.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.core import values
from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Attachment, Member
from bot.core.offload import off_loop
from bot.core.ports import InteractionKind
from bot.services.activity import InteractionLog
from bot.services.challenges.fields import assign
from bot.services.challenges.grading import Grader, PointsAwarder
from bot.services.challenges.judging import JudgeBusyError, JudgeGate, JudgingQueue
from bot.services.challenges.reading import (
    challenge_view,
    leaderboard,
    submission_view,
    to_view,
    view_of,
)
from bot.services.challenges.rotation import announce, open_next
from bot.services.challenges.similarity import (
    MAX_SUBMISSIONS,
    CodeSample,
    SimilarPair,
    similar_pairs,
)
from bot.services.challenges.uploads import apply_examples, parse_tests_file
from bot.services.challenges.views import (
    ChallengeFields,
    ChallengeRules,
    ChallengeStats,
    ChallengeView,
    LeaderboardRow,
    SubmissionEntry,
    SubmissionOutcome,
    SubmissionPlace,
    SubmissionView,
    SubmitReceipt,
)
from bot.services.outbox import Outbox
from storage import Database, Unit
from storage.rows.challenges import ChallengeRow, SubmissionRow

logger = logging.getLogger(__name__)


class ChallengeService:
    """Challenges for admins, submissions for members, verdicts and solves for everyone."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        gate: JudgeGate,
        interactions: InteractionLog,
        outbox: Outbox,
        *,
        awarder: PointsAwarder,
        rules: ChallengeRules | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._gate = gate
        self._interactions = interactions
        self._outbox = outbox
        self.rules = rules or ChallengeRules()
        grader = Grader(db, clock, gate, outbox, awarder,
                        total_budget_s=self.rules.total_budget_s)
        self.queue: JudgingQueue[SubmissionOutcome | None] = JudgingQueue(
            grader.process, workers=self.rules.workers, capacity=self.rules.queue_capacity,
            on_error=grader.failed,
        )
        self._submitting: set[int] = set()  # members between their checks and the insert

    # Life cycle.

    async def recover(self) -> int:
        """Queue again what was waiting or running when the process stopped."""
        async with self._db.unit() as unit:
            ids = await unit.challenges.pending_ids()
            await unit.challenges.requeue(ids)
        if ids:
            logger.info("re-queued %d submissions after a restart", len(ids))
        return self.queue.put(ids)

    async def idle(self) -> None:
        """Wait until nothing is queued (tests, shutdown)."""
        await self.queue.idle()

    async def aclose(self) -> None:
        """Stop judging and the sandbox; queued submissions stay stored."""
        await self.queue.aclose()
        await self._gate.aclose()

    # Admin side.

    async def create(self, author: Member, fields: ChallengeFields,
                     tests_file: Attachment | None) -> ChallengeView:
        """Validate everything, then store the challenge, its tests and its announcement."""
        now = self._clock.now()
        if fields.title is None:
            raise UserError("Please give the challenge a `title`.")
        if fields.statement is None or not fields.statement.strip():
            raise UserError("Please give the `statement` (it comes last on the line).")
        if tests_file is None:
            raise UserError("Attach the tests: a .json list or a .zip of 1.in/1.out pairs.")
        tests = apply_examples(parse_tests_file(tests_file), fields.examples)
        row = ChallengeRow(
            title="", statement="", language="python3", difficulty="medium", tags="",
            points=10, first_solve_bonus=5, cpu_ms=2000, memory_mib=256, opens_at=now,
            closes_at=None, status="open", created_by=author.member_id, created_at=now,
        )
        assign(row, fields, now)
        if fields.queued:
            row.status = "queued"  # opened (and announced) by the rotation
        async with self._db.unit() as unit:
            await self._check_event(unit, row.event_id)
            await unit.challenges.add(row)
            await unit.challenges.replace_tests(row.id, tests)
            if not fields.queued:
                await announce(unit, self._outbox, row, now)
            return await challenge_view(unit, row)

    async def rotate(self, period: timedelta, at: datetime | None = None
                     ) -> ChallengeView | None:
        """Open the next queued challenge for ``period`` and announce it (a scheduled job).

        ``at`` is the rotation's cron period: the challenge opens then, once per period.
        """
        now = self._clock.now()
        async with self._db.unit() as unit:
            row = await open_next(unit, self._outbox, now, period, at)
            if row is None:
                logger.info("challenge rotation: nothing queued")
                return None
            return await challenge_view(unit, row)

    async def edit(self, challenge_id: int, fields: ChallengeFields,
                   tests_file: Attachment | None) -> ChallengeView:
        """Change a challenge; new tests replace the old ones (rejudge to apply them)."""
        now = self._clock.now()
        new_tests = parse_tests_file(tests_file) if tests_file is not None else None
        async with self._db.unit() as unit:
            row = await self._get(unit, challenge_id)
            if new_tests is None and fields.examples is not None:
                new_tests = [(t.input, t.output, t.public)
                             for t in await unit.challenges.tests(challenge_id)]
            assign(row, fields, now)
            row.updated_at = now
            await self._check_event(unit, row.event_id)
            if new_tests is not None:
                await unit.challenges.replace_tests(
                    challenge_id, apply_examples(new_tests, fields.examples))
            await unit.challenges.save(row)
            return await challenge_view(unit, row)

    async def close(self, challenge_id: int) -> ChallengeView:
        """Stop accepting submissions now."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            row = await self._get(unit, challenge_id)
            if row.status == "closed":
                raise UserError(f"Challenge #{challenge_id} is already closed.")
            row.status = "closed"
            if row.closes_at is None or row.closes_at > now:
                row.closes_at = now
            row.updated_at = now
            await unit.challenges.save(row)
            return await challenge_view(unit, row)

    async def rejudge(self, challenge_id: int) -> int:
        """Judge every submission of a challenge again; members hear of changed verdicts."""
        async with self._db.unit() as unit:
            await self._get(unit, challenge_id)
        await self._gate.get()
        async with self._db.unit() as unit:
            ids = await unit.challenges.submission_ids_of_challenge(challenge_id)
            await unit.challenges.requeue(ids)
        self.queue.put(ids)
        return len(ids)

    async def stats(self, challenge_id: int) -> ChallengeStats:
        """Attempts, solves, verdict counts and the leaderboard."""
        async with self._db.unit() as unit:
            row = await self._get(unit, challenge_id)
            total, members = await unit.challenges.attempt_counts(challenge_id)
            return ChallengeStats(
                challenge=await challenge_view(unit, row),
                submissions=total,
                members=members,
                solves=await unit.challenges.solve_count(challenge_id),
                verdicts=await unit.challenges.verdict_counts(challenge_id),
                leaderboard=tuple(await leaderboard(unit, row)),
                queued=self.queue.pending,
            )

    async def similar(self, challenge_id: int) -> list[SimilarPair]:
        """Pairs of members whose first accepted submissions are near-identical."""
        async with self._db.unit() as unit:
            await self._get(unit, challenge_id)
            rows = await unit.challenges.first_accepted(challenge_id, limit=MAX_SUBMISSIONS)
            samples = [CodeSample(row.id, row.member_id, name, row.source) for row, name in rows]
        return await off_loop(similar_pairs, samples)

    # Member side.

    async def open_challenges(self) -> list[ChallengeView]:
        """Challenges accepting submissions now."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            return [await challenge_view(unit, row, examples=False)
                    for row in await unit.challenges.open_at(now)]

    async def show(self, challenge_id: int, *, is_admin: bool) -> ChallengeView:
        """A challenge with its public examples (before it opens: admins only)."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            row = await self._get(unit, challenge_id)
            if row.opens_at > now and not is_admin:
                raise UserError(
                    f"Challenge #{challenge_id} opens {values.relative(row.opens_at, now)}.")
            return await challenge_view(unit, row)

    async def leaderboard(self, challenge_id: int) -> list[LeaderboardRow]:
        """Solvers in order of solve time."""
        async with self._db.unit() as unit:
            row = await self._get(unit, challenge_id)
            return await leaderboard(unit, row)

    async def submit(self, member: Member, challenge_id: int, source: str,
                     place: SubmissionPlace) -> SubmitReceipt:
        """Store a submission, queue it, and wait (a while) for its verdict."""
        if member.member_id in self._submitting:
            raise UserError("Your previous submission is still being judged; "
                            "please wait for its verdict.")
        self._submitting.add(member.member_id)
        try:
            submission_id = await self._store(member, challenge_id, source, place)
        finally:
            self._submitting.discard(member.member_id)
        self.queue.put([submission_id])
        outcome = await self.queue.wait(submission_id, within=self.rules.reply_wait_s)
        if outcome is None:
            return SubmitReceipt(submission_id, None, self.queue.position(submission_id))
        return SubmitReceipt(submission_id, outcome)

    async def _store(self, member: Member, challenge_id: int, source: str,
                     place: SubmissionPlace) -> int:
        now = self._clock.now()
        async with self._db.unit() as unit:
            row = await self._get(unit, challenge_id)
            view = to_view(row)
            if not view.accepting(now):
                if row.opens_at > now:
                    raise UserError(f"Challenge #{challenge_id} is not open yet.")
                raise UserError(f"Challenge #{challenge_id} is closed.")
            if await unit.challenges.pending_for_member(member.member_id):
                raise UserError("Your previous submission is still being judged; "
                                "please wait for its verdict.")
            last = await unit.challenges.last_submitted_at(member.member_id)
            if last is not None:
                wait = self.rules.cooldown_s - (now - last).total_seconds()
                if wait > 0:
                    raise UserError(f"Please wait {int(wait) + 1} s before submitting again.")
        if not self.queue.has_room():
            raise JudgeBusyError("The judge is busy right now; please try again in a minute.")
        await self._gate.get()  # refuses (nothing stored) when the sandbox cannot confine
        async with self._db.unit() as unit:
            stored = await unit.challenges.add_submission(SubmissionRow(
                challenge_id=challenge_id, member_id=member.member_id, language=row.language,
                source=source, platform=place.platform.value, place_id=place.place_id,
                status="queued", tests_passed=0, detail="", feedback="", judge_count=0,
                created_at=now,
            ))
            submission_id = stored.id
        self._interactions.record_raw(
            member_id=member.member_id, platform=place.platform.value, place_id=place.place_id,
            kind=InteractionKind.SUBMISSION, name=f"challenge {challenge_id}",
            source_key=f"{place.platform.value}:submission:{place.source_id}",
        )
        return submission_id

    async def submissions(self, member: Member, challenge_id: int | None = None,
                          limit: int = 10) -> list[SubmissionView]:
        """A member's latest submissions, newest first."""
        async with self._db.unit() as unit:
            if challenge_id is not None:
                await self._get(unit, challenge_id)
            rows = await unit.challenges.submissions_of_member(member.member_id, challenge_id,
                                                               limit)
            return [await submission_view(unit, row) for row in rows]

    async def judged(self, challenge_id: int, page: int = 1, per_page: int = 25
                     ) -> tuple[list[SubmissionEntry], bool]:
        """Every member's submissions to a challenge, newest first, a page at a time.

        The second value says whether an older page follows.
        """
        async with self._db.unit() as unit:
            row = await self._get(unit, challenge_id)
            tests = len(await unit.challenges.tests(challenge_id))
            found = await unit.challenges.submissions_of_challenge(
                challenge_id, per_page + 1, (page - 1) * per_page)
        entries = [SubmissionEntry(view_of(sub, row.title, tests), sub.member_id, name,
                                   sub.language) for sub, name in found[:per_page]]
        return entries, len(found) > per_page

    # Helpers.

    async def _get(self, unit: Unit, challenge_id: int) -> ChallengeRow:
        row = await unit.challenges.get(challenge_id)
        if row is None:
            raise UserError(f"There is no challenge #{challenge_id}. Send /challenges to list "
                            "the open ones.")
        return row

    async def _check_event(self, unit: Unit, event_id: int | None) -> None:
        if event_id is not None and await unit.events.get(event_id) is None:
            raise UserError(f"There is no event #{event_id}.")
