"""The supervisor: pid 1 of a submission's sandbox, running every step of it one by one.

Runs *inside* bubblewrap with the sandbox's own interpreter (``python3 -I -S -c``),
so it is self-contained: standard library only, nothing from ``bot``. One sandbox per
submission instead of one per test is what keeps the judge near a bare run (G11).

Why a test cannot reach it: as pid 1 of the pid namespace it ignores every signal
sent from inside (it installs no handler); it is not dumpable, so tests (same uid,
no capabilities) can neither ptrace it nor open ``/proc/1/fd`` or ``/proc/1/mem``;
its control pipes are fds 0 and 1, which a test gets replaced by its own files.
It never reads what a test wrote: it only deletes it.

Frames, both ways: 4-byte big-endian header length, a header, then the payloads
whose lengths the header names (``stdin``; ``stdout`` and ``stderr``). Requests come
from the judge, so their header is ``marshal`` (built in, nothing to import); reports
are flat JSON written by hand, which the judge checks field by field. Imports are
kept to built-in modules: each one costs the start of every submission.
"""

from __future__ import annotations

import _ctypes
import fcntl
import marshal
import os
import resource
import select
import sys
import time

TYPE_CHECKING = False  # importing typing costs every submission ~10 ms; mypy knows this name
if TYPE_CHECKING:
    import signal
    from typing import Any
else:
    import _signal as signal  # the C module: ``signal`` adds enum, ~6 ms of CPU per start

# argv[0] of the built-in Python check (see ``_compile_python``); never a real path.
COMPILE_PYTHON = "supervisor:compile-python"
_PREFIX = 4
_MAX_HEADER = 1 << 16
_MAX_DEPTH = 64
_READ = 65536
_REAP_S = 2.0
_PR_SET_DUMPABLE = 4
_RLIMITS = {
    "cpu": resource.RLIMIT_CPU,
    "as": resource.RLIMIT_AS,
    "nproc": resource.RLIMIT_NPROC,
    "fsize": resource.RLIMIT_FSIZE,
    "nofile": resource.RLIMIT_NOFILE,
    "stack": resource.RLIMIT_STACK,
    "core": resource.RLIMIT_CORE,
}
# What the judge set on the command line (niceness, CPUs, OOM score).
_SETTINGS: dict[str, Any] = {}
# Kernel state that outlives a test's processes: SysV IPC objects and keys of our uid.
_PERSISTENT = ("/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg", "/proc/key-users")


