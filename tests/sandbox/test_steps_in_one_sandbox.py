"""One sandbox per submission: tests in it cannot influence each other or its supervisor (G11)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox import Limits, LocalSandbox, SandboxConfig, TestCase, Verdict, decide
from bot.sandbox.bwrap import (
    WORK_DIR,
    WRITABLE_DIRS,
    LauncherTools,
    bwrap_options,
    launcher_argv,
    supervisor_command,
)
from bot.sandbox.facts import KillReason
from bot.sandbox.languages import PYTHON3
from bot.sandbox.procs import live_tasks_of_uid
from bot.sandbox.runner import Launch, SandboxSession, StepPlace
from tests.sandbox.conftest import FAST, alive, child_pids, require_bwrap

pytestmark = pytest.mark.sandbox

UID = 62200  # a slot uid of its own, so leftovers can be counted exactly
LIMITS = Limits(cpu_s=1, wall_s=3, processes=12)


def _session(source: str, command: tuple[str, ...] | None = None) -> SandboxSession:
    """A started sandbox exactly as the worker builds one (without the worker)."""
    require_bwrap()
    config = SandboxConfig(base_uid=UID)
    tools = LauncherTools.locate(config)
    uid = UID if os.geteuid() == 0 else None
    nproc = LIMITS.processes if uid is not None else LIMITS.processes + 4096
    launch = Launch(
        launcher=launcher_argv(tools, LIMITS, uid=uid, nproc=nproc),
        bwrap=tools.bwrap,
        options_for=lambda status_fd, source_fd: bwrap_options(
            LIMITS, extra_ro_binds=(), status_fd=status_fd, source_fd=source_fd,
            source_path=PYTHON3.source_path,
        ),
        command=command or supervisor_command(config, ()),
        source=source.encode(),
        env={"PATH": "/usr/bin:/bin"},
    )
    place = StepPlace(WORK_DIR, WRITABLE_DIRS, (PYTHON3.source_path,), nproc)
    return SandboxSession(launch, place, threading.Event())


@pytest.fixture
def box_of() -> Iterator[list[SandboxSession]]:
    """Sessions opened by a test; closed after it, and no process of the uid may remain."""
    opened: list[SandboxSession] = []
    yield opened
    for session in opened:
        session.close()
    assert live_tasks_of_uid(UID) == []


def _open(opened: list[SandboxSession], source: str) -> SandboxSession:
    session = _session(source)
    opened.append(session)
    assert session.start() is None
    return session


LEAVE_AND_LOOK = """
import json, os, subprocess, sys, time
if sys.stdin.read() == "leave":
    for directory in ("/tmp", "/dev/shm", "/box"):
        open(f"{directory}/mark", "w").write("x")
    os.mkdir("/tmp/tree")
    open("/tmp/tree/leaf", "w").write("x")
    daemons = 0
    while True:  # use up the process limit with sessions of their own
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            os.setsid()
            time.sleep(60)
            os._exit(0)
        daemons += 1
    print(daemons)
else:
    print(json.dumps({
        "others": [p for p in os.listdir("/proc") if p.isdigit() and p not in ("1", str(os.getpid()))],
        "files": sorted(f"{d}/{n}" for d in ("/tmp", "/dev/shm", "/box") for n in os.listdir(d)),
        "fork": subprocess.run(["/usr/bin/true"]).returncode,
    }))
"""


def test_a_test_leaves_nothing_for_the_next(box_of: list[SandboxSession]) -> None:
    session = _open(box_of, LEAVE_AND_LOOK)
    first = session.run(PYTHON3.run_argv, b"leave", LIMITS)
    assert first.returncode == 0, first.stderr
    assert int(first.stdout) >= 5  # it did fill the process limit
    second = session.run(PYTHON3.run_argv, b"look", LIMITS)
    assert not session.tainted
    assert second.sandbox_pid == first.sandbox_pid  # same sandbox: cleaned, not replaced
    assert json.loads(second.stdout) == {"others": [], "files": ["/box/solution.py"], "fork": 0}


LEAVE_IPC = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if sys.stdin.read() == "leave":
    print(libc.shmget(0x5EED, 4096, 0o1000 | 0o600) >= 0)  # IPC_CREAT: outlives the process
    os.makedirs("/tmp/locked/inner")
    os.chmod("/tmp/locked", 0)  # not removable without a chmod first
else:
    print(libc.shmget(0x5EED, 0, 0) >= 0, os.listdir("/tmp"))
"""


