"""G8: fan-out pacing through the outbox vs the configured and published limits, real time.

    python benchmarks/bench_outbox.py [--seconds 4] [--database URL]

Same run, back to back, per platform (defaults: Telegram 24/s overall and 1/s per chat,
Discord 40/s; published ~30/s and 50/s):

1. raw: the same token buckets driving a recording messenger directly (no database), the
   fastest the pacing allows;
2. Cohort: one outbox row per DM, delivered by ``Outbox.sweep`` (claim, member lookup,
   pacing, send, record) to a recording messenger;
3. Cohort, both platforms in one sweep, plus four DMs to one Telegram chat (per-chat pacing).

For each: sends/s, the most sends in any one second (half-open window), that as a share of
the published limit (goal <= 80%), and the outbox's rate as a share of the raw rate.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parents[1]))

from bot.app import rate_limiter
from bot.core.clock import SystemClock
from bot.core.model import Platform, Reply
from bot.core.platforms import Platforms
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from config.settings import OutboxSettings
from storage import Database
from tests.edge import RecordingMessenger

console = Console(width=130)
PUBLISHED = {Platform.TELEGRAM: 30.0, Platform.DISCORD: 50.0}


def max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    ordered = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def rate(times: Sequence[float]) -> float:
    return (len(times) - 1) / (max(times) - min(times)) if len(times) > 1 else float("nan")


async def raw(platform: Platform, n: int, limits: OutboxSettings) -> list[float]:
    limiter = rate_limiter(limits)
    messenger = RecordingMessenger(platform)
    for i in range(n):
        await limiter.acquire(platform.value, f"dm:{i}")
        await messenger.send_direct(str(i), Reply("x"))
    return messenger.sent_at


async def through_outbox(url: str, counts: dict[Platform, int], limits: OutboxSettings,
                         *, same_chat: int = 0) -> dict[Platform, RecordingMessenger]:
    db = Database(url)
    await db.upgrade()
    await db.wipe()
    now = datetime.now(UTC)
    members: list[tuple[int, Platform, str]] = []
    for platform, n in counts.items():
        members += [(len(members) + i + 1, platform, f"{platform.value[0]}{i}") for i in range(n)]
    async with db.unit() as unit:
        await unit.members.insert_many([
            {"id": mid, "display_name": uid, "timezone": "UTC", "interests": "", "dms": True,
             "digests": False, "keep_text": True, "created_at": now}
            for mid, _, uid in members], [
            {"member_id": mid, "platform": p.value, "user_id": uid, "display_name": uid,
             "created_at": now} for mid, p, uid in members])
    messengers = {p: RecordingMessenger(p) for p in counts}
    platforms = Platforms()
    for messenger in messengers.values():
        platforms.add_messenger(messenger)
    outbox = Outbox(db, SystemClock(), rate_limiter(limits), platforms)
    due = now - timedelta(seconds=1)
    messages = [Outgoing(f"b:{mid}", OutboxKind.REMINDER, f"m{mid}", due, member_id=mid)
                for mid, _, _ in members]
    messages += [Outgoing(f"same:{k}", OutboxKind.REMINDER, f"same {k}", due,
                          member_id=members[0][0]) for k in range(same_chat)]
    async with db.unit() as unit:
        await outbox.put(unit, messages)
    await outbox.sweep()
    await db.dispose()
    return messengers


async def main(args: argparse.Namespace) -> int:
    limits = OutboxSettings()
    configured = {Platform.TELEGRAM: limits.telegram_per_second,
                  Platform.DISCORD: limits.discord_per_second}
    n = {p: round(configured[p] * args.seconds) + 1 for p in configured}
    url = args.database or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    rows: list[tuple[str, Platform, Sequence[float], float | None]] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("pacing", total=5)
        for platform in configured:
            baseline = await raw(platform, n[platform], limits)
            progress.advance(task)
            ours = (await through_outbox(url, {platform: n[platform]}, limits))[platform]
            progress.advance(task)
            rows.append(("raw token buckets", platform, baseline, None))
            rows.append(("Cohort outbox", platform, ours.sent_at, rate(baseline)))
        mixed = await through_outbox(url, {p: n[p] for p in configured}, limits, same_chat=3)
        progress.advance(task)
        for platform, messenger in mixed.items():
            rows.append(("Cohort outbox, both platforms", platform, messenger.sent_at,
                         None))
    table = Table(title=f"G8: fan-out pacing, about {args.seconds:g} s per platform "
                        f"({url.split(':', 1)[0]})")
    for column in ("path", "platform", "sent", "sends/s", "configured", "max in 1 s",
                   "of published", "vs raw"):
        table.add_column(column)
    ok = True
    for name, platform, times, raw_rate in rows:
        peak = max_in_window(times)
        share = peak / PUBLISHED[platform]
        ok &= share <= 0.8
        table.add_row(name, platform.value, str(len(times)), f"{rate(times):.1f}",
                      f"{configured[platform]:g}/s", str(peak),
                      f"{share:.0%} of {PUBLISHED[platform]:g}/s",
                      f"{rate(times) / raw_rate:.2f}x" if raw_rate else "")
    console.print(table)
    same = [a.at for a in mixed[Platform.TELEGRAM].attempts if a.target == "dm:t0"]
    gaps = [b - a for a, b in itertools.pairwise(same)]
    ok &= min(gaps) >= 1 / limits.telegram_per_chat_per_second - 0.01
    console.print(f"one Telegram chat got {len(same)} DMs, gaps "
                  f"{', '.join(f'{g:.2f}' for g in gaps)} s (limit 1/s per chat)")
    console.print("[green]G8 pacing met" if ok else "[red]G8 pacing not met")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--database", help="a database URL (default: a temporary SQLite file)")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
