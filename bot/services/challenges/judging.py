"""Judging in front of the sandbox: a gate that refuses when it is not confining, a queue.

The gate creates the sandbox on first use (so a bot that never judges never starts its
worker process), proves it works - the full self-check of JUDGE.md §3.5 for the local
sandbox - and remembers a failure for a while, so submissions are refused with a clear
message and code never runs unconfined. The queue holds ids of submissions already
stored in the database; a bounded number of workers judges them in order, and a member
waiting for the verdict gets it as the reply to ``/submit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

from bot.core.errors import UserError
from bot.sandbox.config import SandboxConfig
from bot.sandbox.judge import LocalSandbox
from bot.sandbox.piston import PistonConfig, PistonJudge
from bot.sandbox.protocol import Judge
from bot.sandbox.selfcheck import run_self_check

logger = logging.getLogger(__name__)

T = TypeVar("T")

UNAVAILABLE = (
    "The judge is not available right now, so I can't run code. "
    "Nothing was stored; the organisers have been told."
)


class JudgeUnavailableError(UserError):
    """The sandbox is missing or failed its self-check; submissions are refused."""


class JudgeBusyError(UserError):
    """The queue is full."""


class JudgeGate:
    """Creates the judge lazily, checks it once, and hands it out only when it confines."""

    def __init__(
        self,
        factory: Callable[[], Judge],
        *,
        self_check: bool = True,
        retry_after_s: float = 300.0,
    ) -> None:
        self._factory = factory
        self._self_check = self_check
        self._retry_after_s = retry_after_s
        self._judge: Judge | None = None
        self._ok = False
        self._failed_at: float | None = None
        self.reason: str | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def local(cls, config: SandboxConfig | None = None, *, self_check: bool = True) -> JudgeGate:
        """A gate over the bubblewrap sandbox on this host."""
        return cls(lambda: LocalSandbox(config or SandboxConfig()), self_check=self_check)

    @classmethod
    def piston(cls, config: PistonConfig | None = None) -> JudgeGate:
        """A gate over a self-hosted Piston API (checked by asking for its runtimes)."""
        return cls(lambda: PistonJudge(config or PistonConfig()), self_check=False)

    async def get(self) -> Judge:
        """The judge, or :class:`JudgeUnavailableError` with a member-facing message."""
        async with self._lock:
            if self._ok and self._judge is not None:
                return self._judge
            if (
                self._failed_at is not None
                and time.monotonic() - self._failed_at < self._retry_after_s
            ):
                raise JudgeUnavailableError(UNAVAILABLE)
            if self._judge is None:
                self._judge = self._factory()
            self._ok, self.reason = await self._check(self._judge)
            if not self._ok:
                self._failed_at = time.monotonic()
                logger.error("judge unavailable, submissions refused: %s", self.reason)
                raise JudgeUnavailableError(UNAVAILABLE)
            self._failed_at = None
            logger.info("judge ready: %s", self.reason)
            return self._judge

    async def _check(self, judge: Judge) -> tuple[bool, str]:
        if isinstance(judge, PistonJudge):
            availability = await judge.availability()
            return availability.ok, availability.reason
        if not isinstance(judge, LocalSandbox):
            ok = await judge.is_available()
            return ok, "remote judge answers" if ok else "remote judge does not answer"
        availability = await judge.availability()
        if not availability.ok or not self._self_check:
            return availability.ok, availability.reason
        report = await run_self_check(judge)
        return report.confined, report.summary()

    async def aclose(self) -> None:
        """Stop the sandbox's worker process if one was started."""
        judge, self._judge, self._ok = self._judge, None, False
        if isinstance(judge, LocalSandbox):
            await judge.aclose()


