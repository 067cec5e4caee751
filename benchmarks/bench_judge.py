"""Judging overhead: the same solution run bare with subprocess vs in the sandbox.

Usage: python benchmarks/bench_judge.py [runs]   (needs bubblewrap; root for per-slot uids)

G11 is per test of a submission: ``judge()`` with 10 tests (one sandbox start, the
compile check, 10 tests, verdicts: everything it does) against 10 bare runs of the same
solution, interleaved submission by submission. ``run_once`` (a sandbox for a single
run, start included) is printed for scale. Prints medians, ratios, submissions/minute.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.summary import record
from bot.sandbox import Limits, LocalSandbox, SandboxConfig, TestCase, Verdict

SOLUTION = "import sys\nprint(sum(map(int, sys.stdin.read().split())))\n"
STDIN = " ".join(str(i) for i in range(1000)) + "\n"
EXPECTED = str(sum(range(1000)))
TESTS_PER_SUBMISSION = 10


def bare_run(path: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/python3", "-I", "-B", path],
        input=STDIN.encode(),
        capture_output=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    assert done.stdout.strip() == EXPECTED.encode()
    return elapsed


async def main(runs: int) -> None:
    judge = LocalSandbox(SandboxConfig(slots=1))
    limits = Limits(cpu_s=2)
    tests = [TestCase(STDIN, EXPECTED)] * TESTS_PER_SUBMISSION
    submissions = max(3, runs // 4)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(SOLUTION)
    try:
        await judge.run_once("pass", "python3", "", limits)  # start the worker
        bare, sandboxed = [], []
        for _ in range(runs):  # interleaved, so both see the same machine state
            bare.append(bare_run(handle.name))
            started = time.perf_counter()
            facts = await judge.run_once(SOLUTION, "python3", STDIN, limits)
            sandboxed.append(time.perf_counter() - started)
            assert facts.stdout.strip() == EXPECTED.encode(), facts
        bare_batches, judged = [], []
        for _ in range(submissions):
            bare_batches.append(sum(bare_run(handle.name) for _ in tests))
            started = time.perf_counter()
            result = await judge.judge(SOLUTION, "python3", tests, limits)
            judged.append(time.perf_counter() - started)
            assert result.verdict is Verdict.AC, result
    finally:
        await judge.aclose()
        Path(handle.name).unlink()  # noqa: ASYNC240 - after the timed part
    bare_ms = statistics.median(bare) * 1000
    box_ms = statistics.median(sandboxed) * 1000
    per_submission = statistics.median(judged)
    per_test = per_submission / TESTS_PER_SUBMISSION * 1000
    bare_test = statistics.median(bare_batches) / TESTS_PER_SUBMISSION * 1000
    ratio = per_test / bare_test
    # Minimums: what each side costs when no other process got in the way.
    best_ratio = min(judged) / min(bare_batches)
    print(f"runs: {runs} each, interleaved; solution reads 1000 ints and prints their sum")
    print(f"bare subprocess     median {bare_ms:7.1f} ms  (min {min(bare) * 1000:.1f})")
    print(f"sandboxed run_once  median {box_ms:7.1f} ms  (min {min(sandboxed) * 1000:.1f})"
          f"  {box_ms / bare_ms:.2f}x: one sandbox start per run")
    print(f"judge(), {TESTS_PER_SUBMISSION} tests + compile step, {submissions} submissions: "
          f"{per_test:.1f} ms per test vs {bare_test:.1f} ms bare, ratio {ratio:.2f}x")
    print(f"  best submission vs best bare batch (least disturbed by other load): "
          f"{best_ratio:.2f}x")
    record("G11", "run_once: one run, sandbox start included (for scale)", f"{box_ms:.1f} ms",
           f"{box_ms / bare_ms:.2f}x", "info", None)
    record("G11", f"judge(), {TESTS_PER_SUBMISSION} tests: per test vs a bare run",
           f"{per_test:.1f} ms", f"{ratio:.2f}x", "<= 1.5x", ratio <= 1.5)
    print(
        f"judge(): {per_submission * 1000:.0f} ms per submission, "
        f"{60 / per_submission:.0f} submissions/minute on one slot"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 40))
