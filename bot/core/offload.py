"""One bounded thread pool for CPU work that must not stall the event loop (#14.4, G12).

K-means and silhouette scores, matplotlib charts, Pillow cards, the HTML report, model
encoding and judge result parsing each take from milliseconds to seconds of CPU. On the
loop they would delay every heartbeat, interaction acknowledgement and outbox send, so they
go through :func:`off_loop`. The pool is bounded (``asyncio.to_thread`` shares the loop's
default executor, up to 32 threads, with DNS lookups and file I/O): at most ``workers``
heavy jobs compete for the CPU and the GIL at once, and a burst of ``/stats`` queues up
instead of starving the loop. numpy, scikit-learn, matplotlib's Agg renderer, Pillow and
torch release the GIL in their inner loops, so threads suffice and nothing is pickled.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_WORKERS = max(2, min(4, os.cpu_count() or 1))

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_workers = DEFAULT_WORKERS


def configure(workers: int) -> None:
    """Set the pool's size (settings, at start); an existing pool is replaced."""
    global _workers, _pool
    if workers < 1:
        raise ValueError("the off-loop pool needs at least one worker")
    with _lock:
        old, _pool, _workers = _pool, None, workers
    if old is not None:
        old.shutdown(wait=False)


def workers() -> int:
    """How many heavy jobs may run at once."""
    return _workers


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_workers, thread_name_prefix="cohort-cpu")
        return _pool


async def off_loop(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn(*args, **kwargs)`` in the bounded pool (context variables carried along)."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await loop.run_in_executor(_executor(), call)
