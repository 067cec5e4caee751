"""Reminder waves start early enough to end before they are due, at the paced rate (#14.2).

Runs on the virtual-time loop of test_pacing.py: four minutes of paced sending take a
fraction of a second, and the outbox's clock is that loop's clock.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest

from bot.adapters.discord.messaging import DiscordMessenger
from bot.app import rate_limiter
from bot.core.clock import FixedClock
from bot.core.model import Platform
from bot.core.platforms import Platforms
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from bot.services.outbox.waves import Share, Wave, plan_waves, release_until
from config.settings import OutboxSettings
from storage import Database
from tests.edge import RecordingMessenger
from tests.services.outbox.test_pacing import VirtualTimeLoop, run_virtual

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
T = NOW + timedelta(minutes=5)  # the 1-hour reminder of an event at 18:05
MARGIN = timedelta(seconds=5)
SLACK = 0.2  # the outbox's default: a wave is planned 20% longer than N / rate


class LoopClock:
    """The outbox's wall clock, moving with the virtual loop."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        self._loop = loop

    def now(self) -> datetime:
        return NOW + timedelta(seconds=self._loop.time())


TELEGRAM_ONLY = {"telegram": 24.0}


def _share(due_at: datetime, platform: str, messages: int, requests: int | None = None
           ) -> Share:
    """A platform's share of a wave, one request per message unless told."""
    return Share(due_at, platform, messages, messages if requests is None else requests)


def test_waves_are_planned_backwards_so_each_ends_before_it_is_due_and_the_next_starts():
    waves = plan_waves([_share(T + timedelta(seconds=1), "telegram", 240),
                        _share(T, "telegram", 240)], TELEGRAM_ONLY, MARGIN)
    assert waves == [Wave(T, 240, T + timedelta(seconds=1) - MARGIN - timedelta(seconds=20)),
                     Wave(T + timedelta(seconds=1), 240,
                          T + timedelta(seconds=1) - MARGIN - timedelta(seconds=10))]
    assert release_until(waves, T - timedelta(seconds=25)) is None
    assert release_until(waves, waves[0].starts_at) == T
    assert release_until(waves, waves[1].starts_at) == T + timedelta(seconds=1)


def test_a_wave_far_apart_from_the_next_only_needs_its_own_length():
    (first, second) = plan_waves([_share(T, "telegram", 2400),
                                  _share(T + timedelta(hours=1), "telegram", 24)],
                                 TELEGRAM_ONLY, MARGIN)
    assert first.starts_at == T - MARGIN - timedelta(seconds=100)
    assert second.starts_at == T + timedelta(hours=1) - MARGIN - timedelta(seconds=1)


def test_platforms_send_side_by_side_so_the_slowest_share_sets_the_length():
    rates = {"telegram": 24.0, "discord": 40.0}
    (wave,) = plan_waves([_share(T, "discord", 4000), _share(T, "telegram", 1200),
                          _share(T, "console", 500)], rates, MARGIN)
    assert wave.size == 5700
    assert wave.starts_at == T - MARGIN - timedelta(seconds=100)  # 4000 / 40 > 1200 / 24
    (unpaced,) = plan_waves([_share(T, "console", 500)], rates, MARGIN)
    assert unpaced.starts_at == T - MARGIN
    (slack,) = plan_waves([_share(T, "discord", 4000)], rates, MARGIN, 0.2)
    assert slack.starts_at == T - MARGIN - timedelta(seconds=120)


async def _wave(loop: VirtualTimeLoop, url: str, members: int) -> tuple[RecordingMessenger,
                                                                         float]:
    db = Database(url)
    await db.upgrade()
    await db.wipe()
    telegram = RecordingMessenger(Platform.TELEGRAM, now=loop.time)
    platforms = Platforms()
    platforms.add_messenger(telegram)
    clock = LoopClock(loop)
    outbox = Outbox(db, clock, rate_limiter(OutboxSettings(), now=loop.time), platforms,
                    wave_margin=MARGIN)
    async with db.unit() as unit:
        rows = [await unit.members.create("telegram", str(1000 + n), f"m{n}", None, NOW)
                for n in range(members)]
        await outbox.put(unit, [
            *(Outgoing(f"r:{r.id}", OutboxKind.REMINDER, "in 1 hour", T, member_id=r.id)
              for r in rows),
            Outgoing("post", OutboxKind.REMINDER, "channel: in 1 hour", T,
                     platform=Platform.TELEGRAM, place_id="-100"),
        ])
    while True:  # what the app's outbox.sweep job does: sweep, then wake when told
        upcoming = await outbox.sweep_until_idle()
        if upcoming is None:
            break
        await asyncio.sleep(max(0.0, (upcoming - clock.now()).total_seconds()))
    await db.dispose()
    return telegram, 0.0


@pytest.mark.parametrize("members", [240])
def test_a_reminder_wave_arrives_before_it_is_due_and_posts_at_the_due_time(
        tmp_path: Path, members: int) -> None:
    # SQLite only: asyncpg's connect timeouts would expire as virtual time jumps; the
    # queries themselves are checked on both databases below.
    result: list[tuple[RecordingMessenger, float]] = []

    async def main(loop: VirtualTimeLoop) -> None:
        result.append(await _wave(loop, f"sqlite+aiosqlite:///{tmp_path}/wave.db", members))

    run_virtual(main)
    ((telegram, _),) = result
    dms = [NOW + timedelta(seconds=a.at) for a in telegram.attempts
           if a.target.startswith("dm:") and a.outcome == "sent"]
    (post,) = [NOW + timedelta(seconds=a.at) for a in telegram.attempts
               if a.target == "#-100"]
    assert len(dms) == members  # nothing lost
    paced = timedelta(seconds=(members - 1) / OutboxSettings().telegram_per_second)
    assert max(dms) <= T  # the last one arrives before its due time
    planned = paced * (1 + SLACK) + MARGIN
    assert min(dms) >= T - planned - timedelta(seconds=1)  # never more than the wave early
    assert max(dms) - min(dms) <= paced * 1.1  # paced, not stalled
    assert post >= T  # the channel post is not part of the wave


