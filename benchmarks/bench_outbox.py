"""G8: fan-out pacing, counted as HTTP requests on the platform emulators, real time.

    python benchmarks/bench_outbox.py [--seconds 4] [--group-posts 17] [--database URL]

The real adapters (python-telegram-bot, discord.py) talk to the protocol emulators on
127.0.0.1 (tests/emulators); what counts is what reaches the platform: every HTTP request,
with real message lengths (one long reminder per platform: the outbox keeps 3,900
characters, one Telegram message, two Discord messages of 2,000), and each Discord DM's
channel-open request. The Telegram emulator enforces the published flood limits (30
messages/s overall, 20/min per group: a 429 beyond them).

Same run, per platform:
1. raw: an independent client (aiohttp, no Cohort code) posting the same requests on a fixed
   schedule at the configured rate, the fastest that pacing allows;
2. Cohort: one outbox row per DM (and ``--group-posts`` posts to one Telegram group),
   delivered by ``Outbox.sweep`` through the real adapter.

Goals (G8, <= 80% of each published limit): Telegram <= 24 sends in any second, <= 16 in
any minute to one group; Discord <= 40 requests in any second; no 429 answered. "vs raw"
is Cohort's send rate over the raw client's (G7's wave: duration <= 1.1x raw, so >= 0.91).
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

import aiohttp
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parents[1]))

from benchmarks.summary import record
from bot.adapters.discord import DiscordAdapter, DiscordOptions
from bot.adapters.telegram import TelegramAdapter, TelegramOptions
from bot.app import build, prepare
from bot.core.clock import SystemClock
from bot.core.model import Platform
from bot.services.outbox import OutboxKind, Outgoing
from config.settings import Settings
from tests.emulators.discord_api import DiscordEmulator
from tests.emulators.telegram_api import TelegramEmulator

console = Console(width=130)
REMINDER = ("Reminder: Intro to Rust study session starts in 1 hour (18:00 UTC) in #study-hall. "
            "Bring a laptop with rustup installed; we will work through chapters 3 and 4 of "
            "the book and pair on the exercises. Reply /rsvp no if you cannot make it. ")
LONG = (REMINDER * 25)[:5000]  # the outbox keeps 3,900: Discord splits it in two (2,000)


def max_in_window(times: Sequence[float], window: float) -> int:
    """The most events in any half-open window of ``window`` seconds."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def rate(times: Sequence[float]) -> float:
    return (len(times) - 1) / (max(times) - min(times)) if len(times) > 1 else float("nan")


async def paced(n: int, per_second: float, send: object) -> None:
    """Call ``send(i)`` for i < n on a fixed schedule (independent of Cohort's buckets).

    A send that ran late moves the schedule along rather than letting the next ones catch
    up in a burst (which the Telegram emulator's flood limits would refuse).
    """
    assert callable(send)
    due = time.monotonic()
    for i in range(n):
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        due = max(due, time.monotonic()) + 1 / per_second
        await send(i)


async def raw_telegram(n: int, per_second: float) -> list[float]:
    async with TelegramEmulator(flood_limits=True) as tg:
        users = [tg.add_user(f"u{i}") for i in range(n)]
        for user in users:
            tg.start_chat(user)
        async with aiohttp.ClientSession() as http:
            async def send(i: int) -> None:
                async with http.post(f"{tg.base_url}{tg.token}/sendMessage",
                                     json={"chat_id": users[i].id, "text": REMINDER}) as r:
                    assert r.status == 200, await r.text()
            await paced(n, per_second, send)
        return [r.at for r in tg.requests if r.method == "sendMessage"]


