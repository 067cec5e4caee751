"""One bot process sending many command lines at once (run several side by side).

    python -m tests.robustness.load_worker DATABASE_URL PLAN_FILE

PLAN_FILE is a JSON list of ``[who, line, admin]``. The worker builds the real app, prints
READY, waits for a line on stdin (so every process starts together), sends every line
concurrently through the real dispatcher and prints one JSON list: the reply to each line.
Its clock ticks a millisecond per reading from the test's start time, as real time moves on
while requests race.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import build
from config.settings import Settings
from tests.conftest import START
from tests.harness import Chat


class TickingClock:
    """A deterministic clock that moves forward a little every time it is read."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        self._now += timedelta(milliseconds=1)
        return self._now


async def main(url: str, plan: list[tuple[str, str, bool]]) -> None:
    data = Path(tempfile.mkdtemp(prefix="load-worker-"))
    settings = Settings(database_url=url, data_dir=data,
                        _toml_file=data / "absent.toml")  # type: ignore[call-arg]
    app = build(settings, TickingClock(START))
    chat = Chat(app)
    async with app.db.unit():  # connected before the start line, so all start together
        pass
    print("READY", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    replies = await asyncio.gather(*(chat.text(line, who=who, admin=admin)
                                     for who, line, admin in plan))
    print(json.dumps(replies), flush=True)
    await app.db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], json.loads(Path(sys.argv[2]).read_text())))
