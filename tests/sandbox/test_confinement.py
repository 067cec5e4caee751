"""What a submission can reach from inside the sandbox (JUDGE.md §4 items 1-6, 9, 11, 15, 17)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import stat
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import Limits, LocalSandbox, SandboxConfig, Verdict
from bot.sandbox.procs import live_tasks_of_uid
from tests.sandbox.conftest import FAST, PROJECT_ROOT, judge_one, require_bwrap

pytestmark = pytest.mark.sandbox


async def run_json(sandbox: LocalSandbox, source: str, limits: Limits = FAST) -> dict[str, Any]:
    facts = await sandbox.run_once(source, "python3", "", limits)
    assert facts.returncode == 0, facts.stderr.decode(errors="replace")
    result = json.loads(facts.stdout)
    assert isinstance(result, dict)
    return result


async def test_no_capabilities_no_new_privs_no_namespaces(sandbox: LocalSandbox) -> None:
    source = """
import ctypes, json, os
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
libc = ctypes.CDLL(None, use_errno=True)
unshare_user = libc.unshare(0x10000000)  # CLONE_NEWUSER
mount = libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)
keys = ("CapEff", "CapPrm", "CapBnd", "CapAmb", "NoNewPrivs")
print(json.dumps({k: status[k].strip() for k in keys}
                 | {"unshare": unshare_user, "mount": mount, "uid": os.getuid()}))
"""
    seen = await run_json(sandbox, source)
    for key in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
        assert int(str(seen[key]), 16) == 0, f"{key} = {seen[key]}"
    assert seen["NoNewPrivs"] == "1"
    assert seen["unshare"] == -1, "nested user namespaces must be disabled"
    assert seen["mount"] == -1


async def test_host_side_uid_is_the_slot_uid(sandbox: LocalSandbox) -> None:
    facts = await sandbox.run_once("print(1)", "python3", "", FAST)
    assert facts.sandbox_uid is not None
    if os.geteuid() == 0:
        assert facts.sandbox_uid in sandbox.slot_uids()
    assert facts.sandbox_uid != 0


async def test_setuid_binaries_are_unusable(sandbox: LocalSandbox) -> None:
    seen = await run_json(
        sandbox,
        "import json\n"
        "lines = open('/proc/self/mountinfo')\n"
        "print(json.dumps({'mounts': [l.split(' - ')[0].split()[4:6] for l in lines]}))\n",
    )
    mounts = {point: options for point, options in seen["mounts"]}
    for point in ("/usr", "/tmp", "/box", "/dev/shm"):
        assert "nosuid" in mounts[point], f"{point} mounted without nosuid"
    if os.geteuid() != 0:
        return
    # A setuid-root interpreter, bound in read-only: if the bit worked it would report euid 0.
    # (pytest's tmp_path is 0700, which the slot uid cannot traverse.)
    directory = Path(tempfile.mkdtemp(prefix="cohort-suid-"))
    directory.chmod(0o755)  # noqa: ASYNC240 - test setup
    suid = directory / "suid-python"
    shutil.copy2("/usr/bin/python3", suid)
    suid.chmod(0o4755)
    assert suid.stat().st_mode & stat.S_ISUID
    judge = LocalSandbox(SandboxConfig(extra_ro_binds=((str(suid), "/opt/suid-python"),)))
    try:
        facts = await judge.run_once(
            "import subprocess\n"
            "print(subprocess.run(['/opt/suid-python', '-c', 'import os; print(os.geteuid())'],"
            " capture_output=True, text=True).stdout.strip())",
            "python3",
            "",
            FAST,
        )
    finally:
        await judge.aclose()
        shutil.rmtree(directory)
    assert facts.stdout.strip() not in (b"0", b""), facts.stderr
    assert facts.stdout.strip() == str(facts.sandbox_uid).encode()


async def test_network_is_unreachable(sandbox: LocalSandbox) -> None:
    accepted = 0

    def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    source = f"""
import json, os, socket
results = {{}}
for name, address in (("loopback", ("127.0.0.1", {port})), ("outside", ("1.1.1.1", 53))):
    try:
        socket.create_connection(address, timeout=1).close()
        results[name] = "connected"
    except OSError as error:
        results[name] = error.errno