def test_state_that_outlives_a_test_gets_a_fresh_sandbox(box_of: list[SandboxSession]) -> None:
    session = _open(box_of, LEAVE_IPC)
    assert session.run(PYTHON3.run_argv, b"leave", LIMITS).stdout == b"True\n"
    refused = session.run(PYTHON3.run_argv, b"look", LIMITS)
    assert not refused.started  # the supervisor would not run it there
    assert session.tainted  # and the worker runs it again in a new sandbox


async def test_judge_runs_the_next_test_in_a_clean_sandbox() -> None:
    require_bwrap()
    judge = LocalSandbox(SandboxConfig(base_uid=UID))
    tests = [TestCase("leave", "True"), TestCase("look", "False []"), TestCase("look", "False []")]
    try:
        result = await judge.judge(LEAVE_IPC, "python3", tests, FAST)
    finally:
        await judge.aclose()
    assert result.verdict is Verdict.AC, result
    assert live_tasks_of_uid(UID) == []


ATTACK = """
import ctypes, errno, json, os, signal, sys
denied = {}
def attempt(name, action):
    try:
        action()
        denied[name] = False
    except OSError as error:
        denied[name] = errno.errorcode.get(error.errno, str(error.errno))
libc = ctypes.CDLL(None, use_errno=True)
def ptrace():
    if libc.ptrace(16, 1, 0, 0) != 0:  # PTRACE_ATTACH
        raise OSError(ctypes.get_errno(), "ptrace")
for path in ("/proc/1/fd/0", "/proc/1/fd/1", "/proc/1/mem"):
    attempt(path, lambda: open(path, "wb").close())
attempt("/proc/1/environ", lambda: open("/proc/1/environ", "rb").close())
attempt("ptrace", ptrace)
for fd in range(3, 64):
    attempt(f"fd {fd}", lambda: os.write(fd, b"\\x00\\x00\\x00\\x10garbage-garbage!"))
for number in (signal.SIGSTOP, signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
    os.kill(1, number)  # allowed, but pid 1 ignores what it has no handler for
try:
    os.kill(-1, signal.SIGKILL)  # everything else it may signal: nothing, here
except ProcessLookupError:
    pass
sys.stderr.write(json.dumps(denied))
print(sys.stdin.read())
"""


async def test_a_submission_cannot_reach_its_supervisor() -> None:
    require_bwrap()
    judge = LocalSandbox(SandboxConfig(base_uid=UID))
    tests = [TestCase("one", "one"), TestCase("two", "two")]
    try:
        result = await judge.judge(ATTACK, "python3", tests, FAST)
    finally:
        await judge.aclose()
    # both tests ran to completion in the same, undisturbed supervisor
    assert result.verdict is Verdict.AC, result
    denied = json.loads(result.tests[0].stderr_tail)
    assert all(denied.values()), {name: how for name, how in denied.items() if not how}
    assert denied["fd 3"] == "EBADF"


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _supervisor_running_a_test(worker: int) -> int | None:
    """Host pid of the supervisor once it runs the solution itself (the compile step is done)."""
    for pid in child_pids(worker):
        running = [_cmdline(child) for child in child_pids(pid)]
        if _cmdline(pid).startswith(b"/usr/bin/python3\0-I\0-S\0-B\0-c\0") and any(
            line.endswith(b"\0/box/solution.py\0") and b"compile(" not in line
            for line in running
        ):
            return pid
    return None


async def test_a_lost_supervisor_is_a_runtime_error_never_a_pass() -> None:
    require_bwrap()
    judge = LocalSandbox(SandboxConfig(base_uid=UID))
    sleeper = "import time\ntime.sleep(30)\nprint('ok')\n"
    try:
        task = asyncio.create_task(judge.judge(sleeper, "python3", [TestCase("", "ok")], FAST))
        supervisor = None
        for _ in range(200):
            await asyncio.sleep(0.02)
            worker = judge.worker_pid
            if worker is not None and (supervisor := _supervisor_running_a_test(worker)) is not None:
                break
        assert supervisor is not None, "the test never started"
        tree = child_pids(supervisor) | {supervisor}
        os.kill(supervisor, signal.SIGKILL)
        result = await task
        assert result.verdict is Verdict.RE
        assert "supervisor" in result.detail
        assert not any(alive(pid) for pid in tree)
        # the judge itself is fine: the next submission gets a new sandbox
        again = await judge.judge("print('ok')", "python3", [TestCase("", "ok")], FAST)
        assert again.verdict is Verdict.AC
    finally:
        await judge.aclose()
    assert live_tasks_of_uid(UID) == []


