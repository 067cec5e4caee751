"""Real programs in the real sandbox get the right verdict (JUDGE.md §4 items 7, 8, 10, 12-14)."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.sandbox import KillReason, Limits, LocalSandbox, TestCase, Verdict
from tests.sandbox.conftest import FAST, judge_one

pytestmark = pytest.mark.sandbox

SUM = "a, b = map(int, input().split())\nprint(a + b)\n"


async def test_accepted_with_figures(sandbox: LocalSandbox) -> None:
    tests = [TestCase("1 2\n", "3\n", public=True), TestCase("40 2\n", "42")]
    result = await sandbox.judge(SUM, "python3", tests, FAST)
    assert result.verdict is Verdict.AC
    assert result.failed_test is None
    assert [test.verdict for test in result.tests] == [Verdict.AC, Verdict.AC]
    assert 0 < result.max_cpu_s < 0.5
    # The floor is the worker's own RSS (~15 MB), never the test process's.
    assert 5 << 20 < result.max_memory_bytes < 40 << 20


async def test_wrong_answer_names_the_test(sandbox: LocalSandbox) -> None:
    tests = [TestCase("1 2\n", "3\n"), TestCase("2 2\n", "5\n"), TestCase("0 0\n", "0\n")]
    result = await sandbox.judge(SUM, "python3", tests, FAST)
    assert result.verdict is Verdict.WA
    assert result.failed_test == 2
    assert len(result.tests) == 2  # stops at the first failure


async def test_compile_error_runs_no_test(sandbox: LocalSandbox) -> None:
    result = await judge_one(sandbox, "def broken(:\n    pass\n")
    assert result.verdict is Verdict.CE
    assert result.tests == ()
    assert "SyntaxError" in result.compile_output
    assert "/box/solution.py" in result.compile_output
    assert "/work" not in result.compile_output


async def test_compile_step_never_executes_the_code(sandbox: LocalSandbox) -> None:
    result = await judge_one(sandbox, "print('ran')\nraise SystemExit(3)\n", expected="ran")
    # had the compile step executed the code, its exit status 3 would have made this a CE
    assert result.verdict is Verdict.RE
    assert result.tests[0].exit_code == 3


async def test_runtime_error_shows_the_exception(sandbox: LocalSandbox) -> None:
    result = await judge_one(sandbox, "print('partial')\n1 / 0\n", expected="partial")
    assert result.verdict is Verdict.RE
    assert result.detail == "ZeroDivisionError"
    assert "ZeroDivisionError" in result.tests[0].stderr_tail


async def test_segfault_is_a_runtime_error(sandbox: LocalSandbox) -> None:
    result = await judge_one(sandbox, "import ctypes\nctypes.string_at(0)\n")
    assert result.verdict is Verdict.RE
    assert result.detail == "SIGSEGV"


@pytest.mark.parametrize(
    ("source", "verdict"),
    [
        ("print(42)\nraise SystemExit(137)\n", Verdict.RE),
        ("print(42)\nimport os\nos._exit(137)\n", Verdict.RE),
        ("print(42)\nimport sys\nsys.exit(256)\n", Verdict.AC),  # status 256 is 0
        ("print(42)\nimport sys\nsys.exit('text')\n", Verdict.RE),
        ("print(42)\nexit(-1)\n", Verdict.RE),
    ],
)
async def test_exit_status_semantics(sandbox: LocalSandbox, source: str, verdict: Verdict) -> None:
    assert (await judge_one(sandbox, source, expected="42")).verdict is verdict


async def test_invalid_utf8_output_is_wrong_answer(sandbox: LocalSandbox) -> None:
    result = await judge_one(
        sandbox, "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe\\n')\n", "x"
    )
    assert result.verdict is Verdict.WA
    assert "\ufffd" in result.tests[0].stdout_tail


async def test_cpu_hog_is_tle_and_the_loop_keeps_answering(sandbox: LocalSandbox) -> None:
    worst_gap = 0.0

    async def ticker() -> None:
        nonlocal worst_gap
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            worst_gap = max(worst_gap, time.monotonic() - before)

    pinger = asyncio.create_task(ticker())
    started = time.monotonic()
    result = await judge_one(
        sandbox,
        "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass\n",
    )
    elapsed = time.monotonic() - started
    pinger.cancel()
    assert result.verdict is Verdict.TLE
    test = result.tests[0]
    # killed by RLIMIT_CPU (hard = ceil(1) + 1 = 2 s), measured through wait4
    assert 1.0 < test.cpu_s < 2.5
    assert elapsed < FAST.effective_wall_s + 1
    assert worst_gap < 0.25, f"event loop blocked for {worst_gap:.3f} s"


async def test_busy_threads_count_against_cpu(sandbox: LocalSandbox) -> None:
    source = (
        "import threading\n"
        "def spin():\n    while True:\n        pass\n"
        "for _ in range(3):\n    threading.Thread(target=spin, daemon=True).start()\n"
        "spin()\n"
    )
    result = await judge_one(sandbox, source)
    assert result.verdict is Verdict.TLE
    assert result.tests[0].cpu_s >= 1.0


async def test_sleeper_is_tle_by_wall_clock(sandbox: LocalSandbox) -> None:
    limits = Limits(cpu_s=1, wall_s=1)
    started = time.monotonic()
    result = await judge_one(sandbox, "import time\ntime.sleep(60)\n", limits=limits)
    assert result.verdict is Verdict.TLE
    assert result.detail == "wall-clock limit exceeded"
    assert result.tests[0].cpu_s < 0.5
    assert time.monotonic() - started < 1 + 0.5 + 0.5  # + compile step


async def test_blocked_read_is_tle_not_a_hang(sandbox: LocalSandbox) -> None:
    # stdin is a finite file: reading past it gives EOF, never blocks like a terminal
    result = await judge_one(sandbox, "import sys\nprint(len(sys.stdin.read()))\n", "5", "hello")
    assert result.verdict is Verdict.AC


@pytest.mark.parametrize(
    "source",
    [
        "x = bytearray(1 << 30)\n",
        "blocks = []\nwhile True:\n    blocks.append(bytearray(1 << 20))\n",
        "import mmap\nm = mmap.mmap(-1, 1 << 30)\nm[:] = b'x' * (1 << 30)\n",
        "x = ' ' * (300 << 20)\n",
    ],
    ids=["bytearray", "list", "mmap", "string"],
)
async def test_memory_bombs_are_mle(sandbox: LocalSandbox, source: str) -> None:
    result = await judge_one(sandbox, source, limits=Limits(cpu_s=1, wall_s=3, memory_mib=64))
    assert result.verdict is Verdict.MLE, result.tests[0].stderr_tail


async def test_touching_more_than_the_limit_is_mle_even_on_clean_exit(
    sandbox: LocalSandbox,
) -> None:
    # within RLIMIT_AS (limit + grace) but above the judged peak-RSS limit
    source = "x = bytearray(100 << 20)\nfor i in range(0, len(x), 4096):\n    x[i] = 1\nprint(1)\n"
    result = await judge_one(sandbox, source, "1", limits=Limits(cpu_s=1, wall_s=3, memory_mib=64))
    assert result.verdict is Verdict.MLE
    assert result.tests[0].peak_memory_bytes > 100 << 20


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("while True:\n    print('x' * 1000)\n", KillReason.STDOUT),
        ("import sys\nwhile True:\n    sys.stderr.write('e' * 1000)\n", KillReason.STDERR),
    ],
)
async def test_output_floods_are_ole(
    sandbox: LocalSandbox, source: str, reason: KillReason
) -> None:
    limits = FAST
    facts = await sandbox.run_once(source, "python3", "", limits)
    assert facts.killed is reason
    assert len(facts.stdout) <= limits.stdout_bytes
    assert len(facts.stderr) <= limits.stderr_bytes
    assert facts.wall_s < 1
    result = await judge_one(sandbox, source, limits=limits)
    assert result.verdict is Verdict.OLE


async def test_large_output_under_the_cap_is_kept_exactly(sandbox: LocalSandbox) -> None:
    expected = "\n".join(str(i) for i in range(5000))
    result = await judge_one(sandbox, "for i in range(5000):\n    print(i)\n", expected)
    assert result.verdict is Verdict.AC


async def test_unknown_language_is_refused(sandbox: LocalSandbox) -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        await sandbox.judge("x", "cobol", [TestCase("", "")], FAST)
