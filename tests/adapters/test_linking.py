"""Linking a Discord and a Telegram account: over both emulators, and the merge itself."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from bot.app import App
from bot.core.model import Place, Platform, UserRef
from bot.core.ports import InteractionKind
from storage.repos.members import member_references
from storage.rows.activity import InteractionRow
from storage.rows.events import EventRow, FeedbackRow, RsvpRow
from storage.rows.members import LinkCodeRow, MemberRow
from tests.adapters.conftest import DiscordWorld, TelegramWorld
from tests.emulators.discord_api import Followup
from tests.emulators.telegram_api import SentMessage
from tests.harness import snapshot

CODE = re.compile(r"code is ([A-Z0-9]{8})")


async def _discord_dm(world: DiscordWorld, user, command: str, options=None) -> str:
    emu = world.emu
    interaction = await emu.send_interaction_create(None, emu.dm_channel(user), user, command,
                                                    options)
    followup = await emu.wait_for(
        Followup, lambda f: f.interaction_id == interaction.id and f.action == "create")
    return followup.content


async def _telegram(world: TelegramWorld, user, command: str, args: str = "") -> str:
    tg = world.tg
    mark = tg.mark()
    tg.push_command(tg.private_chat(user), user, command, args)
    sent = await tg.wait_for(SentMessage, lambda m: m.chat_id == user.id, after=mark)
    return sent.text


async def _members(app: App) -> list[tuple[int, list[str]]]:
    async with app.db.unit() as unit:
        accounts = await unit.members.all_accounts()
    by_member: dict[int, list[str]] = {}
    for account in accounts:
        by_member.setdefault(account.member_id, []).append(account.platform)
    return sorted((k, sorted(v)) for k, v in by_member.items())


async def test_a_code_from_discord_links_the_telegram_account(
        app, discord_global_bot, telegram_bot, discord_world, telegram_world):
    app.platforms.add_deep_link(Platform.TELEGRAM, telegram_bot.deep_link)
    issued = await _discord_dm(discord_world, discord_world.maya, "link")
    code = CODE.search(issued)
    assert code, issued
    assert f"https://t.me/cohort_test_bot?start=link-{code[1]}" in issued

    answer = await _telegram(telegram_world, telegram_world.maya, "link", code[1])
    assert answer.startswith("Linked!")
    members = await _members(app)
    assert [platforms for _, platforms in members] == [["discord", "telegram"]]

    again = await _telegram(telegram_world, telegram_world.maya, "link", code[1])
    assert "wrong or has expired" in again  # one-time

    separated = await _discord_dm(discord_world, discord_world.maya, "unlink")
    assert separated.startswith("Unlinked")
    assert sorted(p for _, p in await _members(app)) == [["discord"], ["telegram"]]


async def test_a_telegram_deep_link_runs_link_from_start(
        app, discord_global_bot, telegram_bot, discord_world, telegram_world):
    issued = await _discord_dm(discord_world, discord_world.tomas, "link")
    code = CODE.search(issued)
    assert code
    answer = await _telegram(telegram_world, telegram_world.tomas, "start", f"link-{code[1]}")
    assert answer.startswith("Linked!")
    assert [p for _, p in await _members(app)] == [["discord", "telegram"]]


async def test_bad_codes_change_nothing(app, discord_global_bot, telegram_bot, discord_world,
                                        telegram_world):
    issued = await _discord_dm(discord_world, discord_world.maya, "link")
    code = CODE.search(issued)
    assert code
    await _telegram(telegram_world, telegram_world.maya, "help")  # both members exist
    await app.interactions.flush()
    before = await snapshot(app.db)

    assert "wrong or has expired" in await _telegram(telegram_world, telegram_world.maya,
                                                     "link", "ZZZZ9999")
    assert "your own" in await _discord_dm(discord_world, discord_world.maya, "link",
                                           {"code": code[1]})
    app.clock.advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    assert "wrong or has expired" in await _telegram(telegram_world, telegram_world.maya,
                                                     "link", code[1])
    assert await snapshot(app.db) == before


async def test_link_only_in_a_dm(discord_global_bot, discord_world):
    emu = discord_world.emu
    assert emu.command("link")["contexts"] == [1, 2]


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
        unit.session.add_all(events)
        await unit.session.flush()
        rsvp = {"queued_at": now, "created_at": now, "updated_at": now}
        unit.session.add_all([
            RsvpRow(event_id=events[0].id, member_id=discord_id, status="maybe", **rsvp),
            RsvpRow(event_id=events[0].id, member_id=telegram_id, status="going", **rsvp),
            RsvpRow(event_id=events[1].id, member_id=discord_id, status="going", **rsvp),
            RsvpRow(event_id=events[1].id, member_id=telegram_id, status="no", **rsvp),
            RsvpRow(event_id=events[2].id, member_id=telegram_id, status="going", **rsvp),
            FeedbackRow(event_id=events[0].id, member_id=discord_id, rating=2, comment="old",
                        created_at=now, updated_at=now),
            FeedbackRow(event_id=events[0].id, member_id=telegram_id, rating=5, comment="new",
                        created_at=now, updated_at=now + timedelta(hours=1)),
        ])
    place = Place(Platform.TELEGRAM, "222", "dm", is_direct=True)

    await app.presence.activity(UserRef(Platform.TELEGRAM, "222", "t"), place,
                                      InteractionKind.REACTION, "m1", "👍")

    links = app.features.links
    from bot.core.model import Member

    issued = await links.issue(Member(discord_id, "d"), Platform.DISCORD)
    await links.redeem(Member(telegram_id, "t"), UserRef(Platform.TELEGRAM, "222", "t"),
                       issued.code)

    async with app.db.unit() as unit:
        session = unit.session
        rsvps = {(r.event_id, r.status) for r in (await session.execute(
            select(RsvpRow))).scalars()}
        assert {r.member_id for r in (await session.execute(select(RsvpRow))).scalars()} == {
            discord_id}
        feedback = (await session.execute(select(FeedbackRow))).scalars().all()
        members = (await session.execute(select(func.count(MemberRow.id)))).scalar_one()
        interactions = (await session.execute(select(InteractionRow))).scalars().all()
        codes = (await session.execute(select(LinkCodeRow))).scalars().all()
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
