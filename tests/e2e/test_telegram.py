"""The Telegram adapter with the real python-telegram-bot against the Bot API emulator."""

from __future__ import annotations

import asyncio

import pytest
import telegram

from bot.adapters.telegram import TelegramAdapter
from bot.core.errors import DeliveryFailed, DeliveryFailure
from bot.core.model import Button, FileOut, Platform, Reply, UserRef
from bot.services.outbox import OutboxKind, Outgoing
from tests.e2e.conftest import TelegramWorld, telegram_options
from tests.emulators.telegram_api import (
    AnsweredCallback,
    CommandsSet,
    Refused,
    SentFile,
    SentMessage,
)
from tests.harness import Chat


def _ref(user) -> UserRef:
    return UserRef(Platform.TELEGRAM, str(user.id), user.first_name, handle=user.username)


NO_SUBMISSIONS = "You have no submissions yet. Send /challenges to find one."


async def _said(world: TelegramWorld, chat, after: int = 0) -> SentMessage:
    return await world.tg.wait_for(SentMessage, lambda m: m.chat_id == chat.id, after=after)


async def test_command_menus_are_set_for_private_chats_groups_and_admins(telegram_bot,
                                                                        telegram_world):
    tg = telegram_world.tg
    assert tg.recorder.of_type(CommandsSet)
    private = {c["command"] for c in tg.commands_for("all_private_chats")}
    group = {c["command"] for c in tg.commands_for("all_group_chats")}
    admins = {c["command"] for c in tg.commands_for("all_chat_administrators")}
    assert {"help", "profile", "link", "mydata"} <= private
    assert "config" not in private and "config" not in group
    assert "link" not in group  # /link only works in a DM
    assert {"config", "help"} <= admins
    assert tg.commands_for("default") == tg.commands_for("all_private_chats")
    assert telegram_bot.username == "cohort_test_bot"


async def test_a_private_command_is_parsed_and_answered(telegram_bot, telegram_world):
    tg, maya = telegram_world.tg, telegram_world.maya
    tg.push_command(tg.private_chat(maya), maya, "profile", 'interests="rust, async"')
    reply = await _said(telegram_world, maya)
    assert "Profile updated" in reply.text and "rust, async" in reply.text


async def test_malformed_options_get_the_same_message_as_on_the_console(
        app, telegram_bot, telegram_world):
    tg, maya = telegram_world.tg, telegram_world.maya
    tg.push_command(tg.private_chat(maya), maya, "profile", "dms=perhaps")
    reply = await _said(telegram_world, maya)
    assert reply.text == await Chat(app).text("/profile dms=perhaps")


async def test_commands_addressed_to_the_bot_or_another_bot_in_a_group(telegram_bot,
                                                                       telegram_world):
    tg, world = telegram_world.tg, telegram_world
    tg.push_command(world.group, world.maya, "help", mention_bot=True)
    reply = await _said(world, world.group)
    assert reply.text.startswith("Here is what I can do")
    assert reply.params["reply_parameters"]["message_id"]  # answers in the thread

    mark = tg.mark()
    tg.push_message(world.group, world.maya, "/help@other_bot",
                    entities=[{"type": "bot_command", "offset": 0, "length": 15}])
    tg.push_message(world.group, world.maya, "/weather",
                    entities=[{"type": "bot_command", "offset": 0, "length": 8}])
    await tg.wait_until_consumed()
    await asyncio.sleep(0.1)
    assert [r for r in tg.records[mark:] if isinstance(r, SentMessage)] == []


async def test_admin_commands_ask_the_community_chat_once_per_member(app, telegram_bot,
                                                                     telegram_world):
    tg, world = telegram_world.tg, telegram_world
    tg.push_command(world.group, world.maya, "config", "channel announcements")
    assert "admins only" in (await _said(world, world.group)).text
    mark = tg.mark()
    tg.push_command(world.group, world.tomas, "config", "channel leaderboard")
    assert "leaderboard" in (await _said(world, world.group, after=mark)).text
    mark = tg.mark()
    tg.push_command(world.group, world.tomas, "config", "channel leaderboard")
    await _said(world, world.group, after=mark)
    asked = [r.params["user_id"] for r in tg.requests if r.method == "getChatMember"]
    assert sorted(asked) == sorted([str(world.maya.id), str(world.tomas.id)])  # cached
    async with app.db.unit() as unit:
        rows = await unit.channels.all()
    assert [(r.platform, r.role, r.place_id) for r in rows] == [
        ("telegram", "leaderboard", str(world.group.id))]


