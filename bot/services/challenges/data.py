"""The challenges' part of ``/mydata`` and ``/forgetme``: submissions (with code) and solves."""

from __future__ import annotations

from typing import Any

from storage import Unit


class SubmissionData:
    """A member's submissions and solves, for ``/mydata`` and ``/forgetme``."""

    name = "challenges"

    async def export(self, unit: Unit, member_id: int) -> Any:
        """Submissions (with code) and solves."""
        submissions = await unit.challenges.submissions_of_member(member_id)
        solves = await unit.challenges.solves_of_member(member_id)
        return {
            "submissions": [
                {"id": s.id, "challenge": s.challenge_id, "language": s.language,
                 "source": s.source, "status": s.status, "verdict": s.verdict,
                 "failed_test": s.failed_test, "cpu_ms": s.cpu_ms, "memory_kib": s.memory_kib,
                 "submitted_at": s.created_at.isoformat(),
                 "judged_at": s.judged_at.isoformat() if s.judged_at else None}
                for s in reversed(submissions)
            ],
            "solves": [
                {"challenge": s.challenge_id, "submission": s.submission_id,
                 "attempts": s.attempts, "solved_at": s.solved_at.isoformat()}
                for s in solves
            ],
        }

    async def forget(self, unit: Unit, member_id: int) -> None:
        """Delete the member's submissions and solves."""
        await unit.challenges.delete_for_member(member_id)
