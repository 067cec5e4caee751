"""What a new user sees when something is wrong: one clear line, never a traceback."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import pytest

from tests.cli.test_console_process import _env, cohort
from tests.emulators.discord_api import DiscordEmulator
from tests.emulators.telegram_api import TelegramEmulator


@pytest.mark.parametrize(("setting", "value", "line"), [
    ("COHORT_TIMEZONE", "Mars/Olympus",
     "cohort: invalid setting timezone (COHORT_TIMEZONE): unknown time zone 'Mars/Olympus'"),
    ("COHORT_LIMITS__MAX_LINE", "abc",
     "cohort: invalid setting limits.max_line (COHORT_LIMITS__MAX_LINE): Input should be a "
     "valid integer"),
    ("COHORT_TELEGRAM__MODE", "webhook",
     "cohort: invalid [telegram] settings: mode = webhook needs webhook_url"),
    ("COHORT_DISCROD__TOKEN", "x", "cohort: unknown setting COHORT_DISCROD__TOKEN; did you mean"),
    ("COHORT_TELEGRAM__WEBHOOK_URL", "https://bot.example.org/telegram",
     "cohort: invalid [telegram] settings: mode = webhook needs webhook_secret"),
])
def test_an_invalid_setting_is_one_line_and_exit_code_2(tmp_path: Path, setting, value, line):
    extra = {"COHORT_TELEGRAM__MODE": "webhook"} if "WEBHOOK" in setting else {}
    result = cohort(tmp_path, "run", **{setting: value}, **extra)
    assert result.returncode == 2
    assert result.stderr.startswith(line), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unwritable_report_path_is_one_line_and_exit_code_2(tmp_path: Path):
    result = cohort(tmp_path, "report", "--since", "2026-09-01", "--until", "2026-10-01",
                    "--out", str(tmp_path / "missing" / "report.html"))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"cohort: cannot write the report to "
                                     f"{tmp_path / 'missing' / 'report.html'}: its folder is "
                                     "missing or read-only")


async def _run(tmp_path: Path, **settings: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=_env(tmp_path, **settings),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_a_refused_telegram_token_is_one_line_and_exit_code_2(tmp_path: Path):
    async with TelegramEmulator() as tg:
        code, stderr = await _run(tmp_path, COHORT_TELEGRAM__TOKEN="123:wrong",
                                  COHORT_TELEGRAM__BASE_URL=tg.base_url)
    assert code == 2, stderr
    assert stderr.strip().splitlines()[-1] == (
        "cohort: telegram: the token was refused; check COHORT_TELEGRAM__TOKEN "
        "(BotFather > /mybots > API Token)")
    assert "Traceback" not in stderr


async def test_a_refused_discord_token_is_one_line_and_exit_code_2(tmp_path: Path):
    async with DiscordEmulator() as emu:
        code, stderr = await _run(tmp_path, COHORT_DISCORD__TOKEN="not-the-token",
                                  COHORT_DISCORD__API_BASE_URL=emu.http_url,
                                  COHORT_DISCORD__GATEWAY_URL=emu.gateway_url)
    assert code == 2, stderr
    assert stderr.strip().splitlines()[-1].startswith(
        "cohort: discord: the token was refused; check COHORT_DISCORD__TOKEN")
    assert "Traceback" not in stderr


async def test_an_unreachable_api_is_retried_with_a_line_per_retry(tmp_path: Path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    api = f"http://127.0.0.1:{closed}/bot"
    code, stderr = await _run(tmp_path, COHORT_TELEGRAM__TOKEN="123:abc",
                              COHORT_TELEGRAM__BASE_URL=api, COHORT_CONNECT_ATTEMPTS="3",
                              COHORT_CONNECT_BACKOFF_SECONDS="0.1")
    retries = [line for line in stderr.splitlines() if "retrying in" in line]
    assert len(retries) == 2, stderr
    assert "attempt 2 of 3" in retries[0] and "attempt 3 of 3" in retries[1]
    assert f"cannot reach {api}" in retries[0]
    assert stderr.strip().splitlines()[-1].startswith(f"cohort: telegram: cannot reach {api}")
    assert code == 1
    assert "Traceback" not in stderr
