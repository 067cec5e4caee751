"""A bot process that dies mid-delivery, for the crash tests (run as a subprocess).

    python -m tests.services.outbox.crash_worker DATABASE_URL MODE SENT_FILE NOW

It builds the real app, registers a console messenger that appends every delivered DM to
SENT_FILE (fsynced, so what "reached the member" survives the kill) and sweeps once:

- ``claim``: the first ``SUCCEED`` sends go through; every later send hangs. Once those
  are recorded as sent, it prints ``READY`` with the rest still claimed (``sending``), and
  waits to be SIGKILLed;
- ``after-send``: the first send goes through, then the process SIGKILLs itself before the
  outbox records it: the at-least-once window.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

from bot.app import build, prepare
from bot.core.clock import FixedClock
from bot.core.model import Platform, Reply
from config.settings import Settings

SUCCEED = 3


class FileMessenger:
    """Console DMs written to a file; misbehaves as the mode says."""

    platform = Platform.CONSOLE

    def __init__(self, path: Path, mode: str, ready: asyncio.Event) -> None:
        self._path = path
        self._mode = mode
        self._ready = ready
        self._calls = 0

    def _deliver(self, user_id: str, text: str) -> None:
        with self._path.open("a", encoding="utf-8") as file:
            file.write(f"{user_id}\t{text}\n")
            file.flush()
            os.fsync(file.fileno())

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        self._calls += 1
        if self._mode == "after-send":
            self._deliver(user_id, reply.text)
            os.kill(os.getpid(), signal.SIGKILL)
        if self._calls <= SUCCEED:
            self._deliver(user_id, reply.text)
            return None
        self._ready.set()
        await asyncio.Event().wait()  # a platform that never answers
        return None

    async def send_place(self, place_id: str, reply: Reply) -> str | None:
        raise NotImplementedError


async def main(url: str, mode: str, sent: Path, now: datetime) -> None:
    app = build(Settings(database_url=url, data_dir=sent.parent / "worker-data",
                         _toml_file=sent.parent / "absent.toml"),  # type: ignore[call-arg]
                FixedClock(now))
    await prepare(app, seed_demo=False)
    ready = asyncio.Event()
    app.platforms.add_messenger(FileMessenger(sent, mode, ready))
    sweep = asyncio.create_task(app.outbox.sweep())
    await ready.wait()
    while True:  # wait until the successful sends are recorded, so the test is exact
        async with app.db.unit() as unit:
            done = (await unit.outbox.counts()).get("sent", 0)
        if done >= SUCCEED:
            break
        await asyncio.sleep(0.01)
    print("READY", app.outbox.instance, flush=True)
    await sweep


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3]),
                     datetime.fromisoformat(sys.argv[4])))
