"""Leaderboards, /rank and the ledger write path against the raw driver, same run (G3).

Usage: python benchmarks/bench_points.py [--rows 1000000] [--members 10000] [--reps 200]
                                         [--database postgresql+asyncpg://…]

Raw baselines, on the same database (``sqlite3`` on a file in WAL + synchronous=NORMAL,
or ``asyncpg`` on the PostgreSQL ``--database`` names):
  - insert-only ``executemany`` of pre-serialised tuples, one transaction, twice: into the
    ledger table itself (its unique idempotency key, member index and foreign key: the same
    rows into the same indexes, the G3 gate) and into a bare copy with no index but the
    primary key (printed for scale: the price of the ledger's own indexes);
  - top-10 and one member's rank by ``GROUP BY`` over covering indexes: all time over
    (member_id, amount), the current week and month over (created_at, member_id, amount),
    forced with ``INDEXED BY`` on SQLite (its best plan; PERFORMANCE.md §1c).
Cohort, through the public API: ``PointsService.award_many`` (ledger + maintained totals,
batches of 100,000: the path and batch size of ``cohort points import``) over the same rows;
then ``leaderboard()`` for the week, the month and all time, and ``standing()``, which is
what ``/rank`` and ``/points`` call (p50 each).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import text

from benchmarks.rawdb import Raw, is_postgres
from benchmarks.summary import record
from bot.core.clock import FixedClock
from bot.core.model import Member
from bot.core.platforms import Platforms
from bot.services.outbox import Outbox, PlatformRates, Rate, RateLimiter
from bot.services.points import Award, PointsService
from bot.services.points.imports import BATCH as IMPORT_BATCH
from bot.services.points.periods import month_key, week_key
from config.settings import PointsSettings
from storage import Database

START = datetime(2026, 10, 26, tzinfo=UTC)
SPAN = timedelta(days=28)  # four whole weeks: "this week" is a full week of rows
BATCH = IMPORT_BATCH  # what `cohort points import` hands award_many
console = Console()
COLUMNS = "member_id, amount, kind, reason, key, period_week, period_month, created_at"


def synthetic(rows: int, members: int) -> list[tuple[int, int, datetime]]:
    rng = random.Random(7)
    span = SPAN.total_seconds()
    return [(rng.randint(1, members), rng.randint(1, 25),
             START + timedelta(seconds=rng.random() * span)) for _ in range(rows)]


async def raw_insert(url: str, data: list[tuple[int, int, datetime]]) -> dict[str, float]:
    """Insert-only rows/s of pre-serialised ledger tuples (conversion not timed).

    "ledger": into ``point_awards`` itself (emptied again afterwards); "bare": into a copy
    with the same columns and no index but the primary key.
    """
    postgres = is_postgres(url)
    utc = ZoneInfo("UTC")
    prepared = [(m, p, "message", "chat message", f"raw:{i}", week_key(t, utc),
                 month_key(t, utc),
                 t if postgres else t.replace(tzinfo=None).isoformat(" ", "microseconds"))
                for i, (m, p, t) in enumerate(data)]
    out = {}
    async with Raw(url) as raw:
        ident = "BIGSERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY"
        stamp = "TIMESTAMPTZ" if postgres else "TEXT"
        await raw.execute("DROP TABLE IF EXISTS raw_ledger")
        await raw.execute(
            f"CREATE TABLE raw_ledger (id {ident}, member_id INTEGER, amount INTEGER, "
            f"kind TEXT, reason TEXT, key TEXT, period_week TEXT, period_month TEXT, "
            f"created_at {stamp})")
        for name, table in (("ledger", "point_awards"), ("bare", "raw_ledger")):
            started = time.perf_counter()
            await raw.executemany(f"INSERT INTO {table} ({COLUMNS}) VALUES "
                                  "(?, ?, ?, ?, ?, ?, ?, ?)", prepared)
            out[name] = len(data) / (time.perf_counter() - started)
        await raw.execute("TRUNCATE point_awards" if postgres else "DELETE FROM point_awards")
    return out


async def ap50(fn: Callable[[], Awaitable[object]], reps: int) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def raw_reads(url: str, now: datetime, probe: int, reps: int) -> dict[str, float]:
    """The best raw GROUP BY plans over the raw ledger (covering indexes), p50 ms."""
    postgres = is_postgres(url)
    async with Raw(url) as raw:
        await raw.execute("CREATE INDEX ix_raw_member_amount ON raw_ledger (member_id, amount)")
        await raw.execute("CREATE INDEX ix_raw_time_member_amount "
                          "ON raw_ledger (created_at, member_id, amount)")
        await raw.execute("ANALYZE raw_ledger" if postgres else "ANALYZE")
        monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0,
                                                                microsecond=0)
        first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        since_week = monday if postgres else monday.replace(tzinfo=None).isoformat(" ")
        since_month = first if postgres else first.replace(tzinfo=None).isoformat(" ")
        window = "" if postgres else "INDEXED BY ix_raw_time_member_amount"
        top_all = ("SELECT member_id, SUM(amount) s FROM raw_ledger GROUP BY member_id "
                   "ORDER BY s DESC LIMIT 10")
        top_window = (f"SELECT member_id, SUM(amount) s FROM raw_ledger {window} "
                      "WHERE created_at >= ? GROUP BY member_id ORDER BY s DESC LIMIT 10")
        rank_all = ("SELECT COUNT(*) + 1 FROM (SELECT SUM(amount) s FROM raw_ledger "
                    "GROUP BY member_id) t WHERE s > (SELECT SUM(amount) FROM raw_ledger "
                    "WHERE member_id = ?)")
        out = {
            "top10 all": await raw.p50_ms(top_all, (), reps),
            "top10 week": await raw.p50_ms(top_window, (since_week,), reps),
            "top10 month": await raw.p50_ms(top_window, (since_month,), reps),
            "rank all": await raw.p50_ms(rank_all, (probe,), reps),
        }
        await raw.execute("DROP TABLE raw_ledger")
    return out


async def cohort(url: str, data: list[tuple[int, int, datetime]],
                 now: datetime, probe: int, reps: int, progress: Progress) -> dict[str, float]:
    db = Database(url)
    clock = FixedClock(now)
    outbox = Outbox(db, clock, RateLimiter({"console": PlatformRates(Rate(1000.0))},
                                           time.monotonic), Platforms())
    points = PointsService(db, clock, outbox, Platforms(), PointsSettings())
    task = progress.add_task("cohort: ledger + totals", total=len(data))
    started = time.perf_counter()

    def batches() -> Iterator[list[Award]]:
        for offset in range(0, len(data), BATCH):
            chunk = data[offset:offset + BATCH]
            yield [Award(m, p, "message", "chat message", f"bench:{offset + i}", t)
                   for i, (m, p, t) in enumerate(chunk)]
            progress.advance(task, len(chunk))

    await points.award_batches(batches())
    write = len(data) / (time.perf_counter() - started)
    out = {"write rows/s": write}
    # Correctness check for the benchmark itself: totals equal the ledger, in every period.
    async with db.engine.connect() as connection:
        ledger = (await connection.execute(text("SELECT SUM(amount) FROM point_awards"))
                  ).scalar_one()
        periods = (await connection.execute(text(
            "SELECT SUM(CASE WHEN period = 'all' THEN points ELSE 0 END), "
            "SUM(CASE WHEN period LIKE 'w:%' THEN points ELSE 0 END), "
            "SUM(CASE WHEN period LIKE 'm:%' THEN points ELSE 0 END) FROM point_totals"))
                   ).one()
    expected = sum(p for _, p, _ in data)
    assert ledger == expected, ledger
    assert tuple(periods) == (expected,) * 3, periods
    # What autovacuum / a periodic ANALYZE does after a bulk load (the raw side ANALYZEs too).
    async with db.engine.connect() as connection:
        if is_postgres(url):
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE point_totals"))
        else:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    member = Member(probe, f"member {probe}")
    standing = await points.standing(member)
    assert standing.rank is not None, standing
    out["top10 all"] = await ap50(lambda: points.leaderboard("all", "points", 1, 10), reps)
    out["top10 week"] = await ap50(lambda: points.leaderboard("week", "points", 1, 10), reps)
    out["top10 month"] = await ap50(lambda: points.leaderboard("month", "points", 1, 10), reps)
    out["rank all"] = await ap50(lambda: points.standing(member), reps)
    await db.wipe()
    await db.dispose()
    return out


async def setup(url: str, members: int) -> None:
    """The schema, emptied, and the members the ledger rows point at (not timed)."""
    db = Database(url)
    await db.upgrade()
    await db.wipe()
    async with db.unit() as unit:
        await unit.members.insert_many([
            {"id": i, "display_name": f"member {i}", "timezone": "UTC", "interests": "",
             "dms": True, "digests": False, "keep_text": True, "created_at": START}
            for i in range(1, members + 1)])
    await db.dispose()


async def main(rows: int, members: int, reps: int, database: str | None) -> None:
    data = synthetic(rows, members)
    now = max(t for _, _, t in data)
    probe = data[len(data) // 2][0]
    with tempfile.TemporaryDirectory() as tmp, Progress(console=console) as progress:
        url = database or f"sqlite+aiosqlite:///{tmp}/bench.db"
        await setup(url, members)  # schema and members first: the raw ledger insert needs them
        task = progress.add_task("raw baselines", total=2)
        raw_write = await raw_insert(url, data)
        progress.advance(task)
        raw = await raw_reads(url, now, probe, max(5, reps // 20))
        progress.advance(task)
        ours = await cohort(url, data, now, probe, reps, progress)
    kind = url.split(":", 1)[0]
    table = Table(title=f"points: {rows:,} ledger rows, {members:,} members, {kind}")
    for column in ("measure", "raw", "cohort", "ratio", "goal"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    write = ours["write rows/s"]
    ratio = write / raw_write["ledger"]
    table.add_row("write rows/s vs raw insert-only into the ledger table (pre-serialised)",
                  f"{raw_write['ledger']:,.0f}", f"{write:,.0f}", f"{ratio:.2f}", ">= 0.40 (G3)")
    table.add_row("  (for scale) vs raw insert into a bare table, no index but the key",
                  f"{raw_write['bare']:,.0f}", f"{write:,.0f}",
                  f"{write / raw_write['bare']:.2f}", "-")
    record("G3", f"ledger writes with totals vs raw insert into the ledger, {kind}",
           f"{write:,.0f} rows/s", f"{ratio:.2f}", ">= 0.40", ratio >= 0.40)
    names = {"top10 all": "leaderboard(all) vs GROUP BY top-10",
             "top10 week": "leaderboard(week) vs windowed GROUP BY",
             "top10 month": "leaderboard(month) vs windowed GROUP BY",
             "rank all": "standing() (/rank, /points) vs GROUP BY rank"}
    for name, label in names.items():
        fraction = ours[name] / raw[name]
        table.add_row(f"{label}, p50 ms", f"{raw[name]:.3f}", f"{ours[name]:.3f}",
                      f"1/{1 / fraction:.0f}", "<= 1/20 (G3)")
        record("G3", f"{label}, {kind}", f"{ours[name]:.3f} ms", f"1/{1 / fraction:.0f}",
               "<= 1/20", fraction <= 1 / 20)
    console.print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--database", help="a database URL (default: a temporary SQLite file)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.members, arguments.reps, arguments.database))
