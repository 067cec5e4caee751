"""Start-up self-check: refuse submissions unless the sandbox demonstrably confines code.

Runs a control solution, a CPU hog, a fork attempt, an environment/privilege probe
and a network probe against a loopback listener of the bot's own host.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from bot.sandbox.bwrap import SANDBOX_ENV
from bot.sandbox.judge import LocalSandbox
from bot.sandbox.limits import Limits
from bot.sandbox.results import TestCase
from bot.sandbox.verdicts import Verdict

logger = logging.getLogger(__name__)

# Variables Python or bwrap add on their own (locale coercion, --chdir).
_ALLOWED_EXTRA_ENV = frozenset({"PWD", "LC_CTYPE"})
_ALLOWED_ROOT = frozenset({"bin", "box", "dev", "lib", "lib64", "proc", "tmp", "usr"})

# Pid 1 is the supervisor: its environment and descriptors must be out of reach.
_CONFINEMENT_PROBE = """
import json, os
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
try:
    with open("/proc/1/environ", "rb") as handle:
        items = handle.read().split(b"\\0")
    pid1_env = [item.split(b"=", 1)[0].decode() for item in items if item]
except OSError:
    pid1_env = []
try:
    pid1_fds = os.listdir("/proc/1/fd")
except OSError:
    pid1_fds = None
print(json.dumps({
    "env": sorted(os.environ), "pid1_env": pid1_env, "root": sorted(os.listdir("/")),
    "cap_eff": status["CapEff"].strip(), "cap_bnd": status["CapBnd"].strip(),
    "no_new_privs": status["NoNewPrivs"].strip(), "pid1_fds": pid1_fds,
    "others": [p for p in os.listdir("/proc") if p.isdigit() and p not in ("1", str(os.getpid()))],
}))
"""

_FORK_PROBE = """
import os, time
children = 0
for _ in range(64):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(5)
        os._exit(0)
    children += 1
print(children)
"""

_NETWORK_PROBE = """
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=1).close()
    print("connected")
except OSError as error:
    print("blocked", error.errno)
"""


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    """One self-check probe."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class SelfCheckReport:
    """All probes; the judge is usable only when every probe passed."""

    probes: tuple[ProbeOutcome, ...]

    @property
    def confined(self) -> bool:
        """Whether submissions may be accepted."""
        return bool(self.probes) and all(probe.passed for probe in self.probes)

    def summary(self) -> str:
        """One admin-facing line per failed probe, or a short all-clear."""
        failed = [f"{probe.name}: {probe.detail}" for probe in self.probes if not probe.passed]
        return "sandbox self-check passed" if not failed else "; ".join(failed)


async def _control(sandbox: LocalSandbox) -> ProbeOutcome:
    result = await sandbox.judge(
        "print(int(input()) * 2)", "python3", [TestCase("21\n", "42\n")], Limits(cpu_s=1)
    )
    return ProbeOutcome("control", result.verdict is Verdict.AC, f"verdict {result.verdict}")


async def _cpu_hog(sandbox: LocalSandbox) -> ProbeOutcome:
    result = await sandbox.judge(
        "while True:\n    pass\n", "python3", [TestCase("", "")], Limits(cpu_s=1, wall_s=4)
    )
    return ProbeOutcome("cpu hog", result.verdict is Verdict.TLE, f"verdict {result.verdict}")


async def _fork(sandbox: LocalSandbox) -> ProbeOutcome:
    limits = Limits(cpu_s=1, wall_s=3, processes=8)
    facts = await sandbox.run_once(_FORK_PROBE, "python3", "", limits)
    text = facts.stdout.decode(errors="replace").strip()
    passed = text.isdigit() and int(text) < limits.processes
    return ProbeOutcome("fork limit", passed, f"children started: {text or facts.returncode}")


async def _confinement(sandbox: LocalSandbox) -> ProbeOutcome:
    facts = await sandbox.run_once(_CONFINEMENT_PROBE, "python3", "", Limits(cpu_s=1))
    try:
        seen = json.loads(facts.stdout)
    except ValueError:
        return ProbeOutcome("confinement", False, f"probe failed: exit {facts.returncode}")
    allowed_env = {name for name, _ in SANDBOX_ENV} | _ALLOWED_EXTRA_ENV
    problems = []
    if not set(seen["env"]) | set(seen["pid1_env"]) <= allowed_env:
        problems.append("unexpected environment variables")
    if not set(seen["root"]) <= _ALLOWED_ROOT:
        problems.append(f"host paths visible: {sorted(set(seen['root']) - _ALLOWED_ROOT)}")
    if int(seen["cap_eff"], 16) or int(seen["cap_bnd"], 16):
        problems.append("capabilities inside")
    if seen["no_new_privs"] != "1":
        problems.append("no_new_privs off")
    if seen["others"]:
        problems.append("other processes visible")
    if seen["pid1_fds"] is not None:
        problems.append("the supervisor's descriptors are reachable")
    if sandbox.slot_uids() and facts.sandbox_uid not in sandbox.slot_uids():
        problems.append(f"runs as host uid {facts.sandbox_uid}")
    return ProbeOutcome("confinement", not problems, "; ".join(problems) or "ok")


async def _network(sandbox: LocalSandbox) -> ProbeOutcome:
    connections = 0

    def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        facts = await sandbox.run_once(
            _NETWORK_PROBE.format(port=port), "python3", "", Limits(cpu_s=1)
        )
    text = facts.stdout.decode(errors="replace").strip()
    passed = text.startswith("blocked") and connections == 0
    return ProbeOutcome("network", passed, text or f"exit {facts.returncode}")


async def run_self_check(sandbox: LocalSandbox) -> SelfCheckReport:
    """Run every probe (about 3 s) and log the outcome once."""
    probes = []
    for probe in (_control, _confinement, _network, _fork, _cpu_hog):
        probes.append(await probe(sandbox))
        if probe is _control and not probes[-1].passed:
            break  # nothing else can be trusted when a plain program fails
    report = SelfCheckReport(tuple(probes))
    if report.confined:
        logger.info("sandbox self-check passed")
    else:
        logger.error("sandbox self-check failed, submissions refused: %s", report.summary())
    return report