def _read_exact(size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(0, size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def _json(value: object) -> str:
    """JSON for the flat values of a report; text must be plain (free text goes as hex)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if not (text.isascii() and text.isalnum()):
        raise ValueError("report text must be plain")
    return f'"{text}"'


def _send(header: dict[str, Any], *payloads: bytes) -> None:
    data = ("{" + ",".join(f'"{k}":{_json(v)}' for k, v in header.items()) + "}").encode()
    frame = memoryview(b"".join((len(data).to_bytes(_PREFIX, "big"), data, *payloads)))
    while frame:
        frame = frame[os.write(1, frame) :]


def _receive() -> tuple[dict[str, Any], bytes] | None:
    prefix = _read_exact(_PREFIX)
    if prefix is None:
        return None
    size = int.from_bytes(prefix, "big")
    if size > _MAX_HEADER:
        raise ValueError("request header too large")
    # marshal: the judge wrote this pipe, nothing inside the sandbox can
    header = marshal.loads(_read_exact(size) or marshal.dumps(None))  # noqa: S302
    if not isinstance(header, dict):
        raise TypeError("truncated request")
    stdin = _read_exact(int(header["stdin"])) if header["stdin"] else b""
    if stdin is None:
        raise ValueError("truncated request")
    return header, stdin


def _stdin_file(data: bytes) -> int:
    """A write-sealed memfd: finite, never a terminal, not writable by the test."""
    fd = os.memfd_create("stdin", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    seals = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class _CInt(_ctypes._SimpleCData):  # type: ignore[type-arg]
    _type_ = "i"


class _CFunction(_ctypes.CFuncPtr):
    _flags_ = _ctypes.FUNCFLAG_CDECL
    _restype_ = _CInt


class _Program:
    _handle = _ctypes.dlopen(None, os.RTLD_NOW)  # type: ignore[arg-type]


def _undumpable() -> None:
    """prctl(PR_SET_DUMPABLE, 0) through ``_ctypes`` (``ctypes`` costs ~3 ms of start)."""
    prctl = _CFunction(("prctl", _Program()))  # type: ignore[arg-type]
    if prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError("cannot make the supervisor undumpable")


def _lower_limits(limits: dict[str, int]) -> None:
    """Soft = hard = the value, never above what is already allowed."""
    for name, value in limits.items():
        kind = _RLIMITS[name]
        hard = resource.getrlimit(kind)[1]
        value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)
        resource.setrlimit(kind, (value, value))


def _settle(settings: dict[str, Any]) -> None:
    """Before anything runs: the OOM score, inherited by every step."""
    with open("/proc/self/oom_score_adj", "r+", encoding="ascii") as handle:
        if int(handle.read()) < int(settings["oom_score_adj"]):  # raising needs no privilege
            handle.seek(0)
            handle.write(str(int(settings["oom_score_adj"])))


def _place(settings: dict[str, Any]) -> None:
    """In a step's child: niceness and CPUs (the supervisor keeps its own, to answer fast)."""
    if settings["cpus"]:
        os.sched_setaffinity(0, [int(cpu) for cpu in settings["cpus"]])
    os.nice(int(settings["nice"]))


def _child(request: dict[str, Any], env: dict[str, str], fds: tuple[int, int, int, int]) -> None:
    """In the forked child: own session, own limits, own stdio; then exec (never returns)."""
    stdin_fd, out_w, err_w, exec_w = fds
    try:
        os.setsid()
        _place(_SETTINGS)
        for number in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
            signal.signal(number, signal.SIG_DFL)
        _lower_limits(request["rlimits"])
        os.dup2(stdin_fd, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.closerange(3, exec_w)
        os.closerange(exec_w + 1, 1 << 16)
        os.chdir(request["cwd"])
        argv = [str(part) for part in request["argv"]]
        if argv[0] == COMPILE_PYTHON:
            os.close(exec_w)  # set up: from here on the step is supervised like any other
            _compile_python(argv[1])
        os.execve(argv[0], argv, env)  # noqa: S606 - argv comes from the judge
    except BaseException as error:  # the child must always end here
        os.write(exec_w, f"{type(error).__name__}: {error}".encode()[:500])
    os._exit(127)


def _compile_python(path: str) -> None:
    """The check step of Python, in the forked child: compile, never run (exit 0 or 1).

    Same interpreter as the tests, without starting another one: this step runs for
    every submission. Only the child, under the step's limits, touches the source.
    """
    try:
        with open(path, "rb") as handle:
            compile(handle.read(), path, "exec", dont_inherit=True)
    except BaseException as error:
        import traceback

        os.write(2, "".join(traceback.format_exception_only(error)).encode()[-4000:])
        os._exit(1)
    os._exit(0)


class _Step:
    """One program run: its pipes, its main process, the facts gathered so far."""

    def __init__(self, request: dict[str, Any], env: dict[str, str], stdin: bytes) -> None:
        self.caps = {"stdout": int(request["stdout_cap"]), "stderr": int(request["stderr_cap"])}
        self.data = {"stdout": bytearray(), "stderr": bytearray()}
        self.killed = "none"
        self.status: int | None = None
        self.clean = False
        self.usage: Any = None
        self.ended: float | None = None
        stdin_fd = _stdin_file(stdin)
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        exec_r, exec_w = os.pipe2(os.O_CLOEXEC)
        self.started = time.monotonic()
        self.pid = os.fork()
        if self.pid == 0:
            _child(request, env, (stdin_fd, out_w, err_w, exec_w))
        for fd in (stdin_fd, out_w, err_w, exec_w):
            os.close(fd)
        self.streams = {out_r: "stdout", err_r: "stderr"}
        for fd in self.streams:
            os.set_blocking(fd, False)
        with os.fdopen(exec_r, "rb") as errors:
            self.exec_error = errors.read().decode(errors="replace")
        self.deadline = self.started + float(request["wall_s"])

    def feed(self, fd: int) -> bool:
        """Read one chunk; False at end of file (or nothing to read: pipes do not block)."""
        try:
            chunk = os.read(fd, _READ)
        except BlockingIOError:
            return False
        name = self.streams[fd]
        store = self.data[name]
        room = self.caps[name] + 1 - len(store)
        if room > 0:
            store += chunk[:room]
        if len(store) > self.caps[name] and self.killed == "none":
            self.killed = name
            _kill_all()
        return bool(chunk)

    def reap(self, block: bool) -> bool:
        """Reap every exited child; True once none is left (block: kill them first)."""
        limit = time.monotonic() + _REAP_S
        while True:
            if block:
                _kill_all()
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return True
            if pid == self.pid:
                self.status, self.usage, self.ended = status, usage, time.monotonic()
            if pid == 0:
                if not block or time.monotonic() > limit:
                    return False
                time.sleep(0.0005)

    def run(self) -> None:
        """Supervise until the main process ended (or was killed), then leave nothing behind."""
        poller = select.poll()
        pidfd = os.pidfd_open(self.pid)
        for fd in (*self.streams, pidfd):
            poller.register(fd, select.POLLIN)
        open_streams = set(self.streams)
        try:
            while self.status is None and self.killed == "none":
                left = self.deadline - time.monotonic()
                if left <= 0:
                    self.killed = "wall"
                    break
                for fd, _ in poller.poll(max(1, min(int(left * 1000) + 1, 100))):
                    if fd in open_streams and not self.feed(fd):
                        poller.unregister(fd)
                        open_streams.discard(fd)
                self.reap(block=False)
            self.clean = self.reap(block=True)
            for fd in open_streams:  # every writer is dead: this reaches end of file
                while self.feed(fd):
                    pass
        finally:
            os.close(pidfd)
            for fd in self.streams:
                os.close(fd)

    def report(self) -> dict[str, Any]:
        """The header of this step's report frame."""
        status = self.status
        usage = self.usage
        exited = status is not None and os.WIFEXITED(status)
        signalled = status is not None and os.WIFSIGNALED(status)
        return {
            "exit": os.WEXITSTATUS(status) if exited and status is not None else None,
            "signal": os.WTERMSIG(status) if signalled and status is not None else None,
            "cpu_s": usage.ru_utime + usage.ru_stime if usage is not None else 0.0,
            "maxrss_kib": usage.ru_maxrss if usage is not None else 0,
            "wall_s": (self.ended or time.monotonic()) - self.started,
            "killed": self.killed,
            "error": self.exec_error.encode("utf-8", "replace").hex() or None,
            "stdout": len(self.data["stdout"]),
            "stderr": len(self.data["stderr"]),
        }


def _kill_all() -> None:
    """SIGKILL every process of the namespace but this one (kill(-1) from pid 1)."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        return


def _persistent_state(directories: list[str]) -> list[str]:
    """What a test could leave for the next one besides files: IPC objects, keys, modes."""
    state = []
    for path in _PERSISTENT:
        try:
            with open(path, encoding="ascii", errors="replace") as handle:
                state.append(handle.read())
        except OSError:
            state.append("")
    for directory in directories:
        try:
            state.append(oct(os.lstat(directory).st_mode))
        except OSError:
            state.append("missing")
    return state


def _empty(directory: str, keep: list[str], depth: int = 0) -> bool:
    """Remove what is in ``directory`` (never following links); False if anything stays.

    All processes of the test are dead by now, so nothing changes underneath; odd
    cases (unreadable or very deep directories) just report False, and the judge
    then runs the next step in a fresh sandbox.
    """
    if depth > _MAX_DEPTH:
        return False
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return False
    for entry in entries:
        if entry.path in keep:
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                if not _empty(entry.path, [], depth + 1):
                    return False
                os.rmdir(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            return False
    return True


def _wipe(directories: list[str], keep: list[str]) -> bool:
    """Empty the writable directories for the next step."""
    return all(_empty(directory, keep) for directory in directories)


def main() -> None:
    """Serve steps until the judge closes the request pipe."""
    # marshal: the judge wrote the command line, nothing inside the sandbox can
    _SETTINGS.update(marshal.loads(bytes.fromhex(sys.argv[-1])))  # noqa: S302
    _settle(_SETTINGS)
    # After _settle: an undumpable process cannot write its own /proc files either.
    _undumpable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    env = dict(os.environ)
    baseline: list[str] | None = None
    _send({"hello": os.getpid()})
    dirty = False
    while (received := _receive()) is not None:
        request, stdin = received
        if dirty:
            # What the last step left could not be wiped: the judge starts a new sandbox.
            _send({"refused": 1})
            continue
        directories = [str(path) for path in request["clean"]]
        if baseline is None:
            baseline = _persistent_state(directories)
        step = _Step(request, env, stdin)
        step.run()
        _send(step.report(), bytes(step.data["stdout"]), bytes(step.data["stderr"]))
        # Cleaning up after the report overlaps it with the judge's own work.
        wiped = _wipe(directories, [str(path) for path in request["keep"]])
        dirty = not (step.clean and wiped and _persistent_state(directories) == baseline)
    # End of the request pipe: nothing is left running (each step reaped all), and
    # skipping the interpreter's teardown shortens every submission.
    os._exit(0)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # report, then let the judge see the exit
        sys.stderr.write(f"supervisor: {type(error).__name__}: {error}\n")
        sys.exit(70)
