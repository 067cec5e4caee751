"""Run a Starlette app under uvicorn inside the bot's own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.applications import Starlette

from bot.app import App
from bot.core import heap

logger = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the bot process owns SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving(app: Starlette, host: str, port: int) -> AsyncIterator[str]:
    """Serve ``app`` until the block ends; yields the address it listens on.

    The socket is bound here, so a taken port is an OSError for the caller (uvicorn itself
    would exit the process). Port 0 picks a free port (tests).
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.setblocking(False)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():  # noqa: ASYNC110 - uvicorn has a flag only
        await asyncio.sleep(0.01)
    if task.done():
        sock.close()
        await task
        raise OSError(f"the dashboard did not start on {host}:{port}")
    address = f"http://{host}:{sock.getsockname()[1]}"
    logger.info("dashboard listening on %s", address)
    try:
        yield address
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def dashboard(app: App, *, required: bool = False) -> AsyncIterator[str | None]:
    """Serve the dashboard next to the bot while the block runs; yields its address.

    Inside ``cohort run`` a port already taken costs the dashboard, not the bot (a warning);
    ``cohort web`` (``required``) fails instead.
    """
    from bot.web.app import create_app

    section = app.settings.web
    server = serving(create_app(app), section.host, section.port)
    try:
        address = await server.__aenter__()
    except OSError as exc:
        if required:
            raise
        logger.warning("the dashboard is off: cannot listen on %s:%d (%s)", section.host,
                       section.port, exc.strerror or exc)
        yield None
        return
    if app.features.dashboard is not None:
        app.features.dashboard.listening_at(address)
    shown = section.public_url or address
    logger.info("dashboard at %s (send /dashboard to the bot for a login link)", shown)
    # Also on stderr: console mode keeps logs at WARNING, and `make run` should show it.
    print(f"dashboard: {shown} (send /dashboard for a login link)", file=sys.stderr)
    try:
        yield address
    finally:
        await server.__aexit__(None, None, None)


async def serve_alone(app: App) -> int:
    """``cohort web``: migrate, then serve only the dashboard until SIGTERM or Ctrl+C."""
    await app.db.upgrade()
    heap.settle()  # start-up's objects out of the collector's full passes (G13)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with dashboard(app, required=True):
            await stop.wait()
    finally:
        await app.db.dispose()
    return 0
