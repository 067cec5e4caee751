"""Entering the platform adapters at start, retrying an unreachable API with backoff.

A refused token or webhook is final (:class:`StartupFailed` with ``transient`` False): the
CLI prints its one line and exits 2. An API that cannot be reached is tried again after
``connect_backoff_seconds``, doubled each time, with one log line per retry, up to
``connect_attempts`` tries in all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

from bot.core.errors import StartupFailed
from config.settings import Settings

logger = logging.getLogger(__name__)

A = TypeVar("A")


async def enter_with_retries(
    stack: contextlib.AsyncExitStack, make: Callable[[], AbstractAsyncContextManager[A]],
    settings: Settings, *,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> A:
    """Enter a fresh adapter from ``make`` until one starts or the failure is final."""
    wait = settings.connect_backoff_seconds
    attempts = settings.connect_attempts
    for attempt in range(1, attempts + 1):
        try:
            return await stack.enter_async_context(make())
        except StartupFailed as exc:
            if not exc.transient or attempt == attempts:
                raise
            logger.warning("%s; retrying in %.1f s (attempt %d of %d)", exc,
                           wait, attempt + 1, attempts)
            await sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")  # the loop returns or raises
