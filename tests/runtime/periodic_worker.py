"""A bot process for the periodic-job test (run as a subprocess, several at once).

    python -m tests.runtime.periodic_worker DATABASE_URL LOG NOW HANG

It runs the real app (scheduler, leadership, job runs) plus one periodic job, ``test.slow``
(Mondays 09:00), that appends ``start <pid> <period>`` to LOG, hangs for an hour when HANG
is 1 (to be killed mid-run), then appends ``done <pid> <period>``. It prints ``LEADER <pid>``
or ``FOLLOWER <pid>`` whenever its role changes.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path

from bot.app import build, prepare, running
from bot.core.clock import FixedClock
from config.settings import Settings

JOB = "test.slow"
CRON = "0 9 * * mon"


def note(log: Path, line: str) -> None:
    with log.open("a", encoding="utf-8") as file:
        file.write(line + "\n")


async def main(url: str, log: Path, now: datetime, hang: bool) -> None:
    settings = Settings(database_url=url, data_dir=log.parent / f"data-{os.getpid()}",
                        _toml_file=log.parent / "absent.toml")  # type: ignore[call-arg]
    app = build(settings, FixedClock(now))  # the test's time, never the wall clock
    app.leadership.retry_seconds = 0.2

    async def slow(period: datetime) -> None:
        note(log, f"start {os.getpid()} {period.isoformat()}")
        if hang:
            await asyncio.sleep(3600)
        note(log, f"done {os.getpid()} {period.isoformat()}")

    app.scheduler.periodic(JOB, CRON, slow)
    await prepare(app, seed_demo=False)
    async with running(app):
        role = None
        while True:
            if app.leadership.is_leader is not role:
                role = app.leadership.is_leader
                print("LEADER" if role else "FOLLOWER", os.getpid(), flush=True)
            await asyncio.sleep(0.02)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), datetime.fromisoformat(sys.argv[3]),
                     sys.argv[4] == "1"))
