"""The bot-side handle on the sandbox worker process (see ``worker.py`` for why it exists)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import sys
from pathlib import Path

from bot.sandbox.facts import RunFacts
from bot.sandbox.wire import RunRequest, decode_facts, decode_line, encode_cancel, encode_run
from bot.sandbox.worker import BOOTSTRAP

logger = logging.getLogger(__name__)

# Replies carry up to 64 KiB of stdout in base64; leave room for large limits.
_LINE_LIMIT = 16 * 1024 * 1024
_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])


class WorkerDiedError(RuntimeError):
    """The worker process exited while runs were pending."""


class WorkerClient:
    """Starts the worker on first use and matches replies to requests by id."""

    def __init__(self, python: str | None = None) -> None:
        self._python = python or sys.executable
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[RunFacts]] = {}
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        """The worker's pid while it runs."""
        return self._process.pid if self._process is not None else None

    async def run(self, request: RunRequest) -> RunFacts:
        """Send one run and wait for its facts; cancellation kills the sandbox first."""
        process = await self._ensure_started()
        assert process.stdin is not None
        request_id = next(self._ids)
        future: asyncio.Future[RunFacts] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            process.stdin.write(encode_run(request_id, request))
            await process.stdin.drain()
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # Keep the caller's slot until the sandbox is really gone, so the bound holds.
            with contextlib.suppress(ConnectionError, RuntimeError):
                process.stdin.write(encode_cancel(request_id))
            await asyncio.wait([future])
            raise
        finally:
            self._pending.pop(request_id, None)

    async def aclose(self) -> None:
        """Close the worker's stdin; it kills running sandboxes and exits."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=5)
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._reader is not None:
            await self._reader

    async def _ensure_started(self) -> asyncio.subprocess.Process:
        async with self._lock:
            if self._process is not None and self._process.returncode is None:
                return self._process
            self._process = await asyncio.create_subprocess_exec(
                self._python,
                "-I",
                "-S",
                "-c",
                BOOTSTRAP,
                _PROJECT_ROOT,
                str(os.getpid()),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env={"PATH": "/usr/bin:/bin"},
                limit=_LINE_LIMIT,
            )
            logger.info("sandbox worker started, pid %d", self._process.pid)
            self._reader = asyncio.create_task(self._read_replies(self._process))
            return self._process

    async def _read_replies(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            try:
                message = decode_line(line)
                future = self._pending.get(int(message["id"]))
                if future is None or future.done():
                    continue
                if "facts" in message:
                    future.set_result(decode_facts(message["facts"]))
                else:
                    future.set_exception(WorkerDiedError(str(message.get("error"))))
            except (ValueError, KeyError, TypeError):
                logger.exception("malformed reply from the sandbox worker")
        returncode = await process.wait()
        if self._pending:
            logger.error(
                "sandbox worker exited (%s) with %d runs pending", returncode, len(self._pending)
            )
        for future in self._pending.values():
            if not future.done():
                future.set_exception(WorkerDiedError(f"sandbox worker exited ({returncode})"))
