"""G7: 10,000 reminders due within 10 s, through outbox rows and the sweep, vs raw APScheduler.

    python benchmarks/bench_reminders.py [--reminders 10000] [--window 10] [--database URL]

Same run, back to back:

1. raw: APScheduler 3.x ``AsyncIOScheduler`` with the MemoryJobStore, one ``date`` job per
   reminder, run times spread evenly over the window (PERFORMANCE.md §1d's method);
2. Cohort: one outbox row per reminder (a DM to a member), delivered by the real app: its
   scheduler, leadership and ``outbox.sweep`` job (an interval job that keeps sending
   through a wave and wakes for the next due row), a recording console messenger.

Lateness = when the job started / the DM was handed to the messenger - its due time.
Loop lag = how late a 100 ms ``asyncio.sleep`` wakes while it all runs. Prints p50/p99/max,
missed, and the ratio of Cohort's p99 to the raw p99 (goal: <= 10x and <= 1 s, 0 missed).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parents[1]))

from benchmarks.lag import LagProbe, percentile
from bot.app import build, prepare, running
from bot.core.model import Platform, Reply
from bot.services.outbox import OutboxKind, Outgoing
from config.settings import Settings

console = Console(width=130)


async def raw_apscheduler(n: int, window: float, progress: Progress) -> dict[str, float]:
    """PERFORMANCE.md §1d: memory store, one date job per reminder."""
    lateness: list[float] = []
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start()
    probe = LagProbe(0.1)
    probe.start()
    task = progress.add_task("raw APScheduler: add", total=n)

    async def job(due: datetime) -> None:
        lateness.append((datetime.now(UTC) - due).total_seconds())

    opens = datetime.now(UTC) + timedelta(seconds=max(2.0, n / 5000))
    for i in range(n):
        due = opens + timedelta(seconds=window * i / n)
        scheduler.add_job(job, "date", run_date=due, args=[due])
        if i % 200 == 0:
            progress.update(task, completed=i)
            await asyncio.sleep(0)
    progress.update(task, completed=n, description="raw APScheduler: firing")
    deadline = time.monotonic() + (opens - datetime.now(UTC)).total_seconds() + window + 5
    while len(lateness) < n and time.monotonic() < deadline:
        progress.update(task, completed=len(lateness))
        await asyncio.sleep(0.1)
    progress.update(task, completed=len(lateness))
    await probe.stop()
    scheduler.shutdown(wait=False)
    return summary(lateness, n, probe.lags)


class TimedMessenger:
    """A console messenger that records when each DM was handed to it."""

    platform = Platform.CONSOLE

    def __init__(self) -> None:
        self.at: dict[str, datetime] = {}
        self.duplicates = 0

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        if reply.text in self.at:
            self.duplicates += 1
        self.at[reply.text] = datetime.now(UTC)
        return None

    async def send_place(self, place_id: str, reply: Reply) -> str | None:
        return None


async def cohort_outbox(n: int, window: float, url: str,
                        progress: Progress) -> dict[str, float]:
    app = build(Settings(database_url=url, data_dir=Path(tempfile.mkdtemp()),
                         _toml_file=Path("/nonexistent.toml")))  # type: ignore[call-arg]
    await prepare(app, seed_demo=False)
    await app.db.wipe()
    task = progress.add_task("Cohort: write members + outbox rows", total=n)
    now = datetime.now(UTC)
    async with app.db.unit() as unit:  # members are setup, not measured: bulk insert
        await unit.members.insert_many([
            {"id": i + 1, "display_name": f"m{i}", "timezone": "UTC", "interests": "",
             "dms": True, "digests": False, "keep_text": True, "created_at": now}
            for i in range(n)], [
            {"member_id": i + 1, "platform": "console", "user_id": f"u{i}",
             "display_name": f"m{i}", "created_at": now} for i in range(n)])
    opens = datetime.now(UTC) + timedelta(seconds=max(3.0, n / 2000))
    due: dict[str, datetime] = {}
    for start in range(0, n, 1000):  # the public API: Outbox.put in a unit of work
        batch = []
        for i in range(start, min(n, start + 1000)):
            at = opens + timedelta(seconds=window * i / n)
            due[f"r{i}"] = at
            batch.append(Outgoing(f"bench:{i}", OutboxKind.REMINDER, f"r{i}", at,
                                  member_id=i + 1))
        async with app.db.unit() as unit:
            await app.outbox.put(unit, batch)
        progress.update(task, completed=start + len(batch))
    messenger = TimedMessenger()
    app.platforms.add_messenger(messenger)
    progress.update(task, description="Cohort: sweeping", completed=0)
    probe = LagProbe(0.1)
    async with running(app):
        probe.start()
        deadline = time.monotonic() + (opens - datetime.now(UTC)).total_seconds() + window + 10
        while len(messenger.at) < n and time.monotonic() < deadline:
            progress.update(task, completed=len(messenger.at))
            await asyncio.sleep(0.1)
        progress.update(task, completed=len(messenger.at))
        await probe.stop()
    lateness = [(messenger.at[k] - due[k]).total_seconds() for k in messenger.at]
    result = summary(lateness, n, probe.lags)
    result["duplicates"] = messenger.duplicates
    return result


def summary(lateness: list[float], n: int, lags: list[float]) -> dict[str, float]:
    return {
        "fired": len(lateness),
        "missed": n - len(lateness),
        "p50": percentile(lateness, 0.50),
        "p99": percentile(lateness, 0.99),
        "max": max(lateness, default=float("nan")),
        "lag_p99": percentile(lags, 0.99),
        "lag_max": max(lags, default=float("nan")),
    }


async def main(args: argparse.Namespace) -> int:
    url = args.database or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    with Progress(console=console, transient=True) as progress:
        raw = await raw_apscheduler(args.reminders, args.window, progress)
        ours = await cohort_outbox(args.reminders, args.window, url, progress)
    table = Table(title=f"G7: {args.reminders:,} reminders due within {args.window:g} s "
                        f"({url.split(':', 1)[0]})")
    for column in ("path", "fired", "missed", "lateness p50 / p99 / max (ms)",
                   "loop lag p99 / max (ms)"):
        table.add_column(column)
    for name, r in (("raw APScheduler, MemoryJobStore", raw),
                    ("Cohort outbox rows + sweep", ours)):
        table.add_row(name, f"{r['fired']:,.0f}", f"{r['missed']:,.0f}",
                      f"{r['p50'] * 1e3:.1f} / {r['p99'] * 1e3:.1f} / {r['max'] * 1e3:.1f}",
                      f"{r['lag_p99'] * 1e3:.1f} / {r['lag_max'] * 1e3:.1f}")
    console.print(table)
    ratio = ours["p99"] / max(raw["p99"], 1e-9)
    ok = (ours["missed"] == 0 and ours["duplicates"] == 0 and ratio <= 10
          and ours["p99"] <= 1.0 and ours["lag_p99"] <= 0.1)
    console.print(f"Cohort p99 / raw p99 = {ratio:.1f}x (goal <= 10x); p99 {ours['p99']:.3f} s "
                  f"(goal <= 1 s); missed {ours['missed']:.0f}, sent twice "
                  f"{ours['duplicates']:.0f} (goal 0); loop lag p99 "
                  f"{ours['lag_p99'] * 1e3:.0f} ms (goal <= 100 ms): "
                  f"{'[green]G7 met' if ok else '[red]G7 not met'}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--database", help="a database URL (default: a temporary SQLite file)")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
