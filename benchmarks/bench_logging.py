"""G1/G2: interaction logging through the public path vs the raw driver, in the same run.

    python benchmarks/bench_logging.py [--rows 100000] [--database URL]

1. raw: the driver's ``executemany`` (``sqlite3``, or ``asyncpg`` with ``--database
   postgresql+asyncpg://…``) into the same migrated table in one transaction, with the
   conversion a real row needs (timestamps, the source key) inside the timed region;
2. Cohort: ``InteractionLog.record`` for every interaction (what the dispatcher calls on
   the hot path), the log running its own flush task as in the bot (a batch is written
   when ``batch_size`` rows wait, while the next ones are recorded; the loop runs between
   batches of 100 messages, as between two ``getUpdates``), on the same kind of database
   migrated by Alembic; timed until every row is stored.

Prints rows/s for both, the ratio (goal G1 >= 0.50), and the added latency of ``record``
(goal G2: p99 <= 1 ms and no commit per interaction).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parents[1]))

from benchmarks.rawdb import Raw, is_postgres
from benchmarks.summary import record
from bot.core.clock import SystemClock
from bot.core.model import Incoming, Member, Place, Platform, UserRef
from bot.core.ports import InteractionKind
from bot.services.activity import InteractionLog
from storage import Database

# Message ids as the platforms make them (Discord snowflakes, Telegram message ids): they
# grow, so both paths insert the same keys in the same order into the unique index.
SNOWFLAKE = 1_300_000_000_000_000_000
UPDATES_PER_POLL = 100  # Telegram's getUpdates hands at most 100 messages at a time
INSERT = ("INSERT INTO interactions (member_id, platform, place_id, kind, name, created_at,"
          " source_key) VALUES (?, ?, ?, ?, ?, ?, ?)")


async def raw(url: str, rows: int, members: int) -> float:
    postgres = is_postgres(url)
    async with Raw(url) as connection:
        now = datetime.now(UTC)
        start = time.perf_counter()
        data = [
            (1 + n % members, "discord", "5678", "message", None,
             now if postgres else now.replace(tzinfo=None).isoformat(sep=" "),
             f"discord:message:{SNOWFLAKE + n}")
            for n in range(rows)
        ]
        await connection.executemany(INSERT, data)
        elapsed = time.perf_counter() - start
        await connection.execute("DELETE FROM interactions")
    return rows / elapsed


async def prepare(url: str, members: int) -> Database:
    db = Database(url)
    await db.upgrade()
    await db.wipe()
    now = datetime.now(UTC)
    async with db.unit() as unit:
        await unit.members.insert_many([
            {"id": n + 1, "display_name": f"m{n}", "timezone": "UTC", "interests": "",
             "dms": True, "digests": False, "keep_text": True, "created_at": now}
            for n in range(members)])
    return db


async def cohort(
    db: Database, rows: int, members: int, batch: int
) -> tuple[float, list[float]]:
    log = InteractionLog(db, SystemClock(), batch_size=batch)
    place = Place(Platform.DISCORD, "5678", "general", False, "1")
    people = [Member(member_id=n + 1, display_name=f"m{n}") for n in range(members)]
    authors = [UserRef(Platform.DISCORD, str(n), f"m{n}") for n in range(members)]
    now = datetime.now(UTC)
    latencies: list[float] = []
    # What the adapter builds per message is the platform's cost, not the log's.
    incomings = [Incoming(author=authors[n % members], place=place, text="hello",
                          source_id=str(SNOWFLAKE + n), received_at=now) for n in range(rows)]
    # The prebuilt inputs are the harness's, not the bot's: keep the cyclic GC from
    # rescanning 10^5 of them on every collection inside the timed part.
    gc.collect()
    gc.freeze()
    start = time.perf_counter()
    async with log:  # its own flush task, as in the bot: writes overlap the next records
        for n, incoming in enumerate(incomings):
            t0 = time.perf_counter()
            log.record(people[n % members], incoming, InteractionKind.MESSAGE, None)
            latencies.append(time.perf_counter() - t0)
            if n % UPDATES_PER_POLL == UPDATES_PER_POLL - 1:
                await asyncio.sleep(0)  # the next getUpdates batch: the loop runs between
        await log.flush()  # what is still buffered; the clock stops when all is stored
    elapsed = time.perf_counter() - start
    return rows / elapsed, latencies


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000, help="flush every N rows")
    parser.add_argument("--database", help="a database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite+aiosqlite:///{tmp}/bench.db"
        # SQLite: the raw run gets its own file, so Cohort does not start on its big WAL.
        raw_url = url if args.database else f"sqlite+aiosqlite:///{tmp}/raw.db"
        if raw_url != url:
            await (await prepare(raw_url, args.members)).dispose()
        db = await prepare(url, args.members)
        # No progress bar: its refresh thread would compete for the GIL in the timed part.
        raw_rate = await raw(raw_url, args.rows, args.members)
        ours_rate, latencies = await cohort(db, args.rows, args.members, args.batch)
        async with db.unit() as unit:
            stored = await unit.interactions.count()
        await db.wipe()
        await db.dispose()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    kind = url.split(":", 1)[0]
    table = Table(title=f"Interaction logging, {args.rows:,} rows, {kind} (G1, G2)")
    for column in ("path", "rows/s", "ratio to raw", "goal"):
        table.add_column(column)
    table.add_row("raw driver executemany (one transaction, incl. conversion)",
                  f"{raw_rate:,.0f}", "1.00", "")
    ratio = ours_rate / raw_rate
    table.add_row("Cohort InteractionLog.record + batched flush", f"{ours_rate:,.0f}",
                  f"{ratio:.2f}", ">= 0.50 (G1)")
    console.print(table)
    console.print(f"record() latency: median {statistics.median(latencies) * 1e6:.1f} µs, "
                  f"p99 {p99 * 1000:.1f} µs (goal G2: p99 <= 1 ms, no commit per interaction); "
                  f"stored {stored:,} of {args.rows:,}")
    record("G1", f"interaction logging, {kind}", f"{ours_rate:,.0f} rows/s",
           f"{ratio:.2f}", ">= 0.50", ratio >= 0.5 and stored == args.rows)
    record("G2", f"record() added latency p99, {kind}", f"{p99 * 1000:.1f} µs", "-",
           "<= 1 ms", p99 <= 1.0)


if __name__ == "__main__":
    asyncio.run(main())
