"""Command lines for the launcher chain and bubblewrap (JUDGE.md §3.2, verified option set).

The chain is ``choom → nice → taskset → prlimit → setpriv → bwrap``: every tool execs
the next one in the same process, so the judge's ``wait4`` sees bwrap. No
``preexec_fn`` is needed, which would be unsafe in a threaded bot. Inside, the
supervisor (``supervisor.py``) is pid 1 (``--as-pid-1``) and runs every step of the
submission with that step's own rlimits; the launcher's rlimits only bound the
sandbox as a whole.
"""

from __future__ import annotations

import functools
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.sandbox.config import SandboxConfig
from bot.sandbox.languages import SYSTEM_PYTHON
from bot.sandbox.limits import MIB, Limits

# The whole environment the launcher gets: bwrap's helper processes would otherwise
# expose the bot's environment (tokens) at /proc/1/environ inside the sandbox.
LAUNCHER_ENV: tuple[tuple[str, str], ...] = (("PATH", "/usr/bin:/bin"),)

# The whole environment the program gets (``--clearenv`` first).
SANDBOX_ENV: tuple[tuple[str, str], ...] = (
    ("PATH", "/usr/bin"),
    ("LANG", "C.UTF-8"),
    ("HOME", "/box"),
    ("PYTHONIOENCODING", "utf-8"),
    ("PYTHONDONTWRITEBYTECODE", "1"),
    # One malloc arena keeps threads from exhausting RLIMIT_AS with 64 MiB reservations.
    ("MALLOC_ARENA_MAX", "1"),
    ("OMP_NUM_THREADS", "1"),
    ("OPENBLAS_NUM_THREADS", "1"),
)

SANDBOX_HOSTNAME = "judge"
WORK_DIR = "/box"
# The writable mounts, emptied by the supervisor after every step.
WRITABLE_DIRS = ("/tmp", "/dev/shm", WORK_DIR)  # noqa: S108 - private tmpfs mounts
# The supervisor holds few descriptors, but the sandbox must leave it these.
_SUPERVISOR_FILES = 32

_TOOLS = ("choom", "nice", "taskset", "prlimit", "setpriv")


class ToolMissingError(RuntimeError):
    """A launcher tool (bwrap or util-linux) is not installed."""


@dataclass(frozen=True, slots=True)
class LauncherTools:
    """Absolute paths of the programs in the launcher chain."""

    bwrap: str
    choom: str
    nice: str
    taskset: str
    prlimit: str
    setpriv: str

    @classmethod
    def locate(cls, config: SandboxConfig) -> LauncherTools:
        """Resolve every tool on the trusted tool path, never the caller's PATH."""
        found: dict[str, str] = {}
        for name in _TOOLS:
            path = shutil.which(name, path=config.tool_path)
            if path is None:
                raise ToolMissingError(f"{name} not found in {config.tool_path}")
            found[name] = path
        if shutil.which(config.bwrap_path) is None:
            raise ToolMissingError(f"bubblewrap not found at {config.bwrap_path}")
        return cls(bwrap=config.bwrap_path, **found)


@functools.cache
def supervisor_command() -> tuple[str, ...]:
    """How the sandbox's interpreter runs the supervisor: its source on the command line.

    Nothing of the host is mounted for it; ``-I -S`` keeps the working directory,
    user site and ``PYTHON*`` variables off its import path.
    """
    source = Path(__file__).with_name("supervisor.py").read_text(encoding="utf-8")
    return (SYSTEM_PYTHON, "-I", "-S", "-B", "-c", source)


def rlimit_options(limits: Limits, nproc: int, max_stdin: int = 0) -> list[str]:
    """Prlimit options for the whole sandbox: each step's own limits are lower or equal.

    CPU covers the supervisor's whole life (its own time is small); the file size
    leaves room for the largest stdin, which the supervisor writes to a memfd.
    Soft = hard, so a hard limit is never only a SIGXCPU.
    """
    compile_limits = limits.for_compile()
    values = {
        "cpu": max(limits.cpu_hard_s, compile_limits.cpu_hard_s)
        + math.ceil(limits.total_wall_s),
        "as": limits.address_space_bytes,
        "nproc": nproc,
        "fsize": max(limits.file_size_mib * MIB, max_stdin),
        "nofile": max(limits.open_files, _SUPERVISOR_FILES),
        "stack": limits.stack_mib * MIB,
        "core": 0,
        "memlock": 0,
        "msgqueue": 0,
        "rtprio": 0,
    }
    return [f"--{name}={value}:{value}" for name, value in values.items()]


def launcher_argv(
    tools: LauncherTools,
    config: SandboxConfig,
    limits: Limits,
    *,
    uid: int | None,
    nproc: int,
    cpus: tuple[int, ...],
    max_stdin: int = 0,
) -> list[str]:
    """Everything before ``bwrap``: oom score, niceness, pinning, rlimits, uid drop."""
    argv = [tools.choom, "-n", str(config.oom_score_adj), "--", tools.nice, "-n", str(config.nice)]
    if cpus:
        argv += [tools.taskset, "-c", ",".join(str(cpu) for cpu in cpus)]
    argv += [tools.prlimit, *rlimit_options(limits, nproc, max_stdin), "--"]
    if uid is not None:
        # Without this, bwrap started by root keeps every capability inside the sandbox.
        argv += [
            tools.setpriv,
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
        ]
    return argv


def bwrap_options(
    limits: Limits,
    *,
    extra_ro_binds: tuple[tuple[str, str], ...],
    status_fd: int,
    source_fd: int,
    source_path: str,
) -> list[str]:
    """Bwrap options passed through ``--args FD`` so they never show in a process list."""
    tmpfs = str(limits.tmpfs_mib * MIB)
    options = [
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--as-pid-1",
        "--json-status-fd",
        str(status_fd),
        "--clearenv",
    ]
    for name, value in SANDBOX_ENV:
        options += ["--setenv", name, value]
    options += [
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/bin", "/bin",
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", tmpfs, "--tmpfs", "/tmp",  # noqa: S108 - a private tmpfs inside the sandbox
        "--size", tmpfs, "--tmpfs", "/dev/shm",  # noqa: S108
        "--size", tmpfs, "--tmpfs", WORK_DIR,
    ]  # fmt: skip
    for host, inside in extra_ro_binds:
        options += ["--ro-bind", host, inside]
    options += [
        # The source comes from a sealed memfd: no host file of it exists at all.
        "--perms", "0444", "--ro-bind-data", str(source_fd), source_path,
        "--chdir", WORK_DIR,
        "--hostname", SANDBOX_HOSTNAME,
        # bwrap's root and /dev are unsized tmpfs: left writable, a program could fill
        # the host's memory through them. Only the sized mounts stay writable.
        "--remount-ro", "/dev",
        "--remount-ro", "/",
    ]  # fmt: skip
    return options