def _frame(header: bytes) -> bytes:
    return len(header).to_bytes(4, "big") + header


HELLO = _frame(b'{"hello": 1}')


def _fake_supervisor(answer: bytes) -> str:
    """Greets like the real one, then answers the first request with ``answer``."""
    return (
        "import os, sys\n"
        f"os.write(1, {HELLO!r})\n"
        "os.read(0, 65536)\n"
        f"os.write(1, {answer!r})\n"
        "sys.stdin.read()\n"
    )


@pytest.mark.parametrize(
    "answer",
    [
        _frame(b"hello"),
        b"\xff\xff\xff\xffxx",
        _frame(b'{"exit": "0", "signal": null}'),
        _frame(json.dumps({
            "exit": 0, "signal": None, "cpu_s": 0.0, "wall_s": 0.0, "maxrss_kib": 0,
            "killed": "none", "error": None, "stdout": 10**9, "stderr": 0,
        }).encode()),
    ],
    ids=["not-json", "huge-header", "wrong-fields", "more-output-than-the-cap"],
)
def test_nonsense_from_the_supervisor_is_a_runtime_error(
    box_of: list[SandboxSession], answer: bytes
) -> None:
    session = _session("", ("/usr/bin/python3", "-I", "-S", "-c", _fake_supervisor(answer)))
    box_of.append(session)
    assert session.start() is None
    facts = session.run(PYTHON3.run_argv, b"", LIMITS)
    assert facts.killed is KillReason.SUPERVISOR
    assert decide(facts, LIMITS, "").verdict is Verdict.RE
    assert session.exited
    assert session.run(PYTHON3.run_argv, b"", LIMITS).started is False  # nothing after it


async def test_each_test_runs_under_the_sandbox_settings_and_its_own_limits() -> None:
    require_bwrap()
    judge = LocalSandbox(SandboxConfig(base_uid=UID, cpus=(0,)))
    source = """
import json, os, resource
limits = {name: resource.getrlimit(getattr(resource, "RLIMIT_" + name))
          for name in ("CPU", "AS", "NPROC", "FSIZE", "NOFILE", "CORE", "MEMLOCK", "MSGQUEUE")}
print(json.dumps({"limits": limits, "nice": os.nice(0), "cpus": sorted(os.sched_getaffinity(0)),
                  "oom": int(open("/proc/self/oom_score_adj").read())}))
"""
    limits = Limits(cpu_s=1, wall_s=3, memory_mib=64, processes=12, open_files=20)
    try:
        facts = await judge.run_once(source, "python3", "", limits)
    finally:
        await judge.aclose()
    seen = json.loads(facts.stdout)
    expected = {"CPU": 2, "AS": (64 + 128) << 20, "FSIZE": 8 << 20, "NOFILE": 20, "CORE": 0,
                "MEMLOCK": 0, "MSGQUEUE": 0}
    if os.geteuid() == 0:
        expected["NPROC"] = 12
    for name, value in expected.items():
        assert seen["limits"][name] == [value, value], name
    assert (seen["nice"], seen["cpus"], seen["oom"]) == (10, [0], 1000)


async def test_the_total_budget_ends_a_submission_and_kills_its_queued_tests() -> None:
    require_bwrap()
    judge = LocalSandbox(SandboxConfig(base_uid=UID))
    # Each test naps 1 s (no CPU: only the wall budget can end it); 2.5 s of budget ends the
    # submission within its first six, and a loaded machine's slow first start (an
    # interpreter starting in seconds) still leaves test 1 inside the budget.
    nap = "import time\ntime.sleep(1)\nprint('ok')\n"
    tests = [TestCase("", "ok")] * 6
    try:
        result = await judge.judge(nap, "python3", tests, Limits(cpu_s=1, total_wall_s=2.5))
    finally:
        await judge.aclose()
    assert (result.verdict, result.detail) == (Verdict.TLE, "total time budget exceeded")
    assert result.failed_test is not None
    assert result.failed_test in range(2, 7)
    assert len(result.tests) == result.failed_test - 1
    assert all(test.verdict is Verdict.AC for test in result.tests)
    assert live_tasks_of_uid(UID) == []
