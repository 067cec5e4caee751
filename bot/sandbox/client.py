"""The bot-side handle on the sandbox worker process (see ``worker.py`` for why it exists)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import sys
from pathlib import Path
from typing import Any

from bot.sandbox.facts import RunFacts
from bot.sandbox.wire import (
    SessionRequest,
    StepRequest,
    decode_facts,
    decode_line,
    encode_cancel,
    encode_close,
    encode_open,
    encode_run,
)
from bot.sandbox.worker import BOOTSTRAP

logger = logging.getLogger(__name__)

# Replies carry up to 64 KiB of stdout in base64; leave room for large limits.
_LINE_LIMIT = 16 * 1024 * 1024
_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])


class WorkerDiedError(RuntimeError):
    """The worker process exited while requests were pending, or refused one."""


class SandboxStartError(RuntimeError):
    """The sandbox of a session did not start (bwrap or the supervisor failed)."""


class WorkerSession:
    """One open sandbox in the worker: run steps in it, then close it."""

    def __init__(self, client: WorkerClient, session_id: int) -> None:
        self._client = client
        self._id = session_id

    async def run(self, step: StepRequest) -> RunFacts:
        """One step; cancelling the caller kills the sandbox before it returns."""
        request_id = self._client.next_id()
        reply = await self._client.call(request_id, encode_run(request_id, self._id, step),
                                        self._id)
        if "facts" not in reply:
            raise WorkerDiedError(str(reply.get("error")))
        return decode_facts(reply["facts"])

    def kill(self) -> None:
        """Kill the sandbox now: the step running ends as cancelled, queued ones as ended."""
        self._client.cancel(self._id)

    async def close(self) -> None:
        """End the sandbox (the worker also sweeps the slot's uid)."""
        request_id = self._client.next_id()
        await self._client.call(request_id, encode_close(request_id, self._id), self._id)


class WorkerClient:
    """Starts the worker on first use and matches replies to requests by id."""

    def __init__(self, python: str | None = None) -> None:
        self._python = python or sys.executable
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        """The worker's pid while it runs."""
        return self._process.pid if self._process is not None else None

    def next_id(self) -> int:
        """A fresh id for a request or a session."""
        return next(self._ids)

    async def open_session(self, request: SessionRequest) -> WorkerSession:
        """Start a sandbox; raises ``SandboxStartError`` when it did not start."""
        session_id, request_id = self.next_id(), self.next_id()
        reply = await self.call(request_id, encode_open(request_id, session_id, request),
                                session_id)
        if not reply.get("opened"):
            raise SandboxStartError(str(reply.get("error")))
        return WorkerSession(self, session_id)

    def cancel(self, session_id: int) -> None:
        """Ask the worker to kill a session's sandbox (no reply of its own)."""
        process = self._process
        if process is not None and process.stdin is not None and process.returncode is None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                process.stdin.write(encode_cancel(session_id))

    async def call(self, request_id: int, line: bytes, session_id: int) -> dict[str, Any]:
        """Send one message and wait for its reply; cancellation kills the session first."""
        process = await self._ensure_started()
        assert process.stdin is not None
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            process.stdin.write(line)
            await process.stdin.drain()
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # Keep the caller's slot until the sandbox is really gone, so the bound holds.
            with contextlib.suppress(ConnectionError, RuntimeError):
                process.stdin.write(encode_cancel(session_id))
            await asyncio.wait([future])
            if not future.cancelled():
                future.exception()  # retrieved: a dead worker is not news here
            await self._closed(process, session_id)
            raise
        finally:
            self._pending.pop(request_id, None)

    async def _closed(self, process: asyncio.subprocess.Process, session_id: int) -> None:
        """Wait until the worker has torn the session down (its close reply comes last)."""
        assert process.stdin is not None
        request_id = self.next_id()
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            process.stdin.write(encode_close(request_id, session_id))
            await asyncio.wait([future])
            if not future.cancelled():
                future.exception()
        except (ConnectionError, RuntimeError):
            pass
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
                if future is not None and not future.done():
                    future.set_result(message)
            except (ValueError, KeyError, TypeError):
                logger.exception("malformed reply from the sandbox worker")
        returncode = await process.wait()
        if self._pending:
            logger.error(
                "sandbox worker exited (%s) with %d requests pending",
                returncode,
                len(self._pending),
            )
        for future in self._pending.values():
            if not future.done():
                future.set_exception(WorkerDiedError(f"sandbox worker exited ({returncode})"))
