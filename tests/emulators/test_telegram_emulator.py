"""The real python-telegram-bot against the Telegram Bot API emulator, over 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.emulators.telegram_api import (
    AnsweredCallback,
    Chat,
    CommandsSet,
    EditedMessage,
    Refused,
    SentFile,
    SentMessage,
    TelegramEmulator,
    TgUser,
)


@dataclass
class World:
    tg: TelegramEmulator
    maya: TgUser
    tomas: TgUser
    group: Chat


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with TelegramEmulator() as tg:
        maya = tg.add_user("Maya", username="maya")
        tomas = tg.add_user("Tomas", username="tomas")
        group = tg.add_group("Cohort Study Group", members=[maya], admins=[tomas])
        yield World(tg, maya, tomas, group)


def build(tg: TelegramEmulator) -> Application:
    return (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .job_queue(None)
        .build()
    )


@contextlib.asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=5)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


@pytest.fixture
def running(world: World) -> Callable[[Application], contextlib.AbstractAsyncContextManager]:
    return polling


async def test_a_pushed_command_is_handled_and_the_reply_recorded(world):
    tg = world.tg
    app = build(tg)
    seen: list[str] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(" ".join(context.args or []))
        await update.effective_message.reply_text("Welcome to Cohort!")

    app.add_handler(CommandHandler("start", start))
    async with polling(app):
        tg.push_command(tg.private_chat(world.maya), world.maya, "start", "invite-42")
        reply = await tg.wait_for(SentMessage, lambda m: m.chat_id == world.maya.id)

    assert seen == ["invite-42"]
    assert reply.text == "Welcome to Cohort!"
    assert app.bot.username == "cohort_test_bot"
    assert tg.requests[0].method == "getMe"
    assert {"deleteWebhook", "getUpdates"} <= {r.method for r in tg.requests}


async def test_updates_are_confirmed_by_offset_and_not_redelivered(world):
    tg = world.tg
    app = build(tg)
    texts: list[str] = []

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        texts.append(update.effective_message.text)

    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    chat = tg.private_chat(world.maya)
    async with polling(app):
        for i in range(3):
            tg.push_message(chat, world.maya, f"note {i}")
        await tg.wait_until_consumed()
        for _ in range(100):
            if len(texts) == 3:
                break
            await asyncio.sleep(0.01)
    assert texts == ["note 0", "note 1", "note 2"]
    # A fresh poller would get nothing: every update was confirmed.
    async with Bot(tg.token, base_url=tg.base_url) as bot:
        assert await bot.get_updates(timeout=0) == ()


async def test_group_commands_addressed_to_the_bot_and_privacy_mode(world):
    tg = world.tg
    app = build(tg)
    handled: list[str] = []
    plain: list[str] = []

    async def points(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        handled.append(update.effective_message.text)
        await update.effective_message.reply_text("You have 10 points")

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        plain.append(update.effective_message.text)

    app.add_handler(CommandHandler("points", points))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    async with polling(app):
        tg.push_message(world.group, world.maya, "just chatting")  # privacy mode: not delivered
        tg.push_command(world.group, world.maya, "points", mention_bot=True)
        reply = await tg.wait_for(SentMessage, lambda m: m.chat_id == world.group.id)

    assert handled == ["/points@cohort_test_bot"]
    assert plain == []
    assert [u["message"]["text"] for u in tg.dropped_updates] == ["just chatting"]
    assert reply.text == "You have 10 points"


async def test_set_my_commands_is_recorded_per_scope(world):
    tg = world.tg
    app = build(tg)
    async with app:
        await app.bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
        await app.bot.set_my_commands(
            [BotCommand("points", "Your points")], scope=BotCommandScopeAllPrivateChats()
        )
        await app.bot.set_my_commands(
            [BotCommand("points", "Your points")], scope=BotCommandScopeAllGroupChats()
        )
        await app.bot.set_my_commands(
            [BotCommand("config", "Configure")], scope=BotCommandScopeAllChatAdministrators()
        )
        fetched = await app.bot.get_my_commands(scope=BotCommandScopeAllChatAdministrators())
        with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
            await app.bot.set_my_commands([BotCommand("Bad-Name", "nope")])

    assert [r.names for r in tg.recorder.of_type(CommandsSet)] == [
        ["start", "help"],
        ["points"],
        ["points"],
        ["config"],
    ]
    assert [c["command"] for c in tg.commands_for("all_chat_administrators")] == ["config"]
    assert [c["command"] for c in tg.commands_for("default")] == ["start", "help"]
    assert [c.command for c in fetched] == ["config"]


async def test_a_user_who_never_started_the_bot_raises_forbidden(world):
    tg = world.tg
    async with build(tg) as app:
        with pytest.raises(Forbidden, match="can't initiate conversation"):
            await app.bot.send_message(world.tomas.id, "Reminder: hack night")
        tg.start_chat(world.tomas)
        await app.bot.send_message(world.tomas.id, "Reminder: hack night")
        tg.block_bot(world.tomas)
        with pytest.raises(Forbidden, match="blocked by the user"):
            await app.bot.send_message(world.tomas.id, "Reminder: hack night")

    assert [m.text for m in tg.sent_to(world.tomas)] == ["Reminder: hack night"]
    refusals = tg.recorder.of_type(Refused)
    assert [(r.error_code, r.description) for r in refusals] == [
        (403, "Forbidden: bot can't initiate conversation with a user"),
        (403, "Forbidden: bot was blocked by the user"),
    ]


async def test_a_429_raises_retry_after_with_the_servers_delay(world):
    tg = world.tg
    tg.start_chat(world.maya)
    tg.force_retry_after("sendMessage", retry_after=3)
    async with build(tg) as app:
        with pytest.raises(RetryAfter, match="Retry in 3"):
            await app.bot.send_message(world.maya.id, "digest")
        await app.bot.send_message(world.maya.id, "digest")

    [refused] = tg.recorder.of_type(Refused)
    assert (refused.error_code, refused.retry_after) == (429, 3)
    assert [m.text for m in tg.sent_to(world.maya)] == ["digest"]


async def test_flood_limits_refuse_the_21st_group_message_in_a_minute():
    """``flood_limits``: 20 messages a minute to one group, then 429 until there is room."""
    async with TelegramEmulator(flood_limits=True) as tg:
        maya = tg.add_user("Maya", username="maya")
        group = tg.add_group("Busy group", members=[maya])
        tg.start_chat(maya)
        async with build(tg) as app:
            for n in range(20):
                await app.bot.send_message(group.id, f"post {n}")
            with pytest.raises(RetryAfter) as refused:
                await app.bot.send_message(group.id, "one too many")
            wait = refused.value.retry_after
            seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
            assert 30 <= seconds <= 60
            await app.bot.send_message(maya.id, "a DM is not held back by the group")
    assert len(tg.sent_to(group)) == 20
    assert [r.status for r in tg.requests if r.method == "sendMessage"][-2:] == [429, 200]


async def test_callback_query_is_answered_and_the_post_edited(world):
    tg = world.tg
    app = build(tg)

    async def rsvp(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("You're going!")
        await query.edit_message_text(
            "Hack night — going: 1",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Not going", callback_data="rsvp:1:no")]]
            ),
        )

    app.add_handler(CallbackQueryHandler(rsvp, pattern=r"^rsvp:"))
    async with polling(app):
        post = await app.bot.send_message(
            world.group.id,
            "Hack night",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Going", callback_data="rsvp:1:yes")]]
            ),
        )
        query_id = tg.push_callback_query(world.group, world.maya, post.message_id, "rsvp:1:yes")
        answered = await tg.wait_for(AnsweredCallback)
        edited = await tg.wait_for(EditedMessage)

    assert tg.sent_messages[0].buttons == [("Going", "rsvp:1:yes")]
    assert answered.callback_query_id == query_id
    assert answered.text == "You're going!"
    assert edited.text == "Hack night — going: 1"
    assert edited.buttons == [("Not going", "rsvp:1:no")]
    assert tg.messages[(world.group.id, post.message_id)]["text"] == "Hack night — going: 1"


async def test_editing_without_changes_is_refused_like_telegram(world):
    tg = world.tg
    async with build(tg) as app:
        post = await app.bot.send_message(world.group.id, "Leaderboard")
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await app.bot.edit_message_text("Leaderboard", world.group.id, post.message_id)
        assert await app.bot.delete_message(world.group.id, post.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
            await app.bot.delete_message(world.group.id, post.message_id)


async def test_documents_and_photos_upload_and_files_download(world):
    tg = world.tg
    tg.start_chat(world.maya)
    async with build(tg) as app:
        sent = await app.bot.send_document(
            world.maya.id, b"BEGIN:VCALENDAR", filename="hack-night.ics", caption="Add it"
        )
        await app.bot.send_photo(world.group.id, b"\x89PNG fake", caption="Leaderboard")
        tg_file = await app.bot.get_file(sent.document.file_id)
        downloaded = await tg_file.download_as_bytearray()

        uploaded = tg.push_document(
            tg.private_chat(world.maya), world.maya, b"print(42)", "solution.py"
        )
        user_file = await app.bot.get_file(uploaded["message"]["document"]["file_id"])
        user_bytes = await user_file.download_as_bytearray()

    document, photo = tg.recorder.of_type(SentFile)
    assert (document.method, document.file.file_name, document.caption) == (
        "sendDocument",
        "hack-night.ics",
        "Add it",
    )
    assert document.file.content == b"BEGIN:VCALENDAR"
    assert (photo.method, photo.chat_id) == ("sendPhoto", world.group.id)
    assert bytes(downloaded) == b"BEGIN:VCALENDAR"
    assert tg_file.file_path.startswith(tg.base_file_url)
    assert bytes(user_bytes) == b"print(42)"


async def test_chat_administrators_and_members(world):
    tg = world.tg
    async with build(tg) as app:
        admins = await app.bot.get_chat_administrators(world.group.id)
        maya = await app.bot.get_chat_member(world.group.id, world.maya.id)
        chat = await app.bot.get_chat(world.group.id)
    assert [a.user.id for a in admins] == [world.tomas.id]
    assert admins[0].status == "administrator"
    assert maya.status == "member"
    assert chat.title == "Cohort Study Group"


async def test_wrong_token_is_invalid_token(world):
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong", base_url=world.tg.base_url):
            pass


async def test_webhook_mode_posts_updates_with_the_secret_token(world):
    from aiohttp import web

    from tests.emulators._common import LocalServer

    tg = world.tg
    received: asyncio.Queue[tuple[dict, str | None]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        token = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        await received.put((await request.json(), token))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/telegram", hook)
    receiver = LocalServer(app)
    await receiver.start()
    public = "https://bot.example.org/telegram"
    tg.reverse_proxy(public, f"{receiver.origin}/telegram")  # TLS ends at the proxy
    try:
        async with Bot(tg.token, base_url=tg.base_url) as bot:
            with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
                await bot.set_webhook(f"{receiver.origin}/telegram", secret_token="s3cret")
            with pytest.raises(BadRequest, match="unallowed characters"):
                await bot.set_webhook(public, secret_token="not:allowed")
            await bot.set_webhook(public, secret_token="s3cret")
            with pytest.raises(Conflict, match="webhook is active"):
                await bot.get_updates(timeout=0)
            tg.push_command(tg.private_chat(world.maya), world.maya, "start")
            update, secret = await asyncio.wait_for(received.get(), 2)
            info = await bot.get_webhook_info()
            await bot.delete_webhook()
    finally:
        await receiver.stop()

    assert update["message"]["text"] == "/start"
    assert secret == "s3cret"
    assert info.url == public
