"""G7 re-posed: a 1-hour reminder wave to 10,000 members through the real adapters, paced.

    python benchmarks/bench_reminders_platforms.py [--members 10000] [--database URL]

Half the members are on Telegram, half on Discord. The real app (scheduler, leadership,
outbox sweep with its pacing: 24/s on Telegram, 40/s on Discord) sends one event's 1-hour
reminder through the real python-telegram-bot and discord.py adapters to the Telegram and
Discord emulators on 127.0.0.1, on the wall clock. The outbox plans the wave to start at
due - requests / rate - margin, so it ends before its due time (Discord paces requests: a
DM to a member whose DM channel is not open yet is two). The Telegram emulator enforces the
published flood limits. Then, in the same run, the raw paced time: an independent aiohttp
client (no Cohort code) making the same HTTP requests on a fixed schedule at the configured
rates (24 messages/s, 40 requests/s), both platforms side by side. Prints:

- messages lost (goal 0) and delivered after due (goal 0);
- the earliest delivery before due (at most the wave's planned length);
- HTTP requests per message, counted on the emulators (a Discord DM costs a channel-open
  request once per member);
- the wave's duration (first to last request) against the raw paced time (goal <= 1.1x).

The full size takes about ten minutes of wall time (the wave and the raw client are paced,
as in production); ``--members 100 --setup 6`` smoke-tests it in about half a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parents[1]))

from benchmarks.bench_outbox import paced
from benchmarks.summary import record
from bot.adapters.discord import DiscordAdapter, DiscordOptions
from bot.adapters.telegram import TelegramAdapter, TelegramOptions
from bot.app import build, prepare, running
from bot.services.outbox import OutboxKind, Outgoing
from config.settings import OutboxSettings, Settings
from storage.rows.events import EventRow
from tests.emulators.discord_api import DiscordEmulator
from tests.emulators.discord_api import SentMessage as DcSent
from tests.emulators.telegram_api import SentMessage as TgSent
from tests.emulators.telegram_api import TelegramEmulator

console = Console(width=110)
DISCORD_DM_REQUESTS = 2  # open the DM channel (first DM to a member), then the message
DELIVERY = {"sendMessage", "create_dm", "send_message"}


class Arrivals:
    """When each message first showed up at an emulator (polled every 10 ms).

    Each poll reads only the emulators' records added since the last one: the bot under
    measurement shares this event loop, and rescanning every record (20,000 at full size)
    a hundred times a second would slow the very wave it measures.
    """

    def __init__(self, tg: TelegramEmulator, dc: DiscordEmulator, text: str) -> None:
        self._tg, self._dc, self._text = tg, dc, text
        self.at: dict[tuple[str, int], float] = {}
        self._seen = (0, 0)

    def poll(self) -> None:
        now = time.time()
        tg, dc = self._tg.recorder.records, self._dc.recorder.records
        for sent in tg[self._seen[0]:]:
            if isinstance(sent, TgSent) and sent.text.startswith(self._text):
                self.at.setdefault(("telegram", sent.chat_id), now)
        for posted in dc[self._seen[1]:]:
            if isinstance(posted, DcSent) and posted.recipient_id is not None \
                    and posted.content.startswith(self._text):
                self.at.setdefault(("discord", posted.recipient_id), now)
        self._seen = (len(tg), len(dc))


def delivery_stamps(tg: TelegramEmulator, dc: DiscordEmulator,
                    since: tuple[int, int]) -> tuple[list[float], list[float]]:
    """When each delivery request since ``since`` was answered (polling excluded)."""
    return ([r.at for r in tg.requests[since[0]:] if r.method in DELIVERY],
            [r.at for r in dc.requests[since[1]:] if r.action in DELIVERY])


async def raw_paced(tg: TelegramEmulator, dc: DiscordEmulator, tg_ids: Sequence[int],
                    dc_ids: Sequence[int], limits: OutboxSettings) -> float:
    """The same requests from an independent client on a fixed schedule.

    Seconds from the first request to the last, the two platforms side by side.
    """
    since = (len(tg.requests), len(dc.requests))
    text = "raw paced send"
    async with aiohttp.ClientSession() as http:
        async def telegram(i: int) -> None:
            async with http.post(f"{tg.base_url}{tg.token}/sendMessage",
                                 json={"chat_id": tg_ids[i], "text": text}) as r:
                assert r.status == 200, await r.text()

        channel: list[str] = []
        auth = {"Authorization": f"Bot {dc.token}"}

        async def discord(k: int) -> None:  # even: open the DM channel, odd: post in it
            if k % 2 == 0:
                async with http.post(f"{dc.http_url}/users/@me/channels", headers=auth,
                                     json={"recipient_id": str(dc_ids[k // 2])}) as r:
                    channel[:] = [(await r.json())["id"]]
                return
            async with http.post(f"{dc.http_url}/channels/{channel[0]}/messages",
                                 headers=auth, json={"content": text}) as r:
                assert r.status == 200, await r.text()

        await asyncio.gather(
            paced(len(tg_ids), limits.telegram_per_second, telegram),
            paced(DISCORD_DM_REQUESTS * len(dc_ids), limits.discord_per_second, discord))
    stamps = [t for platform in delivery_stamps(tg, dc, since) for t in platform]
    return max(stamps) - min(stamps)


async def measure(members: int, url: str | None, setup: float) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp())
    settings = Settings(database_url=url or f"sqlite+aiosqlite:///{data}/g7.db",
                        data_dir=data, _toml_file=Path("/nonexistent.toml"))  # type: ignore[call-arg]
    limits = settings.outbox
    app = build(settings)  # the wall clock: the adapters and emulators run on it
    await prepare(app, seed_demo=False)
    await app.db.wipe()
    async with TelegramEmulator(flood_limits=True) as tg, DiscordEmulator() as dc:
        half = members // 2
        tg_users = [tg.add_user(f"t{n}") for n in range(half)]
        for user in tg_users:
            tg.start_chat(user)  # each member once wrote to the bot (/start)
        dc_users = [dc.add_user(f"d{n}") for n in range(members - half)]
        # Members join in no platform order: the two platforms alternate by member id.
        accounts = [pair for t, d in zip(tg_users, dc_users, strict=False)
                    for pair in (("telegram", str(t.id)), ("discord", str(d.id)))]
        accounts += [("discord", str(u.id)) for u in dc_users[len(tg_users):]]
        now = datetime.now(UTC)
        # Each platform's share at its own rate, side by side: the slower share sets it.
        planned = timedelta(seconds=max(
            half / limits.telegram_per_second,
            (members - half) * DISCORD_DM_REQUESTS / limits.discord_per_second)
            * (1 + limits.wave_slack) + limits.wave_margin_seconds)
        due = now + timedelta(seconds=setup) + planned
        starts = due + timedelta(hours=1)
        text = "Reminder: G7 night starts in 1 hour"
        async with app.db.unit() as unit:
            await unit.members.insert_many([
                {"id": i + 1, "display_name": f"m{i}", "timezone": "UTC", "interests": "",
                 "dms": True, "digests": False, "keep_text": True, "created_at": now}
                for i in range(members)], [
                {"member_id": i + 1, "platform": platform, "user_id": user_id,
                 "display_name": f"m{i}", "created_at": now}
                for i, (platform, user_id) in enumerate(accounts)])
            event = await unit.events.add(EventRow(
                title="G7 night", starts_at=starts, duration_minutes=60, status="scheduled",
                reminder_offsets="1h", checkin_code="G7", created_at=now))
            stamp = int(starts.timestamp())
            await app.outbox.put(unit, [  # what ReminderPlanner writes for each member going
                Outgoing(f"reminder:{event.id}:{i + 1}:1h:{stamp}", OutboxKind.REMINDER,
                         f"{text} (#{event.id})", due, member_id=i + 1, event_id=event.id)
                for i in range(members)])
        arrivals = Arrivals(tg, dc, text)
        telegram = TelegramAdapter(app.dispatcher, app.presence, app.clock, TelegramOptions(
            token=tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url,
            poll_timeout=1))
        discord_ = DiscordAdapter(app.dispatcher, app.presence, app.clock, DiscordOptions(
            token=dc.token, api_base_url=dc.http_url, gateway_url=dc.gateway_url,
            sync_commands=False, guild_ready_timeout=0.05, ready_timeout=15.0))
        async with running(app), telegram, discord_:
            app.platforms.add_messenger(telegram.messenger)
            app.platforms.add_messenger(discord_.messenger)
            since = (len(tg.requests), len(dc.requests))
            console.print(f"{members:,} reminders due at {due:%H:%M:%S} UTC; the wave is "
                          f"planned to start {planned.total_seconds():.0f} s before...")
            deadline = time.time() + (due - datetime.now(UTC)).total_seconds() + 120
            while len(arrivals.at) < members and time.time() < deadline:
                arrivals.poll()
                await asyncio.sleep(0.01)
            arrivals.poll()
            tg_at, dc_at = delivery_stamps(tg, dc, since)
            await asyncio.sleep(1.0)  # the last sends' outcomes are recorded after delivery
            async with app.db.unit() as unit:
                counts = await unit.outbox.counts()
        raw = await raw_paced(tg, dc, [u.id for u in tg_users], [u.id for u in dc_users],
                              limits)
        flood = sum(r.status == 429 for r in tg.requests)
    await app.db.dispose()
    times = sorted(arrivals.at.values())
    stamps = tg_at + dc_at
    due_s = due.timestamp()
    return {
        "members": members, "delivered": len(times), "lost": members - len(times),
        "late": sum(t > due_s for t in times), "sent_rows": counts.get("sent", 0),
        "earliest_before_due": due_s - times[0] if times else float("nan"),
        "latest_before_due": due_s - times[-1] if times else float("nan"),
        "planned_s": planned.total_seconds(),
        "requests_per_message": len(stamps) / max(len(times), 1),
        "telegram_per_dm": len(tg_at) / max(half, 1),
        "discord_per_dm": len(dc_at) / max(members - half, 1), "telegram_429": flood,
        "wave_s": max(stamps) - min(stamps) if stamps else float("nan"), "raw_s": raw,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--setup", type=float, default=20.0,
                        help="seconds the adapters get to connect before the wave starts")
    parser.add_argument("--database", help="a database URL (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    r = asyncio.run(measure(args.members, args.database, args.setup))
    ratio = r["wave_s"] / max(r["raw_s"], 1e-9)
    table = Table(title=f"G7: the 1-hour reminder to {r['members']:,} members "
                        "(Telegram + Discord adapters, paced)")
    for column in ("measure", "value", "goal", "met"):
        table.add_column(column)
    rows = [
        ("messages lost", f"{r['lost']:,} (outbox rows sent: {r['sent_rows']:,})", "0",
         r["lost"] == 0),
        ("delivered after due", f"{r['late']:,}", "0", r["late"] == 0),
        ("earliest delivery before due", f"{r['earliest_before_due']:.1f} s",
         f"<= planned wave {r['planned_s']:.0f} s",
         r["earliest_before_due"] <= r["planned_s"] + 1),
        ("last delivery before due", f"{r['latest_before_due']:.1f} s", "> 0",
         r["latest_before_due"] > 0),
        ("HTTP requests per message",
         f"{r['requests_per_message']:.2f} (Telegram {r['telegram_per_dm']:.2f}, "
         f"Discord {r['discord_per_dm']:.2f}; Telegram 429s {r['telegram_429']})",
         "Discord <= 2 (open + send), no 429",
         r["discord_per_dm"] <= DISCORD_DM_REQUESTS and r["telegram_429"] == 0),
        ("wave duration / raw paced time",
         f"{r['wave_s']:.1f} s / {r['raw_s']:.1f} s = {ratio:.2f}x", "<= 1.1x", ratio <= 1.1),
    ]
    for name, value, goal, met in rows:
        table.add_row(name, value, goal, "yes" if met else "NO")
        record("G7", f"{name} ({r['members']:,} members, Telegram + Discord)", value,
               f"{ratio:.2f}x" if name.startswith("wave") else "", goal, met)
    console.print(table)
    return 0 if all(met for *_, met in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
