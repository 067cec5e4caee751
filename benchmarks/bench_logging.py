"""G1/G2: interaction logging through the public path vs raw sqlite3, in the same run.

    python benchmarks/bench_logging.py [--rows 100000]

1. raw: ``sqlite3.executemany`` into the same table in one transaction, with the JSON-free
   conversion a real row needs (ISO timestamps) inside the timed region, WAL + NORMAL;
2. Cohort: ``InteractionLog.record`` for every interaction (what the dispatcher calls on
   the hot path) and ``flush`` in batches of ``batch_size``, on a file SQLite database
   migrated by Alembic.

Prints rows/s for both, the ratio (goal G1 >= 0.50), and the added latency of ``record``
(goal G2: p99 <= 1 ms and no commit per interaction).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parents[1]))

from bot.core.clock import SystemClock
from bot.core.model import Incoming, Member, Place, Platform, UserRef
from bot.core.ports import InteractionKind
from bot.services.activity import InteractionLog
from storage import Database


def raw(path: Path, rows: int, members: int) -> float:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    now = datetime.now(UTC)
    start = time.perf_counter()
    data = [
        (1 + n % members, "discord", "5678", "message", None,
         now.replace(tzinfo=None).isoformat(sep=" "), f"discord:message:{n}")
        for n in range(rows)
    ]
    with connection:
        connection.executemany(
            "INSERT INTO interactions (member_id, platform, place_id, kind, name, created_at,"
            " source_key) VALUES (?, ?, ?, ?, ?, ?, ?)", data)
    elapsed = time.perf_counter() - start
    connection.close()
    return rows / elapsed


async def prepare(path: Path, members: int) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.upgrade()
    now = datetime.now(UTC)
    async with db.unit() as unit:
        for n in range(members):
            await unit.members.create("discord", str(n), f"m{n}", None, now)
    return db


async def cohort(
    db: Database, rows: int, members: int, progress: Progress, batch: int
) -> tuple[float, list[float]]:
    log = InteractionLog(db, SystemClock(), batch_size=batch)
    place = Place(Platform.DISCORD, "5678", "general", False, "1")
    people = [Member(member_id=n + 1, display_name=f"m{n}") for n in range(members)]
    authors = [UserRef(Platform.DISCORD, str(n), f"m{n}") for n in range(members)]
    now = datetime.now(UTC)
    latencies: list[float] = []
    # What the adapter builds per message is the platform's cost, not the log's.
    incomings = [Incoming(author=authors[n % members], place=place, text="hello",
                          source_id=uuid.uuid4().hex, received_at=now) for n in range(rows)]
    task = progress.add_task("Cohort InteractionLog", total=rows)
    start = time.perf_counter()
    for n, incoming in enumerate(incomings):
        t0 = time.perf_counter()
        log.record(people[n % members], incoming, InteractionKind.MESSAGE, None)
        latencies.append(time.perf_counter() - t0)
        if log.pending >= batch:
            await log.flush()
            progress.update(task, completed=n + 1)
    await log.flush()
    elapsed = time.perf_counter() - start
    progress.update(task, completed=rows)
    return rows / elapsed, latencies


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000, help="flush every N rows")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        raw_path = Path(tmp) / "raw.db"
        ours_path = Path(tmp) / "ours.db"
        db_raw = await prepare(raw_path, args.members)
        await db_raw.dispose()
        db = await prepare(ours_path, args.members)
        with Progress(console=console, transient=True) as progress:
            raw_rate = raw(raw_path, args.rows, args.members)
            ours_rate, latencies = await cohort(db, args.rows, args.members, progress, args.batch)
        await db.dispose()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    table = Table(title=f"Interaction logging, {args.rows:,} rows (G1, G2)")
    for column in ("path", "rows/s", "ratio to raw", "goal"):
        table.add_column(column)
    table.add_row("raw sqlite3 executemany (WAL/NORMAL, incl. conversion)", f"{raw_rate:,.0f}",
                  "1.00", "")
    table.add_row("Cohort InteractionLog.record + batched flush", f"{ours_rate:,.0f}",
                  f"{ours_rate / raw_rate:.2f}", ">= 0.50 (G1)")
    console.print(table)
    console.print(f"record() latency: median {statistics.median(latencies) * 1e6:.1f} µs, "
                  f"p99 {p99 * 1000:.1f} µs (goal G2: p99 <= 1 ms, no commit per interaction)")


if __name__ == "__main__":
    asyncio.run(main())