async def test_start_in_private_records_that_dms_work(app, telegram_bot, telegram_world):
    tg, maya = telegram_world.tg, telegram_world.maya
    await app.directory.identify(_ref(maya))
    async with app.db.unit() as unit:
        await unit.members.mark_dm_closed("telegram", str(maya.id), app.clock.now())
    tg.push_command(tg.private_chat(maya), maya, "start")
    welcome = await _said(telegram_world, maya)
    assert "Send /help" in welcome.text
    async with app.db.unit() as unit:
        [account] = await unit.members.all_accounts()
    assert account.dm_closed_at is None


async def test_a_member_who_never_started_the_bot_is_undeliverable(app, telegram_bot,
                                                                   telegram_world):
    tomas = telegram_world.tomas
    with pytest.raises(DeliveryFailed) as failed:
        await telegram_bot.messenger.send_direct(str(tomas.id), Reply("hi"))
    assert failed.value.reason is DeliveryFailure.DM_CLOSED

    member = await app.directory.identify(_ref(tomas))
    async with app.db.unit() as unit:
        await app.outbox.put(unit, [Outgoing("t:1", OutboxKind.NOTICE, "Notice",
                                             app.clock.now(), member_id=member.member_id)])
    await app.outbox.sweep()
    async with app.db.unit() as unit:
        [row] = await unit.outbox.all()
    assert (row.status, row.last_error) == ("undeliverable", "DMs closed")


async def test_429_becomes_transient_with_retry_after(telegram_bot, telegram_world):
    tg, maya = telegram_world.tg, telegram_world.maya
    tg.start_chat(maya)
    tg.force_retry_after("sendMessage", retry_after=7)
    with pytest.raises(DeliveryFailed) as failed:
        await telegram_bot.messenger.send_direct(str(maya.id), Reply("hi"))
    assert failed.value.reason is DeliveryFailure.TRANSIENT
    assert failed.value.retry_after == pytest.approx(7)


async def test_long_replies_are_split_and_mentions_neutralised(telegram_bot, telegram_world):
    tg, world = telegram_world.tg, telegram_world
    text = "@maya look\n" + "\n".join("y" * 99 for _ in range(100))  # ~10 000 characters
    await telegram_bot.messenger.send_place(str(world.group.id), Reply(text))
    sent = tg.sent_to(world.group)
    assert len(sent) == 3 and all(len(m.text) <= 4096 for m in sent)
    assert sent[0].text.startswith("@\u2060maya")
    assert "parse_mode" not in sent[0].params


async def test_files_go_as_documents(telegram_bot, telegram_world):
    tg, world = telegram_world.tg, telegram_world
    await telegram_bot.messenger.send_place(
        str(world.group.id), Reply("export", file=FileOut("data.json", b"{}", "application/json")))
    sent = await tg.wait_for(SentFile)
    assert (sent.method, sent.file.file_name, sent.file.content) == (
        "sendDocument", "data.json", b"{}")


async def test_inline_buttons_run_their_action_then_answer_the_callback(telegram_bot,
                                                                        telegram_world):
    tg, world = telegram_world.tg, telegram_world
    message_id = await telegram_bot.messenger.send_place(
        str(world.group.id), Reply("Event #1", buttons=(Button("Mine", "submissions"),
                                                        Button("Help", "/help profile"))))
    sent = tg.sent_to(world.group)[-1]
    assert sent.buttons == [("Mine", "submissions"), ("Help", "/help profile")]

    tg.start_chat(world.maya)
    query = tg.push_callback_query(world.group, world.maya, int(message_id or 0), "submissions")
    answered = await tg.wait_for(AnsweredCallback, lambda a: a.callback_query_id == query)
    assert answered.text is None  # answered at once, before the command ran
    private = await _said(world, world.maya)  # a private answer goes by DM, silently
    assert private.text == NO_SUBMISSIONS
    answered_at = tg.recorder.records.index(answered)
    assert answered_at < tg.recorder.records.index(private)

    mark = tg.mark()
    query = tg.push_callback_query(world.group, world.maya, int(message_id or 0),
                                   "/help profile")
    await tg.wait_for(AnsweredCallback, lambda a: a.callback_query_id == query)
    longer = await _said(world, world.group, after=mark)  # public: in the group
    assert longer.text.startswith("/profile")
    assert not [m for m in tg.sent_to(world.group) if m.text == NO_SUBMISSIONS]


async def test_a_private_answer_asked_for_in_a_group_goes_by_dm(telegram_bot, telegram_world):
    tg, world = telegram_world.tg, telegram_world
    tg.start_chat(world.maya)
    tg.push_command(world.group, world.maya, "submissions")
    private = await _said(world, world.maya)
    assert private.text == NO_SUBMISSIONS
    note = await _said(world, world.group)
    assert note.text == "I sent you the answer in a DM."
    # Feedback on the command itself (an error) stays where it was asked.
    mark = tg.mark()
    tg.push_command(world.group, world.maya, "profile", "timezone=Mars/Olympus")
    error = await _said(world, world.group, after=mark)
    assert "Unknown time zone" in error.text
    assert [m.text for m in tg.sent_to(world.maya)] == [private.text]


