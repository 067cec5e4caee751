"""Telegram's webhook calls, received by a small aiohttp server that checks the secret.

Telegram sends the ``secret_token`` given to ``setWebhook`` in the
``X-Telegram-Bot-Api-Secret-Token`` header of every call. A call without it, or with another
value, is not Telegram: it is refused (403), logged, and never reaches the bot. PTB's own
webhook server refuses such calls too but only says so at debug level, so a forgery attempt
would go unnoticed; this server feeds accepted updates into PTB's update queue exactly as
PTB's would.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from aiohttp import web
from telegram import Bot, Update
from telegram.error import BadRequest, NetworkError, TelegramError

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
PATH = "/telegram"
SET_WEBHOOK_ATTEMPTS = 3


class WebhookServer:
    """Listens for Telegram's calls and registers the public URL with ``setWebhook``."""

    def __init__(self, bot: Bot, queue: asyncio.Queue[object], *, secret: str,
                 listen: str, port: int) -> None:
        if not secret:
            raise ValueError("webhook mode needs a secret token (telegram.webhook_secret)")
        self._bot = bot
        self._queue = queue
        self._secret = secret.encode()
        self._listen = listen
        self._port = port
        self._runner: web.AppRunner | None = None

    async def start(self, public_url: str, allowed_updates: list[str]) -> None:
        """Listen, then tell Telegram where to send updates (retrying network errors)."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post(PATH, self._receive)
        app.router.add_post(PATH + "/", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._listen, self._port).start()
        for attempt in range(1, SET_WEBHOOK_ATTEMPTS + 1):
            try:
                await self._bot.set_webhook(public_url, secret_token=self._secret.decode(),
                                            allowed_updates=allowed_updates)
            except NetworkError as exc:  # BadRequest is one too, but retrying cannot help it
                if isinstance(exc, BadRequest) or attempt == SET_WEBHOOK_ATTEMPTS:
                    raise
                logger.warning("telegram: setWebhook failed (%s), retrying (%d/%d)", exc,
                               attempt, SET_WEBHOOK_ATTEMPTS)
                await asyncio.sleep(attempt)
            else:
                return

    async def stop(self) -> None:
        """Stop listening (Telegram keeps the updates and retries them after a restart)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            logger.warning("telegram: refused a webhook call from %s with %s secret token "
                           "(not Telegram: a forged update?)", request.remote,
                           "a wrong" if given else "no")
            return web.Response(status=403, text="forbidden")
        try:
            data: Any = json.loads(await request.text())
            update = Update.de_json(data, self._bot)
        except (ValueError, TypeError, KeyError, TelegramError):
            logger.warning("telegram: refused a malformed webhook call from %s", request.remote)
            return web.Response(status=400, text="bad update")
        if update is not None:
            await self._queue.put(update)
        return web.Response(status=200)
