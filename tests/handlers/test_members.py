"""/profile, /mydata and /forgetme through the real dispatcher and database."""

import json

from bot.app import App
from bot.core.clock import FixedClock
from bot.core.model import Platform, UserRef
from tests.harness import Chat, snapshot


async def test_profile_shows_and_updates(chat: Chat):
    shown = await chat.text("/profile")
    assert "Profile of maya" in shown and "Time zone: UTC" in shown
    updated = await chat.text('/profile interests="asyncio, rust" timezone=Europe/Berlin dms=off')
    assert "Interests: asyncio, rust" in updated
    assert "Time zone: Europe/Berlin" in updated
    assert "DMs (reminders, feedback): off" in updated
    again = await chat.text("/profile")
    assert "Time zone: Europe/Berlin" in again and "asyncio, rust" in again


async def test_profile_change_reaches_later_commands_despite_the_cache(chat: Chat, app: App):
    await chat.say("/profile")  # caches maya
    await chat.say("/profile timezone=Asia/Tokyo")
    member = await app.directory.identify(UserRef(Platform.CONSOLE, "maya", "maya"))
    assert member.timezone == "Asia/Tokyo"


async def test_bad_input_changes_nothing(chat: Chat, app: App):
    await chat.say("/profile interests=python timezone=Europe/Berlin")
    await app.interactions.flush()
    before = await snapshot(app.db)
    bad = [
        "/profile timezone=Mars/Olympus",
        "/profile timezone=Europe/Berlin dms=perhaps",
        "/profile interests=" + "x" * 600,
        "/profile " + "y" * 4001,
        "/profil",
        "/forgetme now",
        "/mydata extra",
        '/profile interests="unclosed',
    ]
    replies = [await chat.text(line) for line in bad]
    await app.interactions.flush()
    assert "Unknown time zone `Mars/Olympus`" in replies[0]
    assert "not on/off" in replies[1] and "Usage: /profile" in replies[1]
    assert "too long" in replies[2]
    assert "too long" in replies[3] and "4000" in replies[3]
    assert "Did you mean /profile?" in replies[4]
    assert "not one of: confirm" in replies[5]
    assert "don't know what to do" in replies[6]
    assert "quote is not closed" in replies[7]
    assert await snapshot(app.db) == before


async def test_mydata_exports_everything_as_json(chat: Chat, app: App):
    await chat.say('/profile interests="graph databases"')
    await chat.say("hello everyone")
    [reply] = await chat.say("/mydata")
    assert reply.file is not None and reply.file.filename.endswith(".json")
    data = json.loads(reply.file.data)
    profile = data["profile"]
    assert profile["member"]["interests"] == "graph databases"
    assert profile["accounts"] == [
        {"platform": "console", "user_id": "maya", "display_name": "maya", "handle": "maya",
         "created_at": profile["accounts"][0]["created_at"]}]
    kinds = [(i["kind"], i["name"]) for i in profile["interactions"]]
    assert ("command", "profile") in kinds and ("message", None) in kinds
    assert profile["message_texts"] == []  # text is not kept unless the community enables it


async def test_forgetme_needs_confirmation_then_deletes(chat: Chat, app: App):
    await chat.say("/profile interests=secrets")
    await chat.say("some chat")
    await chat.say("hi", who="lin")
    warning = await chat.text("/forgetme")
    assert "/forgetme confirm" in warning
    async with app.db.unit() as unit:
        assert await unit.members.by_account("console", "maya") is not None
    done = await chat.text("/forgetme confirm")
    assert "forgotten" in done
    await app.interactions.flush()
    async with app.db.unit() as unit:
        assert await unit.members.by_account("console", "maya") is None
        lin = await unit.members.by_account("console", "lin")
        assert lin is not None
        assert await unit.interactions.count() == len(await unit.interactions.for_member(lin.id))
    # Coming back makes a brand-new member with nothing from before.
    shown = await chat.text("/profile")
    assert "Interests: (none yet" in shown


async def test_forgetme_removes_stored_message_text(settings, clock: FixedClock, db):
    from bot.app import build, prepare, running

    settings.privacy.store_message_text = True
    app = build(settings, clock)
    await prepare(app, seed_demo=False)
    async with running(app):
        chat = Chat(app)
        await chat.say("I love property-based testing")
        [reply] = await chat.say("/mydata")
        texts = json.loads(reply.file.data)["profile"]["message_texts"]  # type: ignore[union-attr]
        assert [t["text"] for t in texts] == ["I love property-based testing"]
        await chat.say("/forgetme confirm")
        await app.interactions.flush()
        async with app.db.unit() as unit:
            assert await unit.texts.count() == 0


async def test_platform_names_with_control_characters_are_cleaned_on_every_database(
    chat: Chat, app: App
):
    # The name comes from the platform, not from a command: PostgreSQL refuses NUL in
    # text, so it is cleaned (never refused: the member did nothing wrong).
    who = UserRef(Platform.TELEGRAM, "777", "Ada\x00 Love\x07lace", handle="ada\x00")
    member = await app.directory.identify(who)
    assert member.display_name == "Ada Lovelace"
    again = await app.directory.get(member.member_id)
    assert again is not None and again.display_name == "Ada Lovelace"
