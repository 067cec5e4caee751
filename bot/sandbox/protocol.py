"""The port services depend on; ``LocalSandbox`` and remote backends implement it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.sandbox.limits import Limits
from bot.sandbox.results import JudgeResult, TestCase


class Judge(Protocol):
    """Judges a submission against tests and reports whether it can run at all."""

    async def judge(
        self, source: str, language: str, tests: Sequence[TestCase], limits: Limits
    ) -> JudgeResult:
        """Compile, run every test until the first failure, and decide the verdict."""
        ...

    async def is_available(self) -> bool:
        """Whether submissions can be judged now."""
        ...
