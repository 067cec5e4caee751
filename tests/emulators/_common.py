"""Pieces shared by the Discord and Telegram emulators.

* :class:`Recorder` keeps the typed records an emulator produces (one chronological list)
  and lets a test ``await`` the first record that matches, with a timeout.
* :class:`LocalServer` runs an :mod:`aiohttp` application on ``127.0.0.1`` with an
  ephemeral port and shuts it down quickly (long polls and websockets included).
* :func:`json_response` answers JSON with the header ``Content-Type: application/json``
  *exactly*: discord.py only parses a body whose content type is exactly that string, and
  aiohttp's own ``web.json_response`` appends ``; charset=utf-8``.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, overload

from aiohttp import web

R = TypeVar("R")
T = TypeVar("T")

DEFAULT_TIMEOUT = 5.0


def json_response(
    data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON response whose ``Content-Type`` is exactly ``application/json``."""
    all_headers = {"Content-Type": "application/json"}
    if headers:
        all_headers.update(headers)
    return web.Response(
        body=json.dumps(data, separators=(",", ":")).encode(), status=status, headers=all_headers
    )


class Recorder(Generic[R]):
    """A chronological list of records that tests can wait on."""

    def __init__(self) -> None:
        self.records: list[R] = []
        self._waiters: list[tuple[Callable[[R], bool], int, asyncio.Future[R]]] = []

    def record(self, item: R) -> R:
        """Append ``item`` and wake the waiters it satisfies."""
        self.records.append(item)
        index = len(self.records) - 1
        for waiter in list(self._waiters):
            predicate, after, future = waiter
            if index < after or future.done():
                continue
            try:
                matched = predicate(item)
            except Exception as exc:  # a broken predicate should fail the test, not hang it
                future.set_exception(exc)
                self._waiters.remove(waiter)
                continue
            if matched:
                future.set_result(item)
                self._waiters.remove(waiter)
        return item

    def mark(self) -> int:
        """The current position; pass it as ``after=`` to ignore older records."""
        return len(self.records)

    def of_type(self, kind: type[T]) -> list[T]:
        """All records of one type, oldest first."""
        return [r for r in self.records if isinstance(r, kind)]

    @overload
    async def wait_for(
        self,
        match: type[T],
        predicate: Callable[[T], bool] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
        after: int = 0,
    ) -> T: ...

    @overload
    async def wait_for(
        self,
        match: Callable[[R], bool],
        predicate: None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
        after: int = 0,
    ) -> R: ...

    async def wait_for(
        self,
        match: type[Any] | Callable[[Any], bool],
        predicate: Callable[[Any], bool] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
        after: int = 0,
    ) -> Any:
        """The first record (at index ``after`` or later) that matches.

        ``match`` is either a record type (optionally narrowed by ``predicate``) or a
        predicate over any record. Records already present count, so there is no race
        between triggering an action and waiting for its effect; use :meth:`mark` and
        ``after=`` to skip earlier ones.

        Raises:
            TimeoutError: nothing matched within ``timeout`` seconds; the message lists the
                most recent records.
        """
        check: Callable[[Any], bool]
        if isinstance(match, type):
            kind = match

            def check_kind(item: Any) -> bool:
                return isinstance(item, kind) and (predicate is None or predicate(item))

            check = check_kind
        else:
            check = match

        for item in self.records[after:]:
            if check(item):
                return item
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        waiter = (check, after, future)
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            recent = "\n  ".join(repr(r) for r in self.records[-10:]) or "(none)"
            raise TimeoutError(
                f"no matching record within {timeout}s; most recent records:\n  {recent}"
            ) from None
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)


class RecordingEmulator(Generic[R]):
    """What both emulators offer tests over their :class:`Recorder`."""

    recorder: Recorder[R]

    @property
    def records(self) -> list[R]:
        """Every typed record, oldest first."""
        return self.recorder.records

    def mark(self) -> int:
        """A position in :attr:`records`, for ``wait_for(..., after=mark)``."""
        return self.recorder.mark()

    @overload
    async def wait_for(
        self,
        match: type[T],
        predicate: Callable[[T], bool] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
        after: int = 0,
    ) -> T: ...

    @overload
    async def wait_for(
        self,
        match: Callable[[R], bool],
        predicate: None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
        after: int = 0,
    ) -> R: ...

    async def wait_for(
        self,
        match: Any,
        predicate: Any = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
        after: int = 0,
    ) -> Any:
        """The first record at or after ``after`` matching a type (+ predicate) or a predicate."""
        return await self.recorder.wait_for(match, predicate, timeout=timeout, after=after)


class LocalServer:
    """An aiohttp application served on 127.0.0.1 with an ephemeral port."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Bind, listen and serve."""
        # handler_cancellation: a long poll whose client went away is cancelled, so it does
        # not hold updates or delay shutdown.
        runner = web.AppRunner(
            self.app, access_log=None, shutdown_timeout=0.5, handler_cancellation=True
        )
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        site = web.SockSite(runner, sock)
        await site.start()
        self._runner = runner

    async def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"
