"""Leaderboards and the ledger write path against raw sqlite3, in the same run (G1, G3).

Usage: python benchmarks/bench_points.py [--rows 1000000] [--members 10000] [--reps 200]

Raw baselines (sqlite3, file database, WAL + synchronous=NORMAL as Cohort uses):
  - insert-only ``executemany`` of pre-serialised tuples, and the same with the
    conversion (ISO timestamps, JSON payload) inside the timed region;
  - top-10 and one member's rank by ``GROUP BY`` over the covering index (all time) and the
    forced ``INDEXED BY`` windowed query (current week): the best raw plans.
Cohort: ``PointsService.award_many`` (ledger + maintained totals, batches of 50,000) over the
same rows, then ``leaderboard()`` and ``rank_of()`` through the public API (p50).
Prints each figure and the ratios the goals name.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bot.core.clock import FixedClock
from bot.core.platforms import Platforms
from bot.services.outbox import Outbox, PlatformRates, Rate, RateLimiter
from bot.services.points import Award, PointsService
from config.settings import PointsSettings
from storage import Database

START = datetime(2026, 10, 26, tzinfo=UTC)
SPAN = timedelta(days=29)
BATCH = 50_000
console = Console()


def synthetic(rows: int, members: int) -> list[tuple[int, int, datetime]]:
    rng = random.Random(7)
    span = SPAN.total_seconds()
    return [(rng.randint(1, members), rng.randint(1, 25),
             START + timedelta(seconds=rng.random() * span)) for _ in range(rows)]


def raw_connection(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE interactions (id INTEGER PRIMARY KEY, member_id INTEGER, kind TEXT, "
        "created_at TEXT, points INTEGER, payload TEXT)")
    return connection


def raw_insert(path: Path, data: list[tuple[int, int, datetime]], convert: bool) -> float:
    connection = raw_connection(path)
    payload = json.dumps({"reason": "chat message", "channel": "general"})
    prepared = None if convert else [
        (m, "message", t.isoformat(), p, payload) for m, p, t in data]
    started = time.perf_counter()
    if prepared is None:
        prepared = [(m, "message", t.isoformat(), p,
                     json.dumps({"reason": "chat message", "channel": "general"}))
                    for m, p, t in data]
    connection.execute("BEGIN")
    connection.executemany("INSERT INTO interactions (member_id, kind, created_at, points, "
                           "payload) VALUES (?, ?, ?, ?, ?)", prepared)
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return len(data) / elapsed


def p50(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def ap50(fn: Callable[[], Awaitable[object]], reps: int) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def raw_reads(path: Path, now: datetime, probe: int, reps: int) -> dict[str, float]:
    connection = sqlite3.connect(path)
    connection.execute("CREATE INDEX ix_member_points ON interactions (member_id, points)")
    connection.execute(
        "CREATE INDEX ix_time_member_points ON interactions (created_at, member_id, points)")
    connection.execute("ANALYZE")
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0)
    since = monday.isoformat()
    top_all = ("SELECT member_id, SUM(points) s FROM interactions GROUP BY member_id "
               "ORDER BY s DESC LIMIT 10")
    top_week = ("SELECT member_id, SUM(points) s FROM interactions INDEXED BY "
                "ix_time_member_points WHERE created_at >= ? GROUP BY member_id "
                "ORDER BY s DESC LIMIT 10")
    rank_all = ("SELECT COUNT(*) + 1 FROM (SELECT SUM(points) s FROM interactions "
                "GROUP BY member_id) WHERE s > (SELECT SUM(points) FROM interactions "
                "WHERE member_id = ?)")
    rank_week = ("SELECT COUNT(*) + 1 FROM (SELECT SUM(points) s FROM interactions INDEXED BY "
                 "ix_time_member_points WHERE created_at >= ? GROUP BY member_id) WHERE s > "
                 "(SELECT SUM(points) FROM interactions WHERE member_id = ? AND "
                 "created_at >= ?)")
    out = {
        "top10 all": p50(lambda: connection.execute(top_all).fetchall(), reps),
        "top10 week": p50(lambda: connection.execute(top_week, (since,)).fetchall(), reps),
        "rank all": p50(lambda: connection.execute(rank_all, (probe,)).fetchall(), reps),
        "rank week": p50(lambda: connection.execute(rank_week, (since, probe, since))
                         .fetchall(), reps),
    }
    connection.close()
    return out


async def cohort(path: Path, data: list[tuple[int, int, datetime]], members: int,
                 now: datetime, probe: int, reps: int, progress: Progress) -> dict[str, float]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.upgrade()
    async with db.unit() as unit:  # members (setup, not timed)
        await unit.members.insert_many([
            {"id": i, "display_name": f"member {i}", "timezone": "UTC", "interests": "",
             "dms": True, "digests": False, "keep_text": True, "created_at": START}
            for i in range(1, members + 1)])
    clock = FixedClock(now)
    outbox = Outbox(db, clock, RateLimiter({"console": PlatformRates(Rate(1000.0))},
                                           time.monotonic), Platforms())
    points = PointsService(db, clock, outbox, Platforms(), PointsSettings())
    task = progress.add_task("cohort: ledger + totals", total=len(data))
    started = time.perf_counter()
    for offset in range(0, len(data), BATCH):
        chunk = data[offset:offset + BATCH]
        await points.award_many([
            Award(m, p, "message", "chat message", f"bench:{offset + i}", t)
            for i, (m, p, t) in enumerate(chunk)])
        progress.advance(task, len(chunk))
    write = len(data) / (time.perf_counter() - started)
    out = {"write rows/s": write}
    # Correctness check for the benchmark itself: totals equal the ledger.
    async with db.engine.connect() as connection:
        from sqlalchemy import text

        ledger = (await connection.execute(text("SELECT SUM(amount) FROM point_awards"))
                  ).scalar_one()
        totals = (await connection.execute(text(
            "SELECT SUM(points) FROM point_totals WHERE period = 'all'"))).scalar_one()
    assert ledger == totals == sum(p for _, p, _ in data), (ledger, totals)
    out["top10 all"] = await ap50(lambda: points.leaderboard("all", "points", 1, 10), reps)
    out["top10 week"] = await ap50(lambda: points.leaderboard("week", "points", 1, 10), reps)
    out["rank all"] = await ap50(lambda: points.rank_of(probe, "all"), reps)
    out["rank week"] = await ap50(lambda: points.rank_of(probe, "week"), reps)
    await db.dispose()
    return out


async def main(rows: int, members: int, reps: int) -> None:
    data = synthetic(rows, members)
    now = max(t for _, _, t in data)
    probe = data[len(data) // 2][0]
    with tempfile.TemporaryDirectory() as tmp, Progress(console=console) as progress:
        base = Path(tmp)
        task = progress.add_task("raw sqlite3 baselines", total=3)
        raw_pre = raw_insert(base / "raw1.db", data, convert=False)
        progress.advance(task)
        raw_conv = raw_insert(base / "raw2.db", data, convert=True)
        progress.advance(task)
        raw = raw_reads(base / "raw1.db", now, probe, max(5, reps // 20))
        progress.advance(task)
        ours = await cohort(base / "cohort.db", data, members, now, probe, reps, progress)
    table = Table(title=f"points: {rows:,} ledger rows, {members:,} members")
    for column in ("measure", "raw sqlite3", "cohort", "ratio", "goal"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    write = ours["write rows/s"]
    table.add_row("write rows/s vs raw insert-only (pre-serialised)", f"{raw_pre:,.0f}",
                  f"{write:,.0f}", f"{write / raw_pre:.2f}", ">= 0.40 (G3)")
    table.add_row("write rows/s vs raw incl. conversion", f"{raw_conv:,.0f}", f"{write:,.0f}",
                  f"{write / raw_conv:.2f}", ">= 0.50 (G1 analogue)")
    for name in ("top10 all", "top10 week", "rank all", "rank week"):
        table.add_row(f"{name} p50 ms", f"{raw[name]:.3f}", f"{ours[name]:.3f}",
                      f"1/{raw[name] / ours[name]:.0f}", "<= 1/20 (G3)")
    console.print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.members, arguments.reps))
