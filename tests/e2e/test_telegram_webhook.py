"""Telegram in webhook mode: the Bot API posts updates to PTB's own webhook server."""

from __future__ import annotations

import socket

import aiohttp

from bot.adapters.telegram import TelegramAdapter
from bot.app import App
from tests.e2e.conftest import TelegramWorld, telegram_options
from tests.emulators.telegram_api import SentMessage


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_answers_commands_and_refuses_a_wrong_secret(
        app: App, telegram_world: TelegramWorld):
    tg, world = telegram_world.tg, telegram_world
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    options = telegram_options(world, mode="webhook", webhook_url=url,
                               webhook_listen="127.0.0.1", webhook_port=port,
                               webhook_secret="s3cret")
    async with TelegramAdapter(app.dispatcher, app.presence, app.clock, options):
        assert any(r.method == "setWebhook" for r in tg.requests)
        tg.push_command(tg.private_chat(world.maya), world.maya, "help")
        sent = await tg.wait_for(SentMessage, lambda m: m.chat_id == world.maya.id)
        assert sent.text.startswith("Here is what I can do")
        async with aiohttp.ClientSession() as session:
            forged = {"update_id": 999, "message": {
                "message_id": 1, "date": 0, "text": "/forgetme confirm",
                "chat": {"id": world.maya.id, "type": "private"},
                "from": {"id": world.maya.id, "is_bot": False, "first_name": "Maya"}}}
            response = await session.post(
                url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
            assert response.status == 403  # a forged update never reaches the bot
