"""``cohort run`` serves the dashboard next to the bot and stops it cleanly (#17.1)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).parents[2]


def _wait_for(stream: object, pattern: str, deadline: float) -> re.Match[str]:
    seen = []
    while time.monotonic() < deadline:
        line = stream.readline()  # type: ignore[attr-defined]
        if not line:
            break
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found
    raise AssertionError(f"no {pattern!r} in:\n{''.join(seen)}")


def test_cohort_run_prints_the_dashboard_and_a_link_from_the_console_logs_in(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHORT_")}
    env.update({"COHORT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cohort.db",
                "COHORT_DATA_DIR": str(tmp_path / "data"), "COHORT_WEB__PORT": "0",
                "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)})
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        address = _wait_for(process.stderr, r"dashboard: (http://127\.0\.0\.1:\d+)",
                            deadline).group(1)
        assert process.stdin is not None
        process.stdin.write(":as tomas admin\n:dm\n/dashboard\n")
        process.stdin.flush()
        link = _wait_for(process.stdout, r"(http://\S+/login/\S+)", deadline).group(1)
        assert link.startswith(address + "/login/")
        answer = httpx.post(link, follow_redirects=False, timeout=30)
        assert answer.status_code == 303
        assert "HttpOnly" in answer.headers["set-cookie"]
        process.stdin.close()
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cohort_web_serves_alone_and_stops_on_sigterm(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHORT_")}
    env.update({"COHORT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cohort.db",
                "COHORT_WEB__PORT": "0", "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)})
    process = subprocess.Popen([sys.executable, "-m", "bot", "web"], cwd=tmp_path, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        address = _wait_for(process.stderr, r"dashboard: (http://127\.0\.0\.1:\d+)",
                            time.monotonic() + 120).group(1)
        answer = httpx.post(address + "/login/not-a-token", timeout=30)
        assert answer.status_code == 401
        assert "expired or was already used" in answer.text
        process.terminate()
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cohort_web_on_a_taken_port_says_so_in_one_line(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("COHORT_")}
        env.update({"COHORT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cohort.db",
                    "COHORT_WEB__PORT": str(port), "PYTHONPATH": str(ROOT)})
        result = subprocess.run([sys.executable, "-m", "bot", "web"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"cohort: the dashboard cannot listen on 127.0.0.1:{port}: "), result.stderr
    assert "Traceback" not in result.stderr
