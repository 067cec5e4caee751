"""Concurrency, cancellation, parent death and start-up checks (JUDGE.md §4 items 15, 16, 18)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from bot.sandbox import Limits, LocalSandbox, SandboxConfig, Verdict, run_self_check
from bot.sandbox.procs import live_tasks_of_uid
from tests.sandbox.conftest import (
    FAST,
    PROJECT_ROOT,
    alive,
    child_pids,
    judge_one,
    parent_links,
    require_bwrap,
)

pytestmark = pytest.mark.sandbox

_LOOPER = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from bot.sandbox import Limits, LocalSandbox, SandboxConfig

async def main():
    judge = LocalSandbox(SandboxConfig(base_uid=int(sys.argv[2])))
    print("judging", flush=True)
    await judge.run_once("while True:\\n    pass\\n", "python3", "", Limits(cpu_s=30, wall_s=60))

asyncio.run(main())
"""


async def _wait_for(predicate: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.parametrize("victim", ["bot", "worker"])
async def test_killing_the_parent_kills_the_sandbox(victim: str) -> None:
    require_bwrap()
    base_uid = 62000 if victim == "bot" else 62100
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _LOOPER, str(PROJECT_ROOT), str(base_uid), stdout=subprocess.PIPE
    )
    try:
        assert bot.stdout is not None
        assert await bot.stdout.readline() == b"judging\n"
        # worker → launcher (bwrap) → the looping program
        assert await _wait_for(lambda: len(child_pids(bot.pid)) >= 3, 10), "sandbox never started"
        await asyncio.sleep(0.3)
        tree = child_pids(bot.pid)
        (worker,) = [child for child, parent in parent_links().items() if parent == bot.pid]
        os.kill(bot.pid if victim == "bot" else worker, signal.SIGKILL)
        assert await _wait_for(lambda: not any(alive(pid) for pid in tree), 3), (
            f"sandbox processes survived: {[pid for pid in tree if alive(pid)]}"
        )
        if os.geteuid() == 0:
            assert live_tasks_of_uid(base_uid) == []
    finally:
        if bot.returncode is None:
            bot.kill()
        await bot.wait()


async def test_concurrency_is_bounded_by_slots() -> None:
    require_bwrap()
    judge = LocalSandbox(SandboxConfig(slots=2))
    source = (
        "import time\nstart = time.monotonic()\ntime.sleep(0.3)\nprint(start, time.monotonic())\n"
    )
    try:
        runs = await asyncio.gather(
            *(judge.run_once(source, "python3", "", FAST) for _ in range(5))
        )
    finally:
        await judge.aclose()
    spans = [tuple(map(float, facts.stdout.split())) for facts in runs]
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    assert peak == 2
    if os.geteuid() == 0:
        assert {facts.sandbox_uid for facts in runs} == set(judge.slot_uids())


async def test_cancelling_a_judgement_kills_its_sandbox(sandbox: LocalSandbox) -> None:
    task = asyncio.create_task(
        judge_one(sandbox, "while True:\n    pass\n", limits=Limits(cpu_s=10))
    )
    worker_ready = await _wait_for(
        lambda: sandbox.worker_pid is not None and len(child_pids(sandbox.worker_pid)) >= 2, 5
    )
    assert worker_ready
    assert sandbox.worker_pid is not None
    tree = child_pids(sandbox.worker_pid)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 1.5
    assert not any(alive(pid) for pid in tree)
    # the slot is free again and works
    assert (await judge_one(sandbox, "print(1)", "1")).verdict is Verdict.AC


async def test_broken_sandbox_is_an_internal_error_not_a_verdict() -> None:
    require_bwrap()
    judge = LocalSandbox(SandboxConfig(extra_ro_binds=(("/nonexistent/cohort", "/opt/x"),)))
    try:
        result = await judge_one(judge, "print(1)", "1")
        available = await judge.availability()
    finally:
        await judge.aclose()
    assert result.verdict is Verdict.IE
    assert not available.ok
    assert "Can't find source path" in available.reason


async def test_missing_bwrap_is_reported() -> None:
    judge = LocalSandbox(SandboxConfig(bwrap_path="/nonexistent/bwrap"))
    try:
        available = await judge.availability()
        result = await judge_one(judge, "print(1)", "1")
    finally:
        await judge.aclose()
    assert not available.ok
    assert "bubblewrap not found" in available.reason
    assert result.verdict is Verdict.IE


async def test_availability_and_self_check(sandbox: LocalSandbox) -> None:
    assert await sandbox.is_available()
    report = await run_self_check(sandbox)
    assert report.confined, report.summary()
    assert {probe.name for probe in report.probes} == {
        "control",
        "confinement",
        "network",
        "fork limit",
        "cpu hog",
    }
