"""GroupCommit: work that arrives while a batch runs goes together in the next batch."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.turns import GroupCommit


class Recorder:
    """Batch work that records each batch and can be held open or made to fail."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_on: int | None = None

    async def work(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        await self.gate.wait()
        if self.fail_on in items:
            raise RuntimeError(f"batch with {self.fail_on} failed")
        return [item * 10 for item in items]


async def test_a_lone_item_runs_at_once_and_gets_its_own_result():
    work = Recorder()
    commit = GroupCommit(work.work, most=50)
    assert await asyncio.wait_for(commit.submit(4), timeout=1) == 40
    assert work.batches == [[4]]


async def test_items_arriving_during_a_batch_go_together_into_the_next():
    work = Recorder()
    work.gate.clear()
    commit = GroupCommit(work.work, most=50)
    first = asyncio.ensure_future(commit.submit(1))
    await asyncio.sleep(0)  # the first batch starts, held open by the gate
    await asyncio.sleep(0)
    rest = [asyncio.ensure_future(commit.submit(n)) for n in range(2, 8)]
    await asyncio.sleep(0)
    work.gate.set()
    assert await asyncio.gather(first, *rest) == [10, 20, 30, 40, 50, 60, 70]
    assert work.batches == [[1], [2, 3, 4, 5, 6, 7]]


async def test_batches_are_capped_in_size():
    work = Recorder()
    commit = GroupCommit(work.work, most=3)
    assert await asyncio.gather(*(commit.submit(n) for n in range(7))) == [
        n * 10 for n in range(7)]
    assert work.batches == [[0, 1, 2], [3, 4, 5], [6]]


async def test_a_failing_batch_fails_its_callers_only():
    work = Recorder()
    work.fail_on = 1
    commit = GroupCommit(work.work, most=2)
    results = await asyncio.gather(*(commit.submit(n) for n in range(4)),
                                   return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and isinstance(results[1], RuntimeError)
    assert results[2:] == [20, 30]  # the next batch still ran
    assert await commit.submit(9) == 90  # and the next submission starts a new runner


async def test_a_cancelled_caller_does_not_stop_the_batch_for_the_others():
    work = Recorder()
    work.gate.clear()
    commit = GroupCommit(work.work, most=50)
    gone = asyncio.ensure_future(commit.submit(1))
    staying = asyncio.ensure_future(commit.submit(2))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    gone.cancel()
    work.gate.set()
    assert await staying == 20
    with pytest.raises(asyncio.CancelledError):
        await gone


async def test_stopping_the_batch_releases_every_caller():
    work = Recorder()
    work.gate.clear()
    commit = GroupCommit(work.work, most=1)
    callers = [asyncio.ensure_future(commit.submit(n)) for n in range(3)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert work.batches == [[0]]
    runner = commit._runner
    assert runner is not None
    runner.cancel()
    for caller in callers:
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(caller, timeout=1)
