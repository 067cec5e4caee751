"""Frozen values the challenges service takes and returns (no behaviour beyond a check)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.core.model import Platform
from bot.sandbox.verdicts import Verdict


@dataclass(frozen=True, slots=True)
class ChallengeFields:
    """Fields of a challenge to set; None leaves a field as it is (or takes the default)."""

    title: str | None = None
    statement: str | None = None
    language: str | None = None
    difficulty: str | None = None
    tags: str | None = None
    points: int | None = None
    bonus: int | None = None
    cpu_s: int | None = None
    memory_mib: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    event_id: int | None = None
    examples: str | None = None  # "1,2" or "none": which tests are shown as examples
    queued: bool = False  # held back for the rotation instead of opening


@dataclass(frozen=True, slots=True)
class Example:
    """A public test shown with the statement."""

    number: int
    input: str
    output: str


@dataclass(frozen=True, slots=True)
class ChallengeView:
    """A challenge as members and admins see it."""

    id: int
    title: str
    statement: str
    language: str
    difficulty: str
    tags: tuple[str, ...]
    points: int
    bonus: int
    cpu_s: float
    memory_mib: int
    opens_at: datetime
    closes_at: datetime | None
    status: str
    event_id: int | None
    test_count: int = 0
    examples: tuple[Example, ...] = ()

    def accepting(self, now: datetime) -> bool:
        """Whether submissions are accepted at ``now``."""
        return (self.status == "open" and self.opens_at <= now
                and (self.closes_at is None or now < self.closes_at))


@dataclass(frozen=True, slots=True)
class SubmissionView:
    """A submission and, once judged, its verdict."""

    id: int
    challenge_id: int
    challenge_title: str
    status: str
    verdict: Verdict | None
    failed_test: int | None
    tests_passed: int
    test_count: int
    cpu_s: float | None
    memory_mib: float | None
    detail: str
    feedback: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SubmissionEntry:
    """One line of a challenge's submissions list for its admins: who, in what, judged how."""

    submission: SubmissionView
    member_id: int
    member: str
    language: str


@dataclass(frozen=True, slots=True)
class SubmissionOutcome:
    """A judged submission with what it earned."""

    submission: SubmissionView
    points: int = 0
    bonus: int = 0
    first_solve: bool = False
    newly_solved: bool = False


@dataclass(frozen=True, slots=True)
class SubmitReceipt:
    """What ``/submit`` gets: the outcome, or the queue position when it took too long."""

    submission_id: int
    outcome: SubmissionOutcome | None
    position: int | None = None


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    """One solver of a challenge, in order of solve time."""

    rank: int
    member_id: int
    display_name: str
    solved_at: datetime
    attempts: int
    first: bool


@dataclass(frozen=True, slots=True)
class ChallengeStats:
    """Attempts, solves, verdict counts and the leaderboard of one challenge."""

    challenge: ChallengeView
    submissions: int
    members: int
    solves: int
    verdicts: Mapping[str, int]
    leaderboard: tuple[LeaderboardRow, ...]
    queued: int = 0


@dataclass(frozen=True, slots=True)
class SubmissionPlace:
    """Where a submission was sent from (for the interaction log and late verdicts)."""

    platform: Platform
    place_id: str
    is_direct: bool
    source_id: str


@dataclass(frozen=True, slots=True)
class ChallengeRules:
    """Tunable limits of the submission flow."""

    cooldown_s: float = 10.0
    reply_wait_s: float = 120.0
    queue_capacity: int = 20
    workers: int = 1
    total_budget_s: float = 30.0
