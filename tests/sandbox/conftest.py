"""Fixtures for the sandbox suite: a real bubblewrap judge, or a visible skip without bwrap."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox import JudgeResult, Limits, LocalSandbox, SandboxConfig, TestCase
from bot.sandbox.procs import live_tasks_of_uid

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Short limits keep the suite fast; TLE tests then cost 2 s of CPU each.
FAST = Limits(cpu_s=1, wall_s=3)


def require_bwrap() -> None:
    """Skip (visibly) only when bubblewrap is not installed; any other problem fails."""
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap (bwrap) is not installed: apt-get install -y bubblewrap")


def parent_links() -> dict[int, int]:
    """pid -> parent pid for every process (from /proc/*/stat)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def child_pids(pid: int) -> set[int]:
    """All descendants of ``pid``."""
    parents = parent_links()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
async def sandbox() -> AsyncIterator[LocalSandbox]:
    """A one-slot judge; after each test no process of its slot uid may remain."""
    require_bwrap()
    judge = LocalSandbox(SandboxConfig(slots=1))
    try:
        yield judge
    finally:
        await judge.aclose()
    for uid in judge.slot_uids():
        assert live_tasks_of_uid(uid) == [], f"processes of slot uid {uid} left behind"


async def judge_one(
    judge: LocalSandbox,
    source: str,
    expected: str = "",
    stdin: str = "",
    limits: Limits = FAST,
) -> JudgeResult:
    """Judge ``source`` against a single test."""
    return await judge.judge(source, "python3", [TestCase(stdin, expected, public=True)], limits)
