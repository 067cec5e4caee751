"""Stored rows turned into the views the service returns (one place, so every path agrees)."""

from __future__ import annotations

from dataclasses import replace

from bot.core import values
from bot.sandbox.verdicts import Verdict
from bot.services.challenges.views import (
    ChallengeView,
    Example,
    LeaderboardRow,
    SubmissionView,
)
from storage import Unit
from storage.rows.challenges import ChallengeRow, SubmissionRow


def to_view(row: ChallengeRow) -> ChallengeView:
    """The challenge alone, without its tests (enough to check its window)."""
    return ChallengeView(
        id=row.id, title=row.title, statement=row.statement, language=row.language,
        difficulty=row.difficulty, tags=values.split_tags(row.tags),
        points=row.points, bonus=row.first_solve_bonus, cpu_s=row.cpu_ms / 1000,
        memory_mib=row.memory_mib, opens_at=row.opens_at, closes_at=row.closes_at,
        status=row.status, event_id=row.event_id,
    )


async def challenge_view(unit: Unit, row: ChallengeRow, *, examples: bool = True
                         ) -> ChallengeView:
    """The challenge with its test count and (unless left out) its public examples."""
    tests = await unit.challenges.tests(row.id)
    shown = tuple(Example(t.number, t.input, t.output) for t in tests if t.public)
    return replace(to_view(row), test_count=len(tests), examples=shown if examples else ())


async def submission_view(unit: Unit, row: SubmissionRow) -> SubmissionView:
    """A submission with its challenge's title and test count."""
    challenge = await unit.challenges.get(row.challenge_id)
    tests = len(await unit.challenges.tests(row.challenge_id)) if challenge else 0
    return view_of(row, challenge.title if challenge else "?", tests)


def view_of(row: SubmissionRow, title: str, tests: int) -> SubmissionView:
    """A submission of a challenge whose title and test count are known."""
    return SubmissionView(
        id=row.id, challenge_id=row.challenge_id,
        challenge_title=title, status=row.status,
        verdict=Verdict(row.verdict) if row.verdict else None, failed_test=row.failed_test,
        tests_passed=row.tests_passed, test_count=tests,
        cpu_s=row.cpu_ms / 1000 if row.cpu_ms is not None else None,
        memory_mib=row.memory_kib / 1024 if row.memory_kib is not None else None,
        detail=row.detail, feedback=row.feedback, created_at=row.created_at,
    )


async def leaderboard(unit: Unit, row: ChallengeRow) -> list[LeaderboardRow]:
    """Solvers in order of solve time, the first solver marked."""
    return [
        LeaderboardRow(rank, solve.member_id, name, solve.solved_at, solve.attempts,
                       solve.member_id == row.first_solver_id)
        for rank, (solve, name) in enumerate(await unit.challenges.solves(row.id), start=1)
    ]
