"""Run command lines from several bot processes at once (see :mod:`load_worker`)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


async def race(database_url: str, plans: list[list[tuple[str, str, bool]]],
               tmp_path: Path) -> list[list[str]]:
    """One process per plan, all released at once; the replies, plan by plan."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHORT_")}
    env["PYTHONPATH"] = str(ROOT)
    workers = []
    for index, plan in enumerate(plans):
        path = tmp_path / f"plan-{index}.json"
        path.write_text(json.dumps(plan))
        workers.append(await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.robustness.load_worker", database_url, str(path),
            cwd=tmp_path, env=env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE))
    for worker in workers:
        assert worker.stdout is not None
        ready = await asyncio.wait_for(worker.stdout.readline(), 120)
        assert ready.strip() == b"READY", ready
    for worker in workers:  # the start line: every process is connected and waiting
        assert worker.stdin is not None
        worker.stdin.write(b"go\n")
        await worker.stdin.drain()
    replies: list[list[str]] = []
    for worker in workers:
        out, err = await asyncio.wait_for(worker.communicate(), 120)
        assert worker.returncode == 0, err.decode()[-3000:]
        replies.append(json.loads(out.decode().strip().splitlines()[-1]))
    return replies
