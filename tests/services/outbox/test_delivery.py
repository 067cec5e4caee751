"""The outbox's delivery rules on real databases: 429 storms, backoff, closed DMs, fallback."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core.clock import FixedClock
from bot.core.model import Platform, UserRef
from bot.services.outbox import OutboxKind, Outgoing
from storage.rows.outbox import OutboxRow
from tests.edge import Direct, RecordingMessenger
from tests.harness import Chat


async def member(app: App, platform: Platform, user_id: str, name: str) -> int:
    """A member with one account on ``platform``."""
    return (await app.directory.identify(UserRef(platform, user_id, name, handle=name))).member_id


async def dm(app: App, member_id: int, key: str, text: str,
             kind: OutboxKind = OutboxKind.REMINDER) -> None:
    async with app.db.unit() as unit:
        await app.outbox.put(unit, [Outgoing(key, kind, text, app.clock.now(),
                                             member_id=member_id)])


async def rows(app: App) -> list[OutboxRow]:
    async with app.db.unit() as unit:
        return await unit.outbox.all()


async def test_a_429_storm_delays_but_loses_nothing_and_sends_nothing_twice(
        app: App, clock: FixedClock) -> None:
    telegram = RecordingMessenger(Platform.TELEGRAM)
    app.platforms.add_messenger(telegram)
    ids = [await member(app, Platform.TELEGRAM, str(100 + n), f"m{n}") for n in range(20)]
    for n, member_id in enumerate(ids):
        await dm(app, member_id, f"storm:{n}", f"reminder {n}")
    # Far more 429s than max_attempts (5): rate limiting is flow control, not failure.
    telegram.fail_transient(60, retry_after=0.01)

    for _ in range(40):
        await app.outbox.sweep()
        if len(telegram.sent) == len(ids):
            break
        clock.advance(timedelta(seconds=1))
    assert sorted(telegram.texts()) == sorted(f"reminder {n}" for n in range(20))
    assert len(set(telegram.texts())) == len(telegram.texts())  # nothing twice
    assert sum(a.outcome == "transient" for a in telegram.attempts) == 60
    assert {r.status for r in await rows(app)} == {"sent"}
    assert max(r.attempts for r in await rows(app)) == 1  # 429s gave their attempt back


async def test_a_429_pauses_the_whole_platform(app: App, clock: FixedClock) -> None:
    telegram = RecordingMessenger(Platform.TELEGRAM)
    app.platforms.add_messenger(telegram)
    ids = [await member(app, Platform.TELEGRAM, str(200 + n), f"p{n}") for n in range(3)]
    for n, member_id in enumerate(ids):
        await dm(app, member_id, f"pause:{n}", f"hello {n}")
    telegram.fail_transient(1, retry_after=0.3)
    await app.outbox.sweep()
    sent = [a for a in telegram.attempts if a.outcome == "sent"]
    failed = [a for a in telegram.attempts if a.outcome == "transient"]
    assert len(failed) == 1
    assert len(sent) == 2  # the others waited for the pause, then went
    assert all(a.at - failed[0].at >= 0.29 for a in sent)
    due = [r for r in await rows(app) if r.status == "pending"]
    assert len(due) == 1
    assert due[0].due_at == clock.now() + timedelta(seconds=0.3)
    assert due[0].last_error == "rate limited (transient)"


async def test_transient_failures_back_off_exponentially_then_fail_and_show_in_outbox(
        app: App, clock: FixedClock, chat: Chat) -> None:
    telegram = RecordingMessenger(Platform.TELEGRAM)
    app.platforms.add_messenger(telegram)
    tomas = await member(app, Platform.TELEGRAM, "300", "tomas")
    await dm(app, tomas, "backoff:1", "you will not get this")
    telegram.fail_transient(1000)
    backoff = timedelta(seconds=app.settings.outbox.backoff_seconds)
    max_attempts = app.settings.outbox.max_attempts

    waits = []
    for attempt in range(1, max_attempts + 1):
        before = clock.now()
        await app.outbox.sweep()
        (row,) = await rows(app)
        assert row.attempts == attempt
        if attempt < max_attempts:
            assert row.status == "pending"
            waits.append(row.due_at - before)
            clock.advance(timedelta(seconds=1))
            await app.outbox.sweep()  # not due yet: nothing happens
            assert (await rows(app))[0].attempts == attempt
            clock.advance(row.due_at - clock.now())
    assert waits == [backoff * 2 ** n for n in range(max_attempts - 1)]
    (row,) = await rows(app)
    assert row.status == "failed"
    assert row.last_error == f"transient after {max_attempts} attempts"
    assert telegram.sent == []

    clock.advance(timedelta(days=1))
    await app.outbox.sweep()
    assert len(telegram.attempts) == max_attempts  # failed rows are never retried

    shown = await chat.text("/outbox", who="ada", admin=True)
    assert "1 failed" in shown
    # Named by what it is about, not by its row id (#13.9).
    assert f"reminder: → tomas failed: transient after {max_attempts} attempts" in shown
    refused = await chat.text("/outbox", who="maya")
    assert "transient" not in refused


async def test_closed_dms_make_a_row_undeliverable_without_retries(
        app: App, clock: FixedClock, chat: Chat) -> None:
    telegram = RecordingMessenger(Platform.TELEGRAM)
    app.platforms.add_messenger(telegram)
    tomas = await member(app, Platform.TELEGRAM, "400", "tomas")
    telegram.close_dms("400")
    await dm(app, tomas, "closed:1", "first")
    await app.outbox.sweep()
    (row,) = await rows(app)
    assert row.status == "undeliverable"
    assert row.last_error == "DMs closed"
    assert row.attempts == 1
    async with app.db.unit() as unit:
        account = (await unit.members.accounts(tomas))[0]
    assert account.dm_closed_at == clock.now()

    # Later messages do not even try: the account is known to be closed.
    clock.advance(timedelta(hours=1))
    await dm(app, tomas, "closed:2", "second")
    await app.outbox.sweep()
    clock.advance(timedelta(days=1))
    await app.outbox.sweep()
    assert [a.outcome for a in telegram.attempts] == ["dm_closed"]
    assert {r.status for r in await rows(app)} == {"undeliverable"}
    assert "undeliverable: DMs closed" in await chat.text("/outbox", who="ada", admin=True)


async def test_a_dms_closed_mark_expires_and_dms_are_tried_again(
        app: App, clock: FixedClock) -> None:
    telegram = RecordingMessenger(Platform.TELEGRAM)
    app.platforms.add_messenger(telegram)
    tomas = await member(app, Platform.TELEGRAM, "400", "tomas")
    telegram.close_dms("400")
    await dm(app, tomas, "closed:1", "first")
    await app.outbox.sweep()
    telegram.open_dms("400")  # tomas opens his DMs without telling the bot

    clock.advance(timedelta(hours=app.settings.outbox.dm_closed_retry_hours - 1))
    await dm(app, tomas, "closed:2", "still marked")
    await app.outbox.sweep()
    assert telegram.directs("400") == []

    clock.advance(timedelta(hours=1))  # the mark has expired
    await dm(app, tomas, "closed:3", "tried again")
    await app.outbox.sweep()
    assert telegram.directs("400") == ["tried again"]
    async with app.db.unit() as unit:
        account = (await unit.members.accounts(tomas))[0]
    assert account.dm_closed_at is None  # it worked: the mark is gone


async def test_a_member_with_two_accounts_gets_the_dm_on_the_other_platform(
        app: App, clock: FixedClock) -> None:
    telegram = RecordingMessenger(Platform.TELEGRAM)
    discord = RecordingMessenger(Platform.DISCORD)
    app.platforms.add_messenger(telegram)
    app.platforms.add_messenger(discord)
    maya = await member(app, Platform.TELEGRAM, "500", "maya")
    async with app.db.unit() as unit:
        await unit.members.add_account(maya, "discord", "9001", "maya", clock.now(),
                                       handle="maya")
    telegram.close_dms("500")
    await dm(app, maya, "fallback:1", "Hack night starts in 30 minutes.")
    await app.outbox.sweep()

    assert [a.outcome for a in telegram.attempts] == ["dm_closed"]
    assert discord.sent == [Direct("9001", "Hack night starts in 30 minutes.")]
    (row,) = await rows(app)
    assert (row.status, row.sent_platform) == ("sent", "discord")

    # Next time the closed account is skipped without a try.
    await dm(app, maya, "fallback:2", "Feedback, please.")
    await app.outbox.sweep()
    assert len(telegram.attempts) == 1
    assert discord.directs("9001") == ["Hack night starts in 30 minutes.", "Feedback, please."]


async def test_an_unknown_recipient_is_undeliverable_at_once(app: App) -> None:
    telegram = RecordingMessenger(Platform.TELEGRAM)
    app.platforms.add_messenger(telegram)
    ghost = await member(app, Platform.TELEGRAM, "600", "ghost")
    telegram.unknown("600")
    await dm(app, ghost, "ghost:1", "hello?")
    await app.outbox.sweep()
    (row,) = await rows(app)
    assert (row.status, row.attempts, row.last_error) == ("undeliverable", 1,
                                                           "unknown_recipient")


async def test_a_post_that_fails_transiently_is_retried_and_sent_once(
        app: App, clock: FixedClock) -> None:
    telegram = RecordingMessenger(Platform.TELEGRAM)
    app.platforms.add_messenger(telegram)
    async with app.db.unit() as unit:
        await app.outbox.put(unit, [Outgoing("post:1", OutboxKind.ANNOUNCEMENT, "Hack night!",
                                             clock.now(), platform=Platform.TELEGRAM,
                                             place_id="-100")])
        # The same key again (a retried command) is not a second message.
        await app.outbox.put(unit, [Outgoing("post:1", OutboxKind.ANNOUNCEMENT, "Hack night!",
                                             clock.now(), platform=Platform.TELEGRAM,
                                             place_id="-100")])
    telegram.fail_transient(2, target="#-100")
    for _ in range(3):
        await app.outbox.sweep()
        clock.advance(timedelta(minutes=5))
    assert telegram.posts("-100") == ["Hack night!"]
    (row,) = await rows(app)
    assert (row.status, row.attempts) == ("sent", 3)


async def test_a_row_due_before_its_platform_connects_waits_seconds_not_a_backoff(
        app: App, clock: FixedClock) -> None:
    # At start-up the sweep runs before the adapters connect: a due row used to spend an
    # attempt and wait out the 30 s backoff (60 s at the next try), so a restart delayed
    # every due DM by a minute.
    member_id = await member(app, Platform.TELEGRAM, "901", "early")
    await dm(app, member_id, "early:1", "due at start-up")
    for _ in range(3):  # however often it is swept meanwhile
        await app.outbox.sweep()
        clock.advance(timedelta(seconds=1))
    [row] = await rows(app)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "platform not running")
    assert row.due_at - clock.now() <= timedelta(seconds=2)

    telegram = RecordingMessenger(Platform.TELEGRAM)
    app.platforms.add_messenger(telegram)  # the adapter has connected
    clock.advance(timedelta(seconds=2))
    await app.outbox.sweep()
    assert telegram.texts() == ["due at start-up"]
    [row] = await rows(app)
    assert (row.status, row.attempts) == ("sent", 1)