async def test_without_a_dm_the_group_gets_a_start_link_and_the_answer_waits(
        telegram_bot, telegram_world):
    tg, world = telegram_world.tg, telegram_world
    tg.push_command(world.group, world.maya, "submissions")
    note = await _said(world, world.group)
    link = f"https://t.me/{tg.bot.username}?start=dm"
    assert link in note.text and "no submissions" not in note.text
    tg.start_chat(world.maya)
    tg.push_command(tg.private_chat(world.maya), world.maya, "start", "dm")
    for _ in range(200):
        texts = [m.text for m in tg.sent_to(world.maya)]
        if len(texts) >= 2:
            break
        await asyncio.sleep(0.01)
    assert texts[0].startswith("Hello! I'm Cohort")
    assert texts[1:] == [NO_SUBMISSIONS]


async def test_messages_are_recorded_as_interactions(app, telegram_bot, telegram_world):
    tg, maya = telegram_world.tg, telegram_world.maya
    tg.push_message(tg.private_chat(maya), maya, "hello there")
    await tg.wait_until_consumed()
    for _ in range(100):
        await app.interactions.flush()
        async with app.db.unit() as unit:
            rows = await unit.interactions.all()
        if rows:
            break
        await asyncio.sleep(0.02)
    assert [(r.platform, r.kind, r.place_id) for r in rows] == [
        ("telegram", "message", str(maya.id))]


async def test_a_429_on_a_command_reply_delays_it_and_loses_nothing(telegram_bot,
                                                                     telegram_world):
    tg, maya = telegram_world.tg, telegram_world.maya
    tg.force_retry_after("sendMessage", retry_after=1)
    tg.push_command(tg.private_chat(maya), maya, "profile", 'interests="rust, async"')
    reply = await _said(telegram_world, maya)
    assert "Profile updated" in reply.text
    refused = [r for r in tg.recorder.of_type(Refused) if r.error_code == 429]
    assert len(refused) == 1  # the reply was refused once, then sent after retry_after
    await asyncio.sleep(1.5)
    assert len([m for m in tg.sent_to(maya) if "Profile updated" in m.text]) == 1


async def test_a_file_that_cannot_be_sent_is_reported_instead_of_promised(telegram_bot,
                                                                         telegram_world):
    tg, maya = telegram_world.tg, telegram_world.maya
    tg.start_chat(maya)
    tg.max_upload_bytes = 10  # the export is bigger: 413 Request Entity Too Large
    tg.push_command(tg.private_chat(maya), maya, "mydata")
    told = await _said(telegram_world, maya)
    assert told.text.startswith("I couldn't send you the file cohort-")
    await asyncio.sleep(0.2)
    assert [m.text for m in tg.sent_to(maya)] == [told.text]  # no reply promising it
    assert tg.recorder.of_type(SentFile) == []


async def test_one_failing_reply_never_drops_the_replies_after_it(telegram_bot,
                                                                  telegram_world):
    tg, world = telegram_world.tg, telegram_world
    tg.max_upload_bytes = 10
    chat = telegram.Chat(world.group.id, telegram.Chat.SUPERGROUP, title="Cohort Study Group")
    user = telegram.User(world.maya.id, "Maya", is_bot=False)
    await telegram_bot._reply(chat, user, [
        Reply("too big", file=FileOut("big.bin", b"x" * 100)), Reply("after it")],
        reply_to=None)
    said = [m.text for m in tg.sent_to(world.group)]
    assert said == ["I couldn't send you the file big.bin: Telegram refused it. "
                    "Please try again later.", "after it"]


async def test_a_failing_set_my_commands_is_retried_and_polling_starts_anyway(
        app, telegram_world):
    tg, maya = telegram_world.tg, telegram_world.maya
    tg.force_retry_after("setMyCommands", retry_after=1)
    adapter = TelegramAdapter(app.dispatcher, app.presence, app.clock,
                              telegram_options(telegram_world))
    async with adapter:
        assert tg.recorder.of_type(CommandsSet) == []
        tg.push_command(tg.private_chat(maya), maya, "help")
        assert "Here is what I can do" in (await _said(telegram_world, maya)).text
        await tg.wait_for(CommandsSet, lambda c: c.scope["type"] == "all_chat_administrators",
                          timeout=5)  # all four menus set after retry_after
    assert {c["command"] for c in tg.commands_for("all_private_chats")} >= {"help"}
