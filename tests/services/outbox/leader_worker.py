"""A bot process for the leadership test (run as a subprocess, two at once).

    python -m tests.services.outbox.leader_worker DATABASE_URL POSTS_FILE NOW

It runs the real app (scheduler, leadership, outbox sweep every 0.2 s) with a console
messenger that appends ``<pid>\\t<place>\\t<text>`` for every post to POSTS_FILE, and
prints ``LEADER <pid>`` or ``FOLLOWER <pid>`` whenever its role changes.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path

from bot.app import build, prepare, running
from bot.core.clock import FixedClock
from bot.core.model import Platform, Reply
from config.settings import Settings


class FilePoster:
    """Console posts appended to a shared file, tagged with this process's id."""

    platform = Platform.CONSOLE

    def __init__(self, path: Path) -> None:
        self._path = path

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        raise NotImplementedError

    async def send_place(self, place_id: str, reply: Reply) -> str | None:
        with self._path.open("a", encoding="utf-8") as file:
            file.write(f"{os.getpid()}\t{place_id}\t{reply.text}\n")
        return None


async def main(url: str, posts: Path, now: datetime) -> None:
    settings = Settings(database_url=url, data_dir=posts.parent / f"data-{os.getpid()}",
                        outbox={"sweep_seconds": 0.2},
                        _toml_file=posts.parent / "absent.toml")  # type: ignore[call-arg]
    app = build(settings, FixedClock(now))  # the test's time, never the wall clock
    app.leadership.retry_seconds = 0.2
    await prepare(app, seed_demo=False)
    app.platforms.add_messenger(FilePoster(posts))
    async with running(app):
        role = None
        while True:
            if app.leadership.is_leader is not role:
                role = app.leadership.is_leader
                print("LEADER" if role else "FOLLOWER", os.getpid(), flush=True)
            await asyncio.sleep(0.02)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), datetime.fromisoformat(sys.argv[3])))