async def test_early_dms_of_a_started_wave_are_claimed_and_posts_wait(db: Database) -> None:
    async with db.unit() as unit:
        rows = [await unit.members.create("telegram", str(n), f"m{n}", None, NOW)
                for n in range(3)]
        await unit.outbox.add_many([
            *(Outgoing(f"r:{r.id}", OutboxKind.REMINDER, "soon", T, member_id=r.id).row(NOW)
              for r in rows),
            Outgoing("later", OutboxKind.REMINDER, "later", T + timedelta(hours=1),
                     member_id=rows[0].id).row(NOW),
            Outgoing("post", OutboxKind.REMINDER, "post", T, platform=Platform.TELEGRAM,
                     place_id="-100").row(NOW),
            Outgoing("digest", OutboxKind.DIGEST, "digest", T, member_id=rows[0].id).row(NOW),
        ])
    async with db.unit() as unit:
        waves = await unit.outbox.dm_waves("reminder", NOW, NOW + timedelta(hours=2))
        assert waves == [(T, "telegram", 3, "soon"),
                         (T + timedelta(hours=1), "telegram", 1, "later")]
        assert await unit.outbox.claim_due(NOW, 100, "me") == []
        claimed = await unit.outbox.claim_due(NOW, 100, "me", early_dms=("reminder", T))
    assert sorted(r.key for r in claimed) == [f"r:{r.id}" for r in rows]
    async with db.unit() as unit:  # claimed rows still count toward their wave
        assert await unit.outbox.dm_waves("reminder", NOW, T) == [(T, "telegram", 3, "soon")]


def test_a_started_wave_goes_on_to_its_end_in_one_sweep(tmp_path: Path) -> None:
    # The outbox's clock stands still at the wave's start; as batches go out fewer rows
    # remain, so the wave's computed start moves later than "now": it must not pause.
    sent: list[int] = []

    async def main(loop: VirtualTimeLoop) -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/started.db")
        await db.upgrade()
        telegram = RecordingMessenger(Platform.TELEGRAM, now=loop.time)
        platforms = Platforms()
        platforms.add_messenger(telegram)
        start = T - timedelta(seconds=240 / 24) - MARGIN
        outbox = Outbox(db, FixedClock(start), rate_limiter(OutboxSettings(), now=loop.time),
                        platforms, wave_margin=MARGIN)
        async with db.unit() as unit:
            rows = [await unit.members.create("telegram", str(1000 + n), f"m{n}", None, NOW)
                    for n in range(240)]
            await outbox.put(unit, [Outgoing(f"r:{r.id}", OutboxKind.REMINDER, "soon", T,
                                             member_id=r.id) for r in rows])
        sent.append(await outbox.sweep())
        await db.dispose()

    run_virtual(main)
    assert sent == [240]


async def test_wave_shares_count_each_members_open_accounts_per_platform(db: Database) -> None:
    async with db.unit() as unit:
        both = await unit.members.create("telegram", "1", "both", None, NOW)
        await unit.members.add_account(both.id, "discord", "11", "both", NOW)
        closed = await unit.members.create("discord", "2", "closed", None, NOW)
        await unit.members.mark_dm_closed("discord", "2", NOW)
        only = await unit.members.create("discord", "3", "only", None, NOW)
        await unit.outbox.add_many([
            Outgoing(f"r:{m.id}", OutboxKind.REMINDER, "soon", T, member_id=m.id).row(NOW)
            for m in (both, closed, only)])
    async with db.unit() as unit:
        assert await unit.outbox.dm_waves("reminder", NOW, T) == [
            (T, "discord", 2, "soon"), (T, "telegram", 1, "soon")]



LONG = "Bring a laptop with rustup installed. " * 100  # 3,800 characters: two messages


@pytest.mark.parametrize(("text", "each"), [("in 1 hour", 2), (LONG, 3)])
async def test_a_discord_wave_is_planned_by_the_requests_it_makes(
        db: Database, text: str, each: int) -> None:
    # Discord paces requests: a DM to a member whose DM channel is not open yet is a
    # channel-open plus one request per message part, and the wave must start that much
    # earlier to end before it is due (#16.1, #14.2). The real messenger says what a DM costs.
    platforms = Platforms()
    platforms.add_messenger(DiscordMessenger(discord.Client(intents=discord.Intents.none())))
    limits = OutboxSettings()
    outbox = Outbox(db, FixedClock(NOW), rate_limiter(limits), platforms, wave_margin=MARGIN,
                    wave_slack=SLACK)
    async with db.unit() as unit:
        rows = [await unit.members.create("discord", str(5000 + n), f"d{n}", None, NOW)
                for n in range(40)]
        await outbox.put(unit, [Outgoing(f"r:{r.id}", OutboxKind.REMINDER, text, T,
                                         member_id=r.id) for r in rows])
    length = timedelta(seconds=40 * each / limits.discord_per_second * (1 + SLACK))
    assert await outbox.next_due() == T - MARGIN - length
