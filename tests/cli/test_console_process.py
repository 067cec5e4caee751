"""The real ``cohort`` process, driven the way a newcomer or another program drives it."""

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHORT_")}
    env.update({
        "COHORT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cohort.db",
        "COHORT_DATA_DIR": str(tmp_path / "data"),
        "COHORT_WEB__PORT": "0",  # any free port: parallel runs never race for 8080
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def cohort(tmp_path: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
        env=_env(tmp_path, **env), cwd=tmp_path, timeout=120, check=False,
    )


def test_scripted_console_session(tmp_path: Path):
    script = tmp_path / "session.txt"
    script.write_text(
        "/help\n"
        ":as maya\n"
        "/profile\n"
        "/profile timezone=Atlantis/Lost\n"
        "/profile interests=\"asyncio, postgres\" timezone=Europe/Berlin\n"
        ":dm\n"
        "/mydata\n"
        ":in #workshops\n"
        "hello workshops\n"
        "/nonsense\n"
        ":advance 2h\n"
        "/profile\n"
    )
    result = cohort(tmp_path, "console", "--script", str(script), "--linger", "0.5")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[#general] Here is what I can do:" in out
    assert "[#general] Profile of maya" in out  # the demo member, seeded
    assert "Interests: asyncio, web backends, postgres" in out
    assert "[#general · only maya] Unknown time zone `Atlantis/Lost`" in out
    assert "[dm → maya] Here is everything I store about you." in out
    export = Path(out.split("file: ", 1)[1].splitlines()[0])
    assert json.loads(export.read_text())["profile"]["member"]["timezone"] == "Europe/Berlin"
    assert "[#workshops · only maya] I don't know /nonsense." in out
    assert "Traceback" not in out + result.stderr


def test_no_demo_starts_empty(tmp_path: Path):
    result = cohort(tmp_path, "console", "--no-demo", "--linger", "0", stdin="/profile\n")
    assert result.returncode == 0, result.stderr
    assert "Interests: (none yet" in result.stdout


def test_console_reads_stdin_line_by_line_and_flushes(tmp_path: Path):
    """Another program can drive the console: each answer arrives before the next line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "console", "--linger", "0"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env(tmp_path),
        cwd=tmp_path,
    )
    assert process.stdin and process.stdout

    pending = b""

    def answer() -> str:
        # Raw reads: a buffered readline would hide lines from select().
        nonlocal pending
        deadline = time.monotonic() + 60
        while b"\n" not in pending:
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer within 60 s; have {pending!r}")
            ready, _, _ = select.select([process.stdout], [], [], 1)
            if ready:
                chunk = os.read(process.stdout.fileno(), 4096)
                if not chunk:
                    raise AssertionError("console exited early")
                pending += chunk
        line, _, pending = pending.partition(b"\n")
        return line.decode() + "\n"

    def block_until(prefix: str) -> list[str]:
        lines = [answer()]
        while not lines[-1].startswith(prefix):
            lines.append(answer())
        return lines

    try:
        process.stdin.write(":as lin\n/profile\n")
        process.stdin.flush()
        block = block_until("  Reminders:")
        assert block[0] == "[#general] Profile of lin\n"
        assert "  Time zone: Asia/Singapore\n" in block  # the demo member's zone
        # The next line is written only after the first answer was read.
        process.stdin.write("/profile timezone=Asia/Tokyo\n")
        process.stdin.flush()
        lines = block_until("  Reminders:")
        assert lines[0] == "[#general] Profile updated.\n"
        assert "  Time zone: Asia/Tokyo\n" in lines
        process.stdin.close()
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()


def test_attach_sends_a_file_with_the_next_command(tmp_path: Path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (2 * 1024 * 1024))
    small = tmp_path / "notes.txt"
    small.write_text("print('hi')\n")
    result = cohort(tmp_path, "console", "--linger", "0",
                    stdin=f":attach {small}\n:attach {big}\n:attach /no/such/file\n/help\n")
    assert result.returncode == 0
    assert "* attached notes.txt (12 bytes) to your next command" in result.stdout
    assert "big.bin is too big" in result.stdout
    assert "No file at /no/such/file" in result.stdout


def test_db_upgrade_demo_reset_and_config_show(tmp_path: Path):
    upgraded = cohort(tmp_path, "db", "upgrade")
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert upgraded.returncode == 0 and f"revision {head}" in upgraded.stdout
    cohort(tmp_path, "console", "--linger", "0", stdin=':as maya\n/profile interests=knitting\n')
    reset = cohort(tmp_path, "demo", "reset")
    assert reset.returncode == 0
    after = cohort(tmp_path, "console", "--linger", "0", stdin=":as maya\n/profile\n")
    assert "knitting" not in after.stdout and "asyncio, web backends" in after.stdout
    shown = cohort(tmp_path, "config", "show", COHORT_DISCORD__TOKEN="very-secret-token")
    assert shown.returncode == 0
    data = json.loads(shown.stdout)
    assert data["discord"]["token"] == "********"
    assert "very-secret-token" not in shown.stdout + shown.stderr


def test_cohort_script_entry_point_exists():
    script = Path(sys.executable).parent / "cohort"
    assert script.exists()
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0
    for name in ("run", "console", "db", "demo", "config"):
        assert name in result.stdout


@pytest.mark.parametrize("args", [["console", "--script", "/no/such/script"]])
def test_bad_cli_arguments_are_reported(tmp_path: Path, args: list[str]):
    result = cohort(tmp_path, *args)
    assert result.returncode != 0 and "no script" in result.stderr


def test_advance_shows_reminders_and_feedback_requests(tmp_path: Path):
    """The README's events transcript: create, two RSVPs, then :advance shows the DMs."""
    script = tmp_path / "events.txt"
    script.write_text(
        ':as ada admin\n'
        '/event create "Hack night" in 26h 2h where="https://meet.example.org/hack" capacity=20'
        ' code=HACK\n'
        ":in #news\n"
        "/config channel announcements\n"
        ":in #general\n"
        "/event announce 7\n"
        ":as maya\n"
        "/rsvp 7 going\n"
        ":as tomas\n"
        "/rsvp 7 going\n"
        ":advance 3h\n"
        ":advance 22h30m\n"
        "/rsvp 7 no\n"
        ":as maya\n"
        "/checkin 7 hack\n"
        ":advance 1d\n"
    )
    result = cohort(tmp_path, "console", "--script", str(script), "--linger", "1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[#general · only ada] Created #7." in out
    assert "[#news] New: #7 Hack night" in out  # announced when the admin asked
    assert "[#general · only maya] You're going to #7 Hack night" in out
    assert "[#general] #7 Hack night starts in 1 day" in out
    assert "[dm → maya] Reminder: #7 Hack night starts in 1 day" in out
    assert "[dm → tomas] Reminder: #7 Hack night starts in 1 day" in out
    assert "[dm → maya] Reminder: #7 Hack night starts in 1 hour" in out
    assert "[dm → tomas] Reminder: #7 Hack night starts in 1 hour" in out
    assert "[dm → maya] Thanks for joining Hack night!" in out
    assert "[dm → tomas] Thanks for joining" not in out  # said no before it ended
    assert out.count("[dm → maya] Reminder: #7 Hack night starts in 1 hour") == 1
