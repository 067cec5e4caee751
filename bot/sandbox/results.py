"""Test cases in, per-test and per-submission results out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.sandbox.checker import decode_output
from bot.sandbox.facts import RunFacts
from bot.sandbox.verdicts import Decision, Verdict

# Enough for chat feedback (Discord allows 2000 characters per message).
TAIL_BYTES = 4096


def tail_text(data: bytes, limit: int = TAIL_BYTES) -> str:
    """The last ``limit`` bytes decoded leniently (never raises on invalid UTF-8)."""
    return decode_output(data[-limit:])


@dataclass(frozen=True, slots=True)
class TestCase:
    """One hidden or public test; public ones may be shown as examples and in feedback."""

    __test__: ClassVar[bool] = False  # not a pytest class

    input: str
    expected_output: str
    public: bool = False


@dataclass(frozen=True, slots=True)
class TestResult:
    """Outcome of one test, with the figures shown to members."""

    __test__: ClassVar[bool] = False

    number: int
    verdict: Verdict
    detail: str
    cpu_s: float
    wall_s: float
    peak_memory_bytes: int
    exit_code: int | None
    signal: int | None
    stdout_tail: str
    stderr_tail: str
    public: bool

    @classmethod
    def from_facts(
        cls, number: int, decision: Decision, facts: RunFacts, public: bool
    ) -> TestResult:
        """Combine a decision with the run's figures."""
        return cls(
            number=number,
            verdict=decision.verdict,
            detail=decision.detail,
            cpu_s=facts.cpu_s,
            wall_s=facts.wall_s,
            peak_memory_bytes=facts.peak_rss_bytes,
            exit_code=facts.returncode,
            signal=facts.likely_signal if facts.returncode != 0 else None,
            stdout_tail=tail_text(facts.stdout),
            stderr_tail=tail_text(facts.stderr),
            public=public,
        )


@dataclass(frozen=True, slots=True)
class JudgeResult:
    """Outcome of a submission: AC only if every test is AC; stops at the first failure."""

    verdict: Verdict
    failed_test: int | None
    tests: tuple[TestResult, ...]
    compile_output: str = ""
    detail: str = ""

    @property
    def accepted(self) -> bool:
        """Whether every test passed."""
        return self.verdict is Verdict.AC

    @property
    def max_cpu_s(self) -> float:
        """Largest CPU time over the tests run."""
        return max((test.cpu_s for test in self.tests), default=0.0)

    @property
    def max_memory_bytes(self) -> int:
        """Largest peak memory over the tests run."""
        return max((test.peak_memory_bytes for test in self.tests), default=0)
