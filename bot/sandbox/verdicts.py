"""Verdicts and the pure decision engine of JUDGE.md §3.4 (facts in, verdict out)."""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass
from enum import StrEnum

from bot.sandbox.checker import first_difference, outputs_match
from bot.sandbox.facts import KillReason, RunFacts
from bot.sandbox.limits import Limits


class Verdict(StrEnum):
    """Outcome of a test or a whole submission."""

    AC = "AC"
    WA = "WA"
    TLE = "TLE"
    MLE = "MLE"
    RE = "RE"
    CE = "CE"
    OLE = "OLE"
    IE = "IE"


@dataclass(frozen=True, slots=True)
class Decision:
    """A verdict with a short, host-path-free explanation for the member."""

    verdict: Verdict
    detail: str = ""


# Phrases that only appear in stderr when an allocation failed (RLIMIT_AS hit).
_MEMORY_MARKERS = ("MemoryError", "Cannot allocate memory", "[Errno 12]")
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::|$)")
# Fraction of the hard CPU limit from which a SIGKILL is blamed on RLIMIT_CPU.
_CPU_KILL_SLACK = 0.95


def _stderr_tail(facts: RunFacts, lines: int = 10) -> list[str]:
    text = facts.stderr.decode("utf-8", errors="replace")
    return [line for line in text.splitlines() if line.strip()][-lines:]


def _memory_evidence(facts: RunFacts, limits: Limits) -> bool:
    if facts.peak_rss_bytes > limits.memory_bytes:
        return True
    if facts.returncode == 0:
        return False
    return any(marker in line for line in _stderr_tail(facts) for marker in _MEMORY_MARKERS)


def _time_evidence(facts: RunFacts, limits: Limits) -> str | None:
    if facts.killed is KillReason.WALL:
        return "wall-clock limit exceeded"
    if facts.cpu_s > limits.cpu_s:
        return "CPU time limit exceeded"
    if (
        facts.likely_signal == signal.SIGKILL
        and facts.cpu_s >= _CPU_KILL_SLACK * limits.cpu_hard_s
    ):
        return "CPU time limit exceeded"
    return None


def describe_crash(facts: RunFacts) -> str:
    """Name the cause of a non-zero exit: the exception type or the signal name."""
    for line in reversed(_stderr_tail(facts)):
        match = _EXCEPTION_LINE.match(line)
        if match and (match.group(1).endswith(("Error", "Exception", "Exit", "Interrupt"))):
            return match.group(1)
    sig = facts.likely_signal
    if sig is not None:
        try:
            return signal.Signals(sig).name
        except ValueError:
            return f"signal {sig}"
    return f"exit code {facts.returncode}"


def decide_compile(facts: RunFacts) -> Decision | None:
    """Verdict of the compile step: None when it passed, CE or IE otherwise."""
    if not facts.started:
        return Decision(Verdict.IE, facts.setup_error or "sandbox did not start")
    if facts.killed is KillReason.SUPERVISOR:
        return Decision(Verdict.IE, "the sandbox's supervisor was lost while compiling")
    if facts.returncode == 0:
        return None
    if facts.killed is not KillReason.NONE or facts.returncode != 1:
        return Decision(Verdict.CE, "compilation exceeded its limits")
    return Decision(Verdict.CE, "")


def decide(facts: RunFacts, limits: Limits, expected_output: str) -> Decision:
    """Apply the priority order IE > OLE > MLE > TLE > RE > WA/AC to one test run.

    Output is only compared when the program exited with status 0: output written
    before a crash is never judged (Kattis).
    """
    if not facts.started:
        return Decision(Verdict.IE, facts.setup_error or "sandbox did not start")
    if facts.killed is KillReason.STDOUT:
        return Decision(Verdict.OLE, "stdout limit exceeded")
    if facts.killed is KillReason.STDERR:
        return Decision(Verdict.OLE, "stderr limit exceeded")
    if facts.killed is KillReason.CANCELLED:
        return Decision(Verdict.IE, "run cancelled")
    if facts.killed is KillReason.SUPERVISOR:
        return Decision(Verdict.RE, "the program disrupted the judge's supervisor")
    if _memory_evidence(facts, limits):
        return Decision(Verdict.MLE, "memory limit exceeded")
    time_reason = _time_evidence(facts, limits)
    if time_reason is not None:
        return Decision(Verdict.TLE, time_reason)
    if facts.returncode != 0:
        return Decision(Verdict.RE, describe_crash(facts))
    if outputs_match(facts.stdout, expected_output):
        return Decision(Verdict.AC)
    diff = first_difference(facts.stdout, expected_output)
    detail = "" if diff is None else f"line {diff.line} differs"
    return Decision(Verdict.WA, detail)
