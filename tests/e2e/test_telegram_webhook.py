"""Telegram in webhook mode: HTTPS through a reverse proxy, and the secret is mandatory."""

from __future__ import annotations

import logging
import socket

import aiohttp
import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.app import App
from bot.core.errors import StartupFailed
from tests.e2e.conftest import TelegramWorld, telegram_options
from tests.emulators.telegram_api import Refused, SentMessage
from tests.harness import snapshot

PUBLIC = "https://bot.example.org/telegram"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _forged(world: TelegramWorld) -> dict[str, object]:
    return {"update_id": 999, "message": {
        "message_id": 1, "date": 0, "text": "/profile timezone=Europe/Paris",
        "chat": {"id": world.maya.id, "type": "private"},
        "from": {"id": world.maya.id, "is_bot": False, "first_name": "Maya"}}}


async def test_webhook_answers_commands_and_refuses_and_logs_forged_updates(
        app: App, telegram_world: TelegramWorld, caplog: pytest.LogCaptureFixture):
    tg, world = telegram_world.tg, telegram_world
    caplog.set_level(logging.INFO)
    port = _free_port()
    local = f"http://127.0.0.1:{port}/telegram"
    tg.reverse_proxy(PUBLIC, local)
    options = telegram_options(world, mode="webhook", webhook_url=PUBLIC,
                               webhook_listen="127.0.0.1", webhook_port=port,
                               webhook_secret="s3cret-Token_1")
    async with TelegramAdapter(app.dispatcher, app.presence, app.clock, options):
        assert tg.webhook["url"] == PUBLIC and tg.webhook["secret_token"] == "s3cret-Token_1"
        tg.push_command(tg.private_chat(world.maya), world.maya, "help")
        sent = await tg.wait_for(SentMessage, lambda m: m.chat_id == world.maya.id)
        assert sent.text.startswith("Here is what I can do")
        await app.interactions.flush()
        before = await snapshot(app.db)
        mark = tg.mark()
        async with aiohttp.ClientSession() as session:
            for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
                response = await session.post(local, json=_forged(world), headers=headers)
                assert response.status == 403  # a forged update never reaches the bot
        refusals = [r.getMessage() for r in caplog.records
                    if "refused a webhook call" in r.getMessage()]
        assert len(refusals) == 2 and "a wrong secret" in refusals[0] and "no secret" in refusals[1]
        await app.interactions.flush()
        assert await snapshot(app.db) == before
        assert [r for r in tg.records[mark:] if isinstance(r, SentMessage)] == []


async def test_setwebhook_over_plain_http_is_refused_as_telegram_does(
        app: App, telegram_world: TelegramWorld):
    tg, world = telegram_world.tg, telegram_world
    port = _free_port()
    options = telegram_options(world, mode="webhook", webhook_listen="127.0.0.1",
                               webhook_url=f"http://127.0.0.1:{port}/telegram",
                               webhook_port=port, webhook_secret="s3cret")
    with pytest.raises(StartupFailed, match=r"(?i)refused the start.*https url must be"):
        async with TelegramAdapter(app.dispatcher, app.presence, app.clock, options):
            pass
    assert tg.recorder.of_type(Refused)[-1].method == "setWebhook"
    assert tg.webhook == {}


async def test_webhook_mode_without_a_secret_refuses_to_start(app: App,
                                                              telegram_world: TelegramWorld):
    tg, world = telegram_world.tg, telegram_world
    options = telegram_options(world, mode="webhook", webhook_url=PUBLIC,
                               webhook_port=_free_port(), webhook_secret=None)
    with pytest.raises(StartupFailed, match="webhook_secret"):
        async with TelegramAdapter(app.dispatcher, app.presence, app.clock, options):
            pass
    assert not any(r.method == "setWebhook" for r in tg.requests)
