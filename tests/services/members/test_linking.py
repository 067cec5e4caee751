"""Merging two members: every table re-pointed, collisions settled by the per-table rules."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core.model import Member, Place, Platform, UserRef
from bot.core.ports import InteractionKind
from bot.services.events.views import Answer
from storage.repos.members import member_references
from storage.rows.events import EventRow, FeedbackRow, RsvpRow


async def _member(app: App, platform: Platform, user_id: str) -> int:
    member = await app.directory.identify(UserRef(platform, user_id, user_id))
    return member.member_id


async def test_merging_repoints_every_table_and_keeps_the_stronger_rsvp(app: App):
    now = app.clock.now()
    discord_id = await _member(app, Platform.DISCORD, "111")
    telegram_id = await _member(app, Platform.TELEGRAM, "222")
    async with app.db.unit() as unit:
        events = [EventRow(title=f"E{i}", description="", tags="", starts_at=now + timedelta(
            days=i + 1), duration_minutes=60, timezone="UTC", status="scheduled",
            created_at=now, checkin_code="", reminder_offsets="24h,1h", detached=False)
            for i in range(3)]
        for event in events:
            await unit.events.add(event)
        rsvp = {"queued_at": now, "created_at": now, "updated_at": now}
        for row in [
            RsvpRow(event_id=events[0].id, member_id=discord_id, status="maybe", **rsvp),
            RsvpRow(event_id=events[0].id, member_id=telegram_id, status="going", **rsvp),
            RsvpRow(event_id=events[1].id, member_id=discord_id, status="going", **rsvp),
            RsvpRow(event_id=events[1].id, member_id=telegram_id, status="no", **rsvp),
            RsvpRow(event_id=events[2].id, member_id=telegram_id, status="going", **rsvp),
        ]:
            await unit.rsvps.add(row)
        await unit.feedback.add(FeedbackRow(event_id=events[0].id, member_id=discord_id,
                                            rating=2, comment="old", created_at=now,
                                            updated_at=now))
        await unit.feedback.add(FeedbackRow(event_id=events[0].id, member_id=telegram_id,
                                            rating=5, comment="new", created_at=now,
                                            updated_at=now + timedelta(hours=1)))
    place = Place(Platform.TELEGRAM, "222", "dm", is_direct=True)

    await app.presence.activity(UserRef(Platform.TELEGRAM, "222", "t"), place,
                                      InteractionKind.REACTION, "m1", "👍")

    links = app.features.links
    issued = await links.issue(Member(discord_id, "d"), Platform.DISCORD)
    await links.redeem(Member(telegram_id, "t"), UserRef(Platform.TELEGRAM, "222", "t"),
                       issued.code)

    async with app.db.unit() as unit:
        moved = await unit.rsvps.for_member(telegram_id)
        kept = await unit.rsvps.for_member(discord_id)
        rsvps = {(r.event_id, r.status) for r in kept}
        assert not moved
        feedback = await unit.feedback.for_event(events[0].id)
        members = await unit.members.count()
        interactions = await unit.interactions.for_member(discord_id)
        assert await unit.interactions.count() == len(interactions)
        codes = await unit.members.link_codes()
    assert rsvps == {(events[0].id, "going"), (events[1].id, "going"), (events[2].id, "going")}
    assert [(f.member_id, f.comment) for f in feedback] == [(discord_id, "new")]
    assert members == 1
    assert [i.member_id for i in interactions] == [discord_id]
    assert all(c.member_id == discord_id for c in codes)


def test_every_table_referencing_members_is_found_through_the_metadata():
    tables = {r.table.name for r in member_references()}
    assert {"accounts", "interactions", "message_texts", "rsvps", "feedback", "outbox",
            "audit_log", "link_codes", "events"} <= tables
    unique = {r.table.name: r.unique_sets for r in member_references()}
    assert ("event_id",) in unique["rsvps"]


async def test_an_event_award_held_from_both_accounts_counts_once_and_can_be_taken_back(
    app: App,
):
    # The same person RSVP'd one event from Discord and from Telegram, then linked them.
    now = app.clock.now()
    discord = Member(await _member(app, Platform.DISCORD, "111"), "d")
    telegram = Member(await _member(app, Platform.TELEGRAM, "222"), "t")
    async with app.db.unit() as unit:
        event = EventRow(title="Rust night", description="", tags="", duration_minutes=60,
                         starts_at=now + timedelta(days=2), timezone="UTC", status="scheduled",
                         created_at=now, checkin_code="", reminder_offsets="off", detached=False)
        await unit.events.add(event)
    events, points = app.features.events, app.features.points
    for member in (discord, telegram):
        await events.rsvp(member, event.id, Answer.GOING)
    award = points.rules.rsvp
    assert award > 0
    assert (await points.standing(discord)).points == award

    issued = await app.features.links.issue(discord, Platform.DISCORD)
    result = await app.features.links.redeem(telegram, UserRef(Platform.TELEGRAM, "222", "t"),
                                             issued.code)
    merged = result.member
    assert (await points.standing(merged)).points == award  # one person, one RSVP award

    await events.rsvp(merged, event.id, Answer.NO)  # and a "no" takes it back
    assert (await points.standing(merged)).points == 0