async def raw_discord(n: int, per_second: float) -> list[float]:
    async with DiscordEmulator() as dc:
        guild = dc.add_guild("Bench")
        users = [dc.add_member(guild, f"u{i}") for i in range(n)]
        headers = {"Authorization": f"Bot {dc.token}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            async def send(i: int) -> None:  # a DM is two requests: open, then post
                async with http.post(f"{dc.http_url}/users/@me/channels",
                                     json={"recipient_id": str(users[i].id)}) as r:
                    channel = (await r.json())["id"]
                async with http.post(f"{dc.http_url}/channels/{channel}/messages",
                                     json={"content": REMINDER}) as r:
                    assert r.status == 200, await r.text()
            await paced(n, per_second / 2, send)
        return [r.at for r in dc.requests if r.action in ("create_dm", "send_message")]


async def cohort(url: str, tmp: Path, n_tg: int, n_dc: int, group_posts: int
                 ) -> tuple[TelegramEmulator, DiscordEmulator, float, float]:
    """Everything through the outbox and the real adapters; returns the emulators."""
    settings = Settings(database_url=url, data_dir=tmp / "data",
                        _toml_file=tmp / "absent.toml")  # type: ignore[call-arg]
    app = build(settings, SystemClock())
    await prepare(app, seed_demo=False)
    await app.db.wipe()
    async with TelegramEmulator(flood_limits=True) as tg, DiscordEmulator() as dc:
        tg_users = [tg.add_user(f"t{i}") for i in range(n_tg)]
        for user in tg_users:
            tg.start_chat(user)
        group = tg.add_group("Study group", members=tg_users[:1])
        guild = dc.add_guild("Bench")
        dc_users = [dc.add_member(guild, f"d{i}") for i in range(n_dc)]
        now = datetime.now(UTC)
        people = [(Platform.TELEGRAM, str(u.id)) for u in tg_users] + [
            (Platform.DISCORD, str(u.id)) for u in dc_users]
        async with app.db.unit() as unit:
            await unit.members.insert_many([
                {"id": i + 1, "display_name": uid, "timezone": "UTC", "interests": "",
                 "dms": True, "digests": False, "keep_text": True, "created_at": now}
                for i, (_, uid) in enumerate(people)], [
                {"member_id": i + 1, "platform": p.value, "user_id": uid, "display_name": uid,
                 "created_at": now} for i, (p, uid) in enumerate(people)])
        due = now - timedelta(seconds=1)
        messages = [Outgoing(f"dm:{i}", OutboxKind.REMINDER, LONG if i in (0, n_tg) else REMINDER,
                             due, member_id=i + 1) for i in range(len(people))]
        messages += [Outgoing(f"group:{k}", OutboxKind.REMINDER, REMINDER, due,
                              platform=Platform.TELEGRAM, place_id=str(group.id))
                     for k in range(group_posts)]
        async with app.db.unit() as unit:
            await app.outbox.put(unit, messages)
        telegram = TelegramAdapter(app.dispatcher, app.presence, app.clock, TelegramOptions(
            token=tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url,
            poll_timeout=1))
        discord = DiscordAdapter(app.dispatcher, app.presence, app.clock, DiscordOptions(
            token=dc.token, api_base_url=dc.http_url, gateway_url=dc.gateway_url,
            guild_id=guild.id, guild_ready_timeout=0.05, ready_timeout=5.0))
        async with telegram, discord:
            app.platforms.add_messenger(telegram.messenger)
            app.platforms.add_messenger(discord.messenger)
            dc.requests.clear()
            tg.requests.clear()
            started = time.monotonic()
            while True:  # what the scheduler does: sweep, then wake when the next is due
                upcoming = await app.outbox.sweep_until_idle()
                if upcoming is None:
                    break
                await asyncio.sleep(max(0.0, (upcoming - datetime.now(UTC)).total_seconds()))
            elapsed = time.monotonic() - started
        async with app.db.unit() as unit:
            counts = await unit.outbox.counts()
        await app.db.wipe()
        await app.db.dispose()
        return tg, dc, elapsed, counts


async def main(args: argparse.Namespace) -> int:
    limits = Settings(_toml_file=Path("absent.toml")).outbox  # type: ignore[call-arg]
    n_tg = round(limits.telegram_per_second * args.seconds) + 1
    n_dc = round(limits.discord_per_second / 2 * args.seconds) + 1  # two requests per DM
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite+aiosqlite:///{tmp}/bench.db"
        raw_tg = await raw_telegram(n_tg, limits.telegram_per_second)
        raw_dc = await raw_discord(n_dc, limits.discord_per_second)
        tg, dc, elapsed, counts = await cohort(url, Path(tmp), n_tg, n_dc, args.group_posts)
    sends = [r for r in tg.requests if r.method == "sendMessage"]
    tg_ok = [r.at for r in sends if r.status == 200]
    group_id = next(c.id for c in tg.chats.values() if c.type != "private")
    group_at = [r.at for r in sends if r.status == 200 and str(r.params.get("chat_id")) ==
                str(group_id)]
    dms = [r.at for r in sends if r.status == 200 and str(r.params.get("chat_id")) !=
           str(group_id)]
    dc_reqs = [r for r in dc.requests if r.action in ("create_dm", "send_message")]
    dc_ok = [r.at for r in dc_reqs if r.status == 200]
    opened = sum(r.action == "create_dm" for r in dc_reqs)
    first = min(int(r.params["chat_id"]) for r in sends if int(r.params["chat_id"]) > 0)
    tg_long = sum(int(r.params["chat_id"]) == first for r in sends)
    kind = url.split(":", 1)[0]
    table = Table(title=f"G8 fan-out: HTTP requests on the emulators, {n_tg} Telegram and "
                        f"{n_dc} Discord DMs + {args.group_posts} group posts ({kind})")
    for column in ("path", "platform", "requests", "429s", "req/s", "max in 1 s",
                   "max in 60 s to the group", "goal", "vs raw"):
        table.add_column(column)
    raw_tg_rate, raw_dc_rate = rate(raw_tg), rate(raw_dc)
    table.add_row("raw client, fixed schedule", "telegram", str(len(raw_tg)), "0",
                  f"{raw_tg_rate:.1f}", str(max_in_window(raw_tg, 1.0)), "", "<= 24", "")
    table.add_row("raw client, fixed schedule", "discord", str(len(raw_dc)), "0",
                  f"{raw_dc_rate:.1f}", str(max_in_window(raw_dc, 1.0)), "", "<= 40", "")
    tg_429 = sum(r.status == 429 for r in sends)
    dc_429 = sum(r.status == 429 for r in dc_reqs)
    tg_peak, dc_peak = max_in_window(tg_ok, 1.0), max_in_window(dc_ok, 1.0)
    group_peak = max_in_window(group_at, 60.0) if group_at else 0
    tg_vs = rate(dms) / raw_tg_rate
    dc_vs = rate(dc_ok) / raw_dc_rate
    table.add_row("Cohort outbox + real adapter", "telegram", str(len(sends)), str(tg_429),
                  f"{rate(dms):.1f}", str(tg_peak), str(group_peak) if args.group_posts else "",
                  "<= 24/s, <= 16/min/group", f"{tg_vs:.2f}")
    table.add_row("Cohort outbox + real adapter", "discord", str(len(dc_reqs)), str(dc_429),
                  f"{rate(dc_ok):.1f}", str(dc_peak), "", "<= 40/s", f"{dc_vs:.2f}")
    console.print(table)
    console.print(f"Telegram: {len(sends)} sendMessage for {n_tg} DMs + {args.group_posts} "
                  f"group posts (the long reminder went as {tg_long}); Discord: {len(dc_reqs)} "
                  f"requests for {n_dc} DMs ({opened} channel opens + messages, the long "
                  f"one in two); outbox rows at the end {counts}; {elapsed:.1f} s")
    record("G8", f"Telegram sends in any 1 s ({kind})", f"{tg_peak} (429s: {tg_429})",
           f"{tg_peak / 30:.0%} of 30/s", "<= 80%", tg_peak <= 24 and tg_429 == 0)
    if args.group_posts:
        record("G8", f"Telegram posts to one group in any 60 s ({kind})", str(group_peak),
               f"{group_peak / 20:.0%} of 20/min", "<= 80%", group_peak <= 16)
    record("G8", f"Discord requests in any 1 s ({kind})", f"{dc_peak} (429s: {dc_429})",
           f"{dc_peak / 50:.0%} of 50/s", "<= 80%", dc_peak <= 40 and dc_429 == 0)
    record("G8", "Telegram DM rate vs independent paced client", f"{rate(dms):.1f}/s",
           f"{tg_vs:.2f}", ">= 0.91 (G7 1.1x)", tg_vs >= 0.91)
    record("G8", "Discord request rate vs independent paced client", f"{rate(dc_ok):.1f}/s",
           f"{dc_vs:.2f}", ">= 0.91 (G7 1.1x)", dc_vs >= 0.91)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--group-posts", type=int, default=17,
                        help="posts to one Telegram group (17 needs >= 60 s when paced)")
    parser.add_argument("--database", help="a database URL (default: a temporary SQLite file)")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
