"""The one error policy every path from an update to the database runs under.

A :class:`UserError` is the member's mistake and is answered in words by the caller. Any other
exception is logged once (what, platform, member, source) and turned into an apology. A
transient storage fault (a lost connection, a serialization failure, "database is locked")
is first retried, a bounded number of times with jittered backoff, but only when no unit of
work committed during the failed attempt: the attempt then left nothing behind, so running it
again cannot do anything twice (idempotent by construction). A unit that might have committed
(its COMMIT's answer lost, the server unreachable to ask) counts as committed.

Storage knows which faults are transient and counts commits; the core cannot import it, so
it arrives through the :class:`~bot.core.ports.StorageFaults` port.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.core.errors import UserError
from bot.core.model import UserRef
from bot.core.ports import StorageFaults

logger = logging.getLogger("bot.core.dispatch")  # one logger name for every failure it logs

T = TypeVar("T")

APOLOGY = "Sorry, something went wrong on my side. The organisers have been told."
NOT_SAVED = ("Sorry, I couldn't reach my database just now, so nothing was saved. "
             "Please try again in a minute.")


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """What a guarded step came to: its value, or the member-facing words instead."""

    value: T | None = None
    refusal: UserError | None = None  # the member's mistake, to be answered in words
    apology: str | None = None  # an unexpected failure, logged once


@dataclass(frozen=True, slots=True)
class Backoff:
    """How often and how patiently a transient fault is retried (full jitter)."""

    attempts: int = 5
    base: float = 0.2
    cap: float = 2.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        return random.uniform(0, min(self.cap, self.base * 2**attempt))  # noqa: S311


class ErrorPolicy:
    """Runs steps so that members get words, operators get one log line, faults get retries."""

    def __init__(self, faults: StorageFaults | None = None,
                 backoff: Backoff | None = None) -> None:
        self._faults = faults
        self.backoff = backoff or Backoff()

    async def run(self, what: str, name: str | None, author: UserRef, source: str,
                  step: Callable[[], Awaitable[T]]) -> Outcome[T]:
        """Run ``step`` under the policy; never raises (except cancellation).

        ``what`` is the kind of path (command, listener, hook) and ``name`` which one.
        """
        attempt = 0
        while True:
            committed = self._faults.count_commits() if self._faults is not None else _none
            try:
                return Outcome(await step())
            except UserError as exc:
                return Outcome(refusal=exc)
            except Exception as exc:  # the one place unexpected failures end up
                untouched = committed() == 0
                transient = self._faults is not None and self._faults.transient(exc)
                if transient and untouched and attempt + 1 < self.backoff.attempts:
                    logger.warning("%s %s hit a transient storage fault (attempt %d), "
                                   "retrying: %s", what, name, attempt + 1,
                                   exc.__class__.__name__)
                    await asyncio.sleep(self.backoff.delay(attempt))
                    attempt += 1
                    continue
                logger.exception("%s failed: platform=%s user=%s command=%s source=%s",
                                 what, author.platform, author.user_id, name, source)
                return Outcome(apology=NOT_SAVED if transient and untouched else APOLOGY)


def _none() -> int:
    return 0