results["interfaces"] = sorted(name for _, name in socket.if_nameindex())
results["route"] = open("/proc/net/route").read().count(chr(10)) - 1
print(json.dumps(results))
"""
    async with server:
        seen = await run_json(sandbox, source)
    assert accepted == 0
    assert seen["loopback"] != "connected"
    assert seen["outside"] != "connected"
    assert seen["interfaces"] == ["lo"]
    assert seen["route"] == 0


async def test_host_files_are_invisible(sandbox: LocalSandbox, tmp_path: Path) -> None:
    secret = tmp_path / "secret.env"
    secret.write_text("TOKEN=do-not-leak\n")
    secret.chmod(0o644)
    probes = [
        str(PROJECT_ROOT / "pyproject.toml"),
        str(PROJECT_ROOT),
        str(secret),
        "/etc/passwd",
        "/etc/hostname",
        "/root",
        "/home",
        "/run",
        "/var",
        str(Path.home()),
    ]
    source = f"""
import json, os
found = {{}}
for path in {probes!r}:
    found[path] = os.path.exists(path)
try:
    with open("/box/solution.py", "a") as handle:
        handle.write("tampered")
    source_writable = True
except OSError:
    source_writable = False
root = sorted(os.listdir("/"))
print(json.dumps({{"found": found, "root": root, "source_writable": source_writable}}))
"""
    seen = await run_json(sandbox, source)
    assert seen["found"] == dict.fromkeys(probes, False)
    assert set(seen["root"]) <= {"bin", "box", "dev", "lib", "lib64", "proc", "tmp", "usr"}
    assert seen["source_writable"] is False


async def test_environment_secrets_are_invisible(
    sandbox: LocalSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary = f"CANARY-{uuid.uuid4()}"
    monkeypatch.setenv("COHORT_TEST_SECRET_TOKEN", canary)
    source = """
import os
chunks = [repr(dict(os.environ)).encode()]
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    for name in ("environ", "cmdline"):
        try:
            chunks.append(open(f"/proc/{pid}/{name}", "rb").read())
        except OSError:
            pass
print(repr(b"|".join(chunks)))
"""
    facts = await sandbox.run_once(source, "python3", "", FAST)
    assert facts.returncode == 0
    assert b"environ(" not in facts.stdout
    assert canary.encode() not in facts.stdout
    assert b"COHORT_TEST_SECRET_TOKEN" not in facts.stdout
    assert b"PATH" in facts.stdout  # the probe did read the environment
    assert b"/work" not in facts.stdout  # no host path from bwrap's command line
    # nor does the worker that launches sandboxes hold it
    worker = sandbox.worker_pid
    assert worker is not None
    worker_env = Path(f"/proc/{worker}/environ").read_bytes()  # noqa: ASYNC240
    assert canary.encode() not in worker_env


async def test_only_the_program_and_the_supervisor_are_visible(sandbox: LocalSandbox) -> None:
    seen = await run_json(
        sandbox,
        "import json, os\n"
        "print(json.dumps({'pids': [p for p in os.listdir('/proc') if p.isdigit()],"
        " 'pid': os.getpid(), 'fds': sorted(os.listdir('/proc/self/fd'))}))",
    )
    # pid 1 is the supervisor that runs each test; nothing else of the host shows
    assert sorted(seen["pids"]) == sorted(["1", str(seen["pid"])])
    assert seen["pid"] != 1
    # stdin/stdout/stderr and listdir's own descriptor: no control pipe or memfd leaked in
    assert seen["fds"] == ["0", "1", "2", "3"]


async def test_stdin_is_not_a_terminal_and_is_read_only(sandbox: LocalSandbox) -> None:
    source = """
import json, os, sys
try:
    os.write(0, b"overwrite")
    writable = True
except OSError:
    writable = False
print(json.dumps({"tty": os.isatty(0), "writable": writable, "data": sys.stdin.read()}))
"""
    facts = await sandbox.run_once(source, "python3", "given input", FAST)
    seen = json.loads(facts.stdout)
    assert seen == {"tty": False, "writable": False, "data": "given input"}


@pytest.mark.parametrize(
    "source",
    [
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
        "import subprocess\nprocs = []\nwhile True:\n    try:\n"
        "        procs.append(subprocess.Popen(['/usr/bin/sleep', '30']))\n"
        "    except OSError:\n        pass\n",
    ],
    ids=["os.fork", "subprocess"],
)
async def test_fork_bombs_are_contained(sandbox: LocalSandbox, source: str) -> None:
    limits = Limits(cpu_s=1, wall_s=1.5, processes=16)
    peak = 0

    async def count() -> None:
        nonlocal peak
        while True:
            for uid in sandbox.slot_uids():
                peak = max(peak, len(live_tasks_of_uid(uid)))
            await asyncio.sleep(0.05)

    counter = asyncio.create_task(count())
    result = await judge_one(sandbox, source, limits=limits)
    counter.cancel()
    assert result.verdict in {Verdict.TLE, Verdict.RE}
    assert result.tests[0].wall_s < limits.effective_wall_s + 1
    if sandbox.slot_uids():
        assert 0 < peak <= limits.processes
        assert all(live_tasks_of_uid(uid) == [] for uid in sandbox.slot_uids())


async def test_orphaned_daemon_does_not_survive(sandbox: LocalSandbox) -> None:
    source = """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(60)
    os._exit(0)
