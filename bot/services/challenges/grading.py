"""Judging one stored submission and recording what it earned.

The verdict is decided by the sandbox's own engine; this module turns it into what a
member may see (for public tests only, the first differing line or the last lines of
stderr; everything neutralised), records the first solve of each member and the first
solve of each challenge, awards points through a :class:`PointsAwarder` (a port the
points ledger implements), and DMs verdicts nobody is waiting for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.sandbox.checker import first_difference
from bot.sandbox.limits import Limits
from bot.sandbox.results import TAIL_BYTES, JudgeResult, TestCase
from bot.sandbox.verdicts import Verdict
from bot.services.challenges.judging import JudgeGate, neutralise_block, neutralise_line
from bot.services.challenges.reading import submission_view
from bot.services.challenges.texts import render_outcome
from bot.services.challenges.views import SubmissionOutcome
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from storage import Database, Unit
from storage.rows.challenges import ChallengeRow, ChallengeTestRow

logger = logging.getLogger(__name__)


class PointsAwarder(Protocol):
    """Where challenge points go; the points ledger implements it."""

    async def award(self, unit: Unit, member_id: int, amount: int, reason: str,
                    key: str) -> bool:
        """Award ``amount`` once per ``key`` inside ``unit``; True when it was new."""
        ...


class Grader:
    """Judges queued submissions one at a time; the judging queue's ``process``."""

    def __init__(self, db: Database, clock: Clock, gate: JudgeGate, outbox: Outbox,
                 awarder: PointsAwarder, *, total_budget_s: float) -> None:
        self._db = db
        self._clock = clock
        self._gate = gate
        self._outbox = outbox
        self._awarder = awarder
        self._total_budget_s = total_budget_s

    async def process(self, submission_id: int, claim_reply: Callable[[], bool]
                      ) -> SubmissionOutcome | None:
        """Judge one submission, record the verdict and any solve; None when forgotten."""
        async with self._db.unit() as unit:
            row = await unit.challenges.submission(submission_id)
            if row is None:  # forgotten while queued
                return None
            challenge = await unit.challenges.get(row.challenge_id)
            if challenge is None:
                return None
            tests = await unit.challenges.tests(challenge.id)
            previous = row.verdict
            await unit.challenges.update_submission(submission_id, status="running")
            source, language, member_id = row.source, row.language, row.member_id
            limits = Limits(cpu_s=challenge.cpu_ms / 1000, memory_mib=challenge.memory_mib,
                            total_wall_s=self._total_budget_s)
        cases = [TestCase(t.input, t.output, t.public) for t in tests]
        try:
            judge = await self._gate.get()
            result = await judge.judge(source, language, cases, limits)
        except UserError:
            logger.warning("submission %s not judged: the judge is unavailable", submission_id)
            result = JudgeResult(Verdict.IE, None, (), detail="judge unavailable")
        if result.verdict is Verdict.IE:
            logger.error("internal judge error on submission %s: %s", submission_id,
                         result.detail)
        now = self._clock.now()
        async with self._db.unit() as unit:
            fresh = await unit.challenges.record_verdict(
                submission_id, judged_at=now, **result_fields(result, tests))
            if fresh is None:
                return None  # forgotten while it ran
            outcome = SubmissionOutcome(await submission_view(unit, fresh))
            if result.verdict is Verdict.AC:
                outcome = await self._solved(unit, challenge, member_id, submission_id,
                                             outcome, now)
            if not claim_reply() and (previous is None or previous != result.verdict.value):
                # Nobody waits for this verdict (restart, rejudge, slow queue): send a DM.
                await self._outbox.put(unit, [Outgoing(
                    key=f"submission:{submission_id}:verdict:{fresh.judge_count}",
                    kind=OutboxKind.NOTICE, text=render_outcome(outcome), due_at=now,
                    member_id=member_id,
                )])
        return outcome

    async def failed(self, submission_id: int) -> None:
        """A bug, not the member's code: record IE so the member is not blocked forever."""
        async with self._db.unit() as unit:
            await unit.challenges.update_submission(
                submission_id, status="done", verdict=Verdict.IE.value,
                detail="internal error", judged_at=self._clock.now())

    async def _solved(self, unit: Unit, challenge: ChallengeRow, member_id: int,
                      submission_id: int, outcome: SubmissionOutcome, now: datetime
                      ) -> SubmissionOutcome:
        attempts = await unit.challenges.attempts_until(challenge.id, member_id, submission_id)
        if not await unit.challenges.add_solve(challenge.id, member_id, submission_id,
                                               attempts, now):
            return outcome
        points = bonus = 0
        if challenge.points > 0 and await self._awarder.award(
            unit, member_id, challenge.points, f"solved challenge #{challenge.id}",
            f"challenge:{challenge.id}:solved:{member_id}",
        ):
            points = challenge.points
        first = await unit.challenges.claim_first_solve(challenge.id, member_id, now)
        if first and challenge.first_solve_bonus > 0 and await self._awarder.award(
            unit, member_id, challenge.first_solve_bonus,
            f"first solve of challenge #{challenge.id}", f"challenge:{challenge.id}:first-solve",
        ):
            bonus = challenge.first_solve_bonus
        return replace(outcome, points=points, bonus=bonus, first_solve=first,
                       newly_solved=True)


def result_fields(result: JudgeResult, tests: Sequence[ChallengeTestRow]) -> dict[str, Any]:
    """Submission columns from a judge result; feedback only from public tests."""
    passed = sum(1 for test in result.tests if test.verdict is Verdict.AC)
    feedback = ""
    failing = next((t for t in result.tests if t.number == result.failed_test), None)
    if result.verdict is Verdict.CE:
        feedback = neutralise_block(result.compile_output)
    elif failing is not None and failing.public:
        expected = tests[failing.number - 1].output if failing.number <= len(tests) else ""
        if result.verdict is Verdict.WA and len(failing.stdout_tail.encode()) < TAIL_BYTES:
            diff = first_difference(failing.stdout_tail.encode(), expected)
            if diff is not None:
                feedback = (f"Line {diff.line}: expected "
                            f"`{neutralise_line(diff.expected, 120)}`, got "
                            f"`{neutralise_line(diff.actual, 120)}`.")
        elif result.verdict is Verdict.RE:
            feedback = neutralise_block(failing.stderr_tail)
    return {
        "verdict": result.verdict.value,
        "failed_test": result.failed_test,
        "tests_passed": passed,
        "cpu_ms": round(result.max_cpu_s * 1000),
        "memory_kib": result.max_memory_bytes // 1024,
        "detail": neutralise_line(result.detail, 200),
        "feedback": feedback,
    }

