"""Local sandboxed judging of untrusted code with bubblewrap (standard library only)."""

from bot.sandbox.checker import LineDifference, first_difference, outputs_match
from bot.sandbox.config import SandboxConfig
from bot.sandbox.facts import KillReason, RunFacts
from bot.sandbox.judge import Availability, LocalSandbox
from bot.sandbox.languages import LanguageSpec, UnsupportedLanguageError, find_language
from bot.sandbox.limits import Limits
from bot.sandbox.protocol import Judge
from bot.sandbox.results import JudgeResult, TestCase, TestResult
from bot.sandbox.verdicts import Decision, Verdict, decide, decide_compile

__all__ = [
    "Availability",
    "Decision",
    "Judge",
    "JudgeResult",
    "KillReason",
    "LanguageSpec",
    "LineDifference",
    "Limits",
    "LocalSandbox",
    "RunFacts",
    "SandboxConfig",
    "TestCase",
    "TestResult",
    "UnsupportedLanguageError",
    "Verdict",
    "decide",
    "decide_compile",
    "find_language",
    "first_difference",
    "outputs_match",
]
