"""The weekly digest: opt-in only, relevance threshold, no repeats, once per ISO week."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core.clock import FixedClock
from tests.harness import Chat, Sent
from tests.services.recommendations.conftest import member, session


async def test_digest_opt_in_threshold_no_repeat_once_a_week(
    app: App, chat: Chat, clock: FixedClock, sent: Sent
):
    rust = [await session(app, f"Rust session {n}", days=10 + n,
                          description=f"rust ownership borrowing part {n}") for n in range(4)]
    await session(app, "Wheel throwing", days=4, description="clay pottery wheel")
    await chat.say('/profile interests="rust ownership" digests=on', who="maya")
    await chat.say('/profile interests="rust ownership"', who="lee")  # not opted in
    await chat.say('/profile interests="knitting" digests=on', who="kim")  # nothing relevant
    service = app.features.recommendations
    assert app.scheduler.job_ids.count("recommendations.digest") == 1

    assert await service.send_digests() == 1
    await app.outbox.sweep()
    first = sent.to("dm:maya")
    assert len(first) == 1 and "Sessions picked for you this week" in first[0]
    assert "matches your interest in rust ownership" in first[0]
    assert "Wheel throwing" not in first[0]
    assert sent.to("dm:lee") == [] and sent.to("dm:kim") == []
    shown_first = {i for i in rust if f"#{i} " in first[0]}
    assert len(shown_first) == 2  # digest_size

    # Once per ISO week, however often the job runs.
    clock.advance(timedelta(hours=5))
    assert await service.send_digests() == 0
    await app.outbox.sweep()
    assert len(sent.to("dm:maya")) == 1

    # Next week: never the sessions of the previous digest.
    clock.advance(timedelta(days=7))
    assert await service.send_digests() == 1
    await app.outbox.sweep()
    second = sent.to("dm:maya")[1]
    assert not any(f"#{i} " in second for i in shown_first)
    assert any(f"#{i} " in second for i in rust)

    # Opting out stops them; the /mydata export lists the digests.
    await chat.say("/profile digests=off", who="maya")
    clock.advance(timedelta(days=7))
    assert await service.send_digests() == 0
    maya = await member(app, "maya")
    exported = (await app.features.privacy.export(maya)).decode()
    assert '"week"' in exported


async def test_digest_never_sent_to_someone_who_opted_out_after_it_was_written(
    app: App, chat: Chat, sent: Sent
):
    await session(app, "Rust session", description="rust ownership")
    await chat.say('/profile interests="rust" digests=on', who="maya")
    assert await app.features.recommendations.send_digests() == 1
    await chat.say("/profile digests=off", who="maya")
    await app.outbox.sweep()
    assert sent.to("dm:maya") == []