print("done")
"""
    for _ in range(3):
        result = await judge_one(sandbox, source, "done")
        assert result.verdict is Verdict.AC
        await asyncio.sleep(0.2)
        for uid in sandbox.slot_uids():
            assert live_tasks_of_uid(uid) == []


async def test_disk_fills_are_bounded(sandbox: LocalSandbox) -> None:
    before = shutil.disk_usage("/").free
    source = """
import errno, json, os
written = {}
for directory in ("/tmp", "/dev/shm", "/box"):
    total, error = 0, None
    for index in range(64):
        try:
            with open(f"{directory}/fill{index}", "wb") as handle:
                handle.write(b"x" * (4 << 20))
            total += 4 << 20
        except OSError as exc:
            error = errno.errorcode[exc.errno]
            break
    written[directory] = [total, error]
try:
    with open("/box/big", "wb") as handle:
        handle.write(b"x" * (9 << 20))
    written["big"] = "ok"
except OSError as exc:
    written["big"] = errno.errorcode[exc.errno]
for path in ("", "/dev", "/usr", "/proc", "/lib"):
    try:
        open(path + "/x", "wb")
        written[path] = "ok"
    except OSError as exc:
        written[path] = errno.errorcode[exc.errno]
print(json.dumps(written))
"""
    seen = await run_json(
        sandbox, source, Limits(cpu_s=2, wall_s=5, tmpfs_mib=16, file_size_mib=8)
    )
    for directory in ("/tmp", "/dev/shm", "/box"):
        total, error = seen[directory]
        assert total <= 16 << 20
        assert error == "ENOSPC"
    assert seen["big"] in {"EFBIG", "ENOSPC"}
    # bwrap's root and /dev are unsized tmpfs: they must be read-only
    assert {path: seen[path] for path in ("", "/dev", "/usr", "/proc", "/lib")} == {
        "": "EROFS",
        "/dev": "EROFS",
        "/usr": "EROFS",
        "/proc": "ENOENT",
        "/lib": "EROFS",
    }
    assert abs(shutil.disk_usage("/").free - before) < 64 << 20


async def test_nothing_persists_between_runs(sandbox: LocalSandbox) -> None:
    marker = f"cohort-marker-{uuid.uuid4().hex}"
    write = f"""
for directory in ("/tmp", "/dev/shm", "/box"):
    open(f"{{directory}}/{marker}", "w").write("x")
print("written")
"""
    check = f"""
import os
print(sorted(d for d in ("/tmp", "/dev/shm", "/box") if os.path.exists(f"{{d}}/{marker}")))
"""
    first = await sandbox.run_once(write, "python3", "", FAST)
    assert first.stdout == b"written\n"
    second = await sandbox.run_once(check, "python3", "", FAST)
    assert second.stdout == b"[]\n"
    for host_dir in ("/tmp", "/dev/shm", str(PROJECT_ROOT)):
        assert marker not in os.listdir(host_dir)


async def test_concurrent_runs_do_not_see_each_other() -> None:
    require_bwrap()
    judge = LocalSandbox(SandboxConfig(slots=2))
    source = """
import os, time
name = f"/tmp/{os.urandom(8).hex()}"
open(name, "w").write("x")
for directory in ("/dev/shm", "/box"):
    open(f"{directory}/{os.path.basename(name)}", "w").write("x")
time.sleep(0.3)
print(len(os.listdir("/tmp")), len(os.listdir("/dev/shm")), len(os.listdir("/box")))
"""
    try:
        first, second = await asyncio.gather(
            judge.run_once(source, "python3", "", FAST),
            judge.run_once(source, "python3", "", FAST),
        )
    finally:
        await judge.aclose()
    # /box also holds solution.py
    assert first.stdout == second.stdout == b"1 1 2\n"


async def test_socket_on_host_loopback_unix_path_is_unreachable(
    sandbox: LocalSandbox, tmp_path: Path
) -> None:
    path = tmp_path / "host.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen()
    try:
        source = f"""
import socket
s = socket.socket(socket.AF_UNIX)
try:
    s.connect({str(path)!r})
    print("connected")
except OSError:
    print("blocked")
try:
    s2 = socket.socket(socket.AF_UNIX)
    s2.connect("\\0/tmp/.X11-unix/X0")
    print("abstract connected")
except OSError:
    print("abstract blocked")
"""
        facts = await sandbox.run_once(source, "python3", "", FAST)
    finally:
        listener.close()
    assert facts.stdout == b"blocked\nabstract blocked\n"
