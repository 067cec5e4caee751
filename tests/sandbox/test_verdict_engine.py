"""The verdict engine and checker as pure functions (no sandbox needed)."""

from __future__ import annotations

import pytest

from bot.sandbox import KillReason, Limits, RunFacts, Verdict, decide, decide_compile
from bot.sandbox.checker import first_difference, outputs_match
from bot.sandbox.wire import (
    SessionRequest,
    StepRequest,
    decode_facts,
    decode_line,
    decode_session,
    decode_step,
    encode_facts,
    encode_open,
    encode_run,
)

LIMITS = Limits(cpu_s=2, memory_mib=256)


def facts(**overrides: object) -> RunFacts:
    base: dict[str, object] = {
        "returncode": 0,
        "cpu_s": 0.1,
        "wall_s": 0.2,
        "peak_rss_bytes": 10 * 1024 * 1024,
        "stdout": b"42\n",
        "stderr": b"",
        "sandbox_pid": 1234,
    }
    base.update(overrides)
    return RunFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, Verdict.AC),
        ({"stdout": b"41\n"}, Verdict.WA),
        ({"sandbox_pid": None}, Verdict.IE),
        ({"setup_error": "bwrap: boom"}, Verdict.IE),
        ({"killed": KillReason.STDOUT, "returncode": 137}, Verdict.OLE),
        ({"killed": KillReason.STDERR, "returncode": 137}, Verdict.OLE),
        # memory evidence beats TLE
        ({"killed": KillReason.WALL, "returncode": 137, "peak_rss_bytes": 300 << 20}, Verdict.MLE),
        ({"returncode": 1, "stderr": b"Traceback...\nMemoryError\n"}, Verdict.MLE),
        (
            {"returncode": 1, "stderr": b"OSError: [Errno 12] Cannot allocate memory\n"},
            Verdict.MLE,
        ),
        ({"peak_rss_bytes": 257 << 20}, Verdict.MLE),
        ({"killed": KillReason.WALL, "returncode": 137}, Verdict.TLE),
        ({"cpu_s": 2.5}, Verdict.TLE),
        ({"returncode": 137, "cpu_s": 3.0}, Verdict.TLE),
        # the program's own exit(137): no judge kill, no CPU or memory evidence
        ({"returncode": 137}, Verdict.RE),
        ({"returncode": 1, "stderr": b"ZeroDivisionError: division by zero\n"}, Verdict.RE),
        ({"returncode": 139}, Verdict.RE),
        # output before a crash is never judged
        ({"returncode": 1, "stdout": b"42\n"}, Verdict.RE),
        # a MemoryError that the program survived is not MLE
        ({"stderr": b"MemoryError\n"}, Verdict.AC),
    ],
)
def test_decision_order(overrides: dict[str, object], expected: Verdict) -> None:
    assert decide(facts(**overrides), LIMITS, "42").verdict is expected


def test_crash_details_name_the_exception_or_signal() -> None:
    assert decide(facts(returncode=139, stdout=b""), LIMITS, "").detail == "SIGSEGV"
    crash = facts(returncode=1, stderr=b'  File "/box/solution.py"\nKeyError: 3\n')
    assert decide(crash, LIMITS, "").detail == "KeyError"
    assert decide(facts(returncode=3), LIMITS, "").detail == "exit code 3"


def test_compile_decisions() -> None:
    assert decide_compile(facts()) is None
    assert decide_compile(facts(returncode=1)).verdict is Verdict.CE  # type: ignore[union-attr]
    assert decide_compile(facts(sandbox_pid=None)).verdict is Verdict.IE  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("actual", "expected", "match"),
    [
        (b"1 2\n3\n", "1 2\n3", True),
        (b"1 2   \n3\t\n\n\n", "1 2\n3\n", True),
        (b"1 2\r\n3\r\n", "1 2\n3\n", True),
        (b"", "", True),
        (b"\n\n", "", True),
        (b"", "0", False),
        (b" 1\n", "1\n", False),  # leading whitespace matters
        (b"1\n\n2\n", "1\n2\n", False),  # inner blank lines matter
        (b"\xff\xfe\n", "x", False),  # invalid UTF-8 is a WA, not a crash
        (b"a" * 1_000_000, "a" * 1_000_000, True),
    ],
)
def test_standard_checker(actual: bytes, expected: str, match: bool) -> None:
    assert outputs_match(actual, expected) is match


def test_first_difference() -> None:
    diff = first_difference(b"1\n2\n4\n", "1\n2\n3\n")
    assert diff is not None
    assert (diff.line, diff.expected, diff.actual) == (3, "3", "4")
    assert first_difference(b"1\n", "1\n2\n") is not None
    assert first_difference(b"1 \n", "1") is None


def test_limits_defaults_and_validation() -> None:
    limits = Limits()
    assert limits.cpu_s == 2
    assert limits.memory_mib == 256
    assert limits.effective_wall_s == 6
    assert limits.cpu_hard_s == 3
    assert limits.address_space_bytes == (256 + 128) << 20
    assert limits.for_compile().cpu_s == 5
    with pytest.raises(ValueError):
        Limits(cpu_s=0)
    with pytest.raises(ValueError):
        Limits(processes=0)


def test_wire_round_trip() -> None:
    original = facts(stdout=b"\x00\xff", killed=KillReason.WALL, sandbox_uid=61000)
    line = encode_facts(7, original)
    message = decode_line(line)
    assert message["id"] == 7
    assert decode_facts(message["facts"]) == original
    request = SessionRequest(
        launcher=("a",),
        bwrap="/usr/bin/bwrap",
        command=("/usr/bin/python3",),
        source_path="/box/solution.py",
        source=b"print(1)",
        limits=LIMITS,
        nproc=16,
        cwd="/box",
        clean=("/tmp", "/box"),
        keep=("/box/solution.py",),
        extra_ro_binds=(("/a", "/b"),),
        sweep_uid=61000,
    )
    opened = decode_line(encode_open(3, 4, request))
    assert (opened["id"], opened["session"]) == (3, 4)
    assert decode_session(opened["spec"]) == request
    step = StepRequest(argv=("/usr/bin/python3", "x"), stdin=b"\xff", limits=LIMITS)
    assert decode_step(decode_line(encode_run(5, 4, step))) == step
