"""A bot process killed mid-delivery, then restarted: every message arrives, none twice.

Delivery is at-least-once, and the only window for a duplicate is a crash between one send
and the write that records it (the outbox records each outcome right after its send). Rows
that were claimed but not yet sent are released by the next leader and sent once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import build, prepare, running
from bot.core.clock import FixedClock
from bot.core.model import Platform
from bot.services.outbox import OutboxKind, Outgoing
from config.settings import Settings
from storage import Database
from tests.edge import RecordingMessenger

ROOT = Path(__file__).parents[3]
MEMBERS = 12


async def plan(db: Database, now: datetime) -> list[str]:
    """Twelve console members, each with one reminder due at the test clock's now."""
    texts = []
    async with db.unit() as unit:
        for n in range(MEMBERS):
            row = await unit.members.create("console", f"u{n}", f"u{n}", f"u{n}", now)
            texts.append(f"Hack night in 30 minutes, u{n}")
            message = Outgoing(f"crash:{n}", OutboxKind.REMINDER, texts[-1],
                               now - timedelta(minutes=1), member_id=row.id)
            await unit.outbox.add_many([message.row(now)])
    return texts


def worker(url: str, mode: str, sent: Path, now: datetime) -> subprocess.Popen[str]:
    """The crashing process runs on the same fixed time as the test (never the wall clock)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHORT_")}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.services.outbox.crash_worker", url, mode, str(sent),
         now.isoformat()],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def delivered_before_crash(sent: Path) -> list[str]:
    if not sent.exists():
        return []
    return [line.split("\t", 1)[1] for line in sent.read_text().splitlines()]


async def statuses(db: Database) -> Counter[str]:
    async with db.unit() as unit:
        return Counter(r.status for r in await unit.outbox.all())


async def restart_and_deliver(settings: Settings, clock: FixedClock) -> RecordingMessenger:
    """A fresh process's app: it leads, releases the dead claims, and sweeps."""
    app = build(settings, clock)
    await prepare(app, seed_demo=False)
    console = RecordingMessenger(Platform.CONSOLE)
    app.platforms.add_messenger(console)
    async with running(app):
        assert app.leadership.is_leader
        await app.scheduler.run_now("outbox.sweep")
    return console


async def test_killed_after_claiming_then_restarted_every_message_arrives_once(
        db: Database, database_url: str, settings: Settings, clock: FixedClock,
        tmp_path: Path) -> None:
    texts = await plan(db, clock.now())
    sent = tmp_path / "sent.txt"
    process = worker(database_url, "claim", sent, clock.now())
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("READY"), process.stderr.read() if process.stderr else line
    dead_instance = line.split()[1]

    before = await statuses(db)
    assert before == {"sent": 3, "sending": MEMBERS - 3}
    async with db.unit() as unit:
        claimed = {r.claimed_by for r in await unit.outbox.all() if r.status == "sending"}
        assert claimed == {dead_instance}
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL

    first = delivered_before_crash(sent)
    assert len(first) == 3
    console = await restart_and_deliver(settings, clock)
    after = console.texts()
    assert len(after) == MEMBERS - 3
    assert sorted(first + after) == sorted(texts)  # every message, none twice
    assert await statuses(db) == {"sent": MEMBERS}


async def test_the_only_duplicate_window_is_a_crash_between_a_send_and_its_record(
        db: Database, database_url: str, settings: Settings, clock: FixedClock,
        tmp_path: Path) -> None:
    texts = await plan(db, clock.now())
    sent = tmp_path / "sent.txt"
    process = worker(database_url, "after-send", sent, clock.now())
    assert process.wait(timeout=60) == -signal.SIGKILL, (
        process.stderr.read() if process.stderr else "")

    (duplicated,) = delivered_before_crash(sent)  # sent, then killed before recording it
    assert (await statuses(db))["sent"] == 0
    console = await restart_and_deliver(settings, clock)
    counts = Counter(delivered_before_crash(sent) + console.texts())
    assert set(counts) == set(texts)  # nothing lost
    assert {text for text, n in counts.items() if n > 1} == {duplicated}  # only that one
    assert counts[duplicated] == 2
    assert await statuses(db) == {"sent": MEMBERS}
