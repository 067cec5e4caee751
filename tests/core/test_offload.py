"""Heavy work runs in one bounded pool off the event loop (#14.4)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Iterator

import pytest

from bot.core import offload
from bot.core.offload import off_loop

REQUEST: contextvars.ContextVar[str] = contextvars.ContextVar("request", default="none")


@pytest.fixture
def two_workers() -> Iterator[None]:
    before = offload.workers()
    offload.configure(2)
    yield
    offload.configure(before)


async def test_work_runs_in_the_pool_with_the_callers_context(two_workers: None) -> None:
    REQUEST.set("stats segments")

    def where() -> tuple[str, str]:
        return threading.current_thread().name, REQUEST.get()

    name, request = await off_loop(where)
    assert name.startswith("cohort-cpu") and request == "stats segments"
    assert threading.current_thread() is threading.main_thread()


async def test_the_pool_is_bounded_and_the_loop_keeps_running(two_workers: None) -> None:
    running = 0
    most = 0
    guard = threading.Lock()

    def burn() -> None:
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        time.sleep(0.2)  # stands for CPU work that releases the GIL (numpy, Agg, Pillow)
        with guard:
            running -= 1

    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(heartbeat())
    started = time.monotonic()
    await asyncio.gather(*(off_loop(burn) for _ in range(6)))
    elapsed = time.monotonic() - started
    beat.cancel()
    assert most == 2  # never more than the pool's size at once
    assert elapsed >= 0.55  # six jobs of 0.2 s, two at a time
    assert ticks >= 20  # the loop went on beating meanwhile


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        offload.configure(0)