class JudgingQueue(Generic[T]):
    """Stored submissions waiting for a judging slot, judged by ``workers`` tasks.

    ``process(submission_id, claim_reply)`` judges one submission; it calls
    ``claim_reply()`` right before it records the verdict: True means a member is still
    waiting for it as their reply, False means nobody is (a restart, a rejudge, a reply
    that timed out) and the verdict must be delivered another way. When ``process``
    fails, ``on_error(submission_id)`` records the failure so nothing stays "running".
    """

    def __init__(
        self,
        process: Callable[[int, Callable[[], bool]], Awaitable[T]],
        *,
        workers: int = 1,
        capacity: int = 20,
        on_error: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        if workers < 1 or capacity < 1:
            raise ValueError("workers and capacity must be positive")
        self._process = process
        self._on_error = on_error
        self._workers_wanted = workers
        self.capacity = capacity
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._pending: dict[int, None] = {}  # insertion-ordered: queue positions
        self._waiters: dict[int, asyncio.Future[T]] = {}
        self._claimed: set[int] = set()
        self._workers: list[asyncio.Task[None]] = []

    @property
    def pending(self) -> int:
        """Submissions waiting or being judged."""
        return len(self._pending)

    def has_room(self) -> bool:
        """Whether a new member submission may be queued."""
        return len(self._pending) < self.capacity

    def position(self, submission_id: int) -> int | None:
        """1 for the submission being judged next (or now), None when not queued."""
        for index, queued in enumerate(self._pending, start=1):
            if queued == submission_id:
                return index
        return None

    def put(self, submission_ids: Iterable[int]) -> int:
        """Queue stored submissions (ids already queued are skipped); returns how many."""
        added = 0
        for submission_id in submission_ids:
            if submission_id in self._pending:
                continue
            self._pending[submission_id] = None
            self._queue.put_nowait(submission_id)
            added += 1
        if added:
            self._start_workers()
        return added

    async def wait(self, submission_id: int, *, within: float) -> T | None:
        """Wait for a queued submission's result; None when it takes longer than ``within``."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiters[submission_id] = future
        try:
            return await asyncio.wait_for(asyncio.shield(future), within)
        except TimeoutError:
            if submission_id in self._claimed:  # the verdict is being written for us
                return await future
            return None
        finally:
            if future.done() or submission_id not in self._claimed:
                self._waiters.pop(submission_id, None)

    async def idle(self) -> None:
        """Return once everything queued has been judged."""
        await self._queue.join()

    async def aclose(self) -> None:
        """Stop the workers; what was queued stays stored and is judged after a restart."""
        workers, self._workers = self._workers, []
        for task in workers:
            task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for future in self._waiters.values():
            future.cancel()
        self._waiters.clear()

    def _start_workers(self) -> None:
        self._workers = [task for task in self._workers if not task.done()]
        while len(self._workers) < self._workers_wanted:
            name = f"judging-{len(self._workers)}"
            self._workers.append(asyncio.create_task(self._work(), name=name))

    async def _work(self) -> None:
        while True:
            submission_id = await self._queue.get()
            try:
                await self._one(submission_id)
            finally:
                self._pending.pop(submission_id, None)
                self._claimed.discard(submission_id)
                self._queue.task_done()

    async def _one(self, submission_id: int) -> None:
        def claim_reply() -> bool:
            waiter = self._waiters.get(submission_id)
            if waiter is None or waiter.done():
                return False
            self._claimed.add(submission_id)
            return True

        try:
            result = await self._process(submission_id, claim_reply)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the job runner: log once, keep the worker alive
            logger.exception("judging submission %s failed", submission_id)
            if self._on_error is not None:
                await self._on_error(submission_id)
            waiter = self._waiters.pop(submission_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_exception(error)
            return
        waiter = self._waiters.pop(submission_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(result)


# Everything a member's program printed is hostile: terminal escapes, bidi overrides,
# zero-width tricks, mentions and chat markup are removed or defused before display.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.")
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)
ZWSP = "\u200b"


def neutralise_line(text: str, limit: int = 200) -> str:
    """One line of untrusted text, safe to show inline in any chat."""
    text = _ANSI.sub("", text)
    text = _CONTROL.sub("", text.replace("\t", "    ").replace("\n", " "))
    text = text.replace("`", "ˋ").replace("@", "@" + ZWSP).replace("<", "‹").replace(">", "›")
    text = text.replace("](", "] (").replace("||", "|" + ZWSP + "|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def neutralise_block(text: str, *, max_lines: int = 10, line_limit: int = 200) -> str:
    """The last ``max_lines`` non-empty lines, each neutralised and quoted with ``│ ``.

    The leading bar keeps a program's line from starting chat markup (headings, quotes,
    lists, commands).
    """
    lines = [line for line in _ANSI.sub("", text).splitlines() if line.strip()]
    kept = lines[-max_lines:]
    shown = [f"│ {neutralise_line(line, line_limit)}" for line in kept]
    if len(lines) > max_lines:
        shown.insert(0, f"│ … ({len(lines) - max_lines} earlier lines)")
    return "\n".join(shown)
