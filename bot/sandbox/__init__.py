"""Local sandboxed judging of untrusted code with bubblewrap (standard library only).

Names are imported lazily: the sandbox worker process imports a few submodules and
must stay small (its RSS is the floor of every reported peak memory), so this
package's import must not pull in asyncio.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.sandbox.checker import LineDifference, first_difference, outputs_match
    from bot.sandbox.config import SandboxConfig
    from bot.sandbox.facts import KillReason, RunFacts
    from bot.sandbox.judge import Availability, LocalSandbox
    from bot.sandbox.languages import LanguageSpec, UnsupportedLanguageError, find_language
    from bot.sandbox.limits import Limits
    from bot.sandbox.piston import PistonConfig, PistonJudge
    from bot.sandbox.protocol import Judge
    from bot.sandbox.results import JudgeResult, TestCase, TestResult
    from bot.sandbox.selfcheck import SelfCheckReport, run_self_check
    from bot.sandbox.verdicts import Decision, Verdict, decide, decide_compile

_HOMES = (
    ("bot.sandbox.checker", ("LineDifference", "first_difference", "outputs_match")),
    ("bot.sandbox.config", ("SandboxConfig",)),
    ("bot.sandbox.facts", ("KillReason", "RunFacts")),
    ("bot.sandbox.judge", ("Availability", "LocalSandbox")),
    ("bot.sandbox.languages", ("LanguageSpec", "UnsupportedLanguageError", "find_language")),
    ("bot.sandbox.limits", ("Limits",)),
    ("bot.sandbox.piston", ("PistonConfig", "PistonJudge")),
    ("bot.sandbox.protocol", ("Judge",)),
    ("bot.sandbox.results", ("JudgeResult", "TestCase", "TestResult")),
    ("bot.sandbox.selfcheck", ("SelfCheckReport", "run_self_check")),
    ("bot.sandbox.verdicts", ("Decision", "Verdict", "decide", "decide_compile")),
)

__all__ = [
    "Availability",
    "Decision",
    "Judge",
    "JudgeResult",
    "KillReason",
    "LanguageSpec",
    "Limits",
    "LineDifference",
    "LocalSandbox",
    "PistonConfig",
    "PistonJudge",
    "RunFacts",
    "SandboxConfig",
    "SelfCheckReport",
    "TestCase",
    "TestResult",
    "UnsupportedLanguageError",
    "Verdict",
    "decide",
    "decide_compile",
    "find_language",
    "first_difference",
    "outputs_match",
    "run_self_check",
]


def __getattr__(name: str) -> Any:
    for module_name, names in _HOMES:
        if name in names:
            return getattr(importlib.import_module(module_name), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
