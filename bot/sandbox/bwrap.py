"""Command lines for the launcher chain and bubblewrap (JUDGE.md §3.2, verified option set).

The chain is ``prlimit → setpriv → bwrap`` (``setpriv`` only when root drops to the
slot uid): every tool execs the next in the same process, so the judge's ``wait4``
sees bwrap. No ``preexec_fn`` is needed, which would be unsafe in a threaded bot.
Inside, the supervisor (``supervisor.py``) is pid 1 (``--as-pid-1``): it sets its OOM
score, then runs every step of the submission with that step's own rlimits,
niceness and CPU pinning.
"""

from __future__ import annotations

import functools
import logging
import marshal
import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bot.sandbox.config import SandboxConfig
from bot.sandbox.languages import SYSTEM_PYTHON
from bot.sandbox.limits import MIB, Limits

logger = logging.getLogger(__name__)

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

class ToolMissingError(RuntimeError):
    """A launcher tool (bwrap or util-linux) is not installed."""


@dataclass(frozen=True, slots=True)
class LauncherTools:
    """Absolute paths of the programs that start a sandbox."""

    bwrap: str
    prlimit: str
    setpriv: str

    @classmethod
    def locate(cls, config: SandboxConfig) -> LauncherTools:
        """Resolve every tool on the trusted tool path, never the caller's PATH."""
        found: dict[str, str] = {}
        for name in ("prlimit", "setpriv"):
            path = shutil.which(name, path=config.tool_path)
            if path is None:
                raise ToolMissingError(f"{name} not found in {config.tool_path}")
            found[name] = path
        if shutil.which(config.bwrap_path) is None:
            raise ToolMissingError(f"bubblewrap not found at {config.bwrap_path}")
        return cls(bwrap=config.bwrap_path, **found)


# Runs the supervisor from its compiled code (hex of ``marshal``) given as the next argument.
_LOADER = "import marshal, sys; exec(marshal.loads(bytes.fromhex(sys.argv[1])))"
_COMPILER = (
    "import marshal, sys; "
    "sys.stdout.write(marshal.dumps(compile(sys.stdin.read(), '<supervisor>', 'exec')).hex())"
)


@functools.cache
def _supervisor_source() -> str:
    return Path(__file__).with_name("supervisor.py").read_text(encoding="utf-8")


@functools.cache
def prepare_supervisor() -> str | None:
    """The supervisor compiled once by the sandbox's own interpreter (blocking, ~30 ms).

    Compiling its source inside every sandbox cost ~5 ms per submission. The code
    comes from the very interpreter that runs it, so its format always matches;
    None (the source is sent instead) when that interpreter cannot be run here.
    """
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, trusted input
            [SYSTEM_PYTHON, "-I", "-S", "-c", _COMPILER],
            input=_supervisor_source(),
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/usr/bin:/bin"},
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        logger.warning("cannot precompile the sandbox supervisor; sending its source")
        return None
    return done.stdout.strip() or None


def sandbox_rlimits(limits: Limits, nproc: int, max_stdin: int = 0) -> dict[str, int]:
    """Rlimits of the whole sandbox (the supervisor's): each step's own are lower or equal.

    CPU covers the supervisor's whole life (its own time is small); the file size
    leaves room for the largest stdin, which the supervisor writes to a memfd.
    Soft = hard, so a hard limit is never only a SIGXCPU.
    """
    compile_limits = limits.for_compile()
    return {
        "cpu": max(limits.cpu_hard_s, compile_limits.cpu_hard_s) + math.ceil(limits.total_wall_s),
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


def supervisor_command(config: SandboxConfig, cpus: tuple[int, ...]) -> tuple[str, ...]:
    """How the sandbox's interpreter runs the supervisor: its code on the command line.

    Its last argument carries the OOM score that makes the kernel kill the sandbox
    before the bot (set on the supervisor, inherited) and the niceness and CPU pinning
    of every step (set in each step's child, so the supervisor itself answers without
    delay); three launcher tools did that for ~4 ms of execs per submission. Nothing
    of the host is mounted for it; ``-I -S`` keeps the working directory, user site
    and ``PYTHON*`` variables off its import path.
    """
    settings = marshal.dumps(
        {"nice": config.nice, "oom_score_adj": config.oom_score_adj, "cpus": list(cpus)}
    ).hex()
    code = prepare_supervisor()
    if code is None:
        return (SYSTEM_PYTHON, "-I", "-S", "-B", "-c", _supervisor_source(), settings)
    return (SYSTEM_PYTHON, "-I", "-S", "-B", "-c", _LOADER, code, settings)


def launcher_argv(
    tools: LauncherTools, limits: Limits, *, uid: int | None, nproc: int, max_stdin: int = 0
) -> list[str]:
    """Everything before ``bwrap``: the sandbox's rlimits, then the drop to the slot's uid.

    The rlimits must be set before bwrap creates the user namespace: the kernel then
    counts RLIMIT_NPROC against this limit for bwrap and everything inside together.
    """
    values = sandbox_rlimits(limits, nproc, max_stdin)
    argv = [tools.prlimit, *(f"--{name}={value}:{value}" for name, value in values.items()), "--"]
    if uid is None:
        return argv
    # Without this, bwrap started by root keeps every capability inside the sandbox.
    return [
        *argv,
        tools.setpriv,
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
        "--",
    ]


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
