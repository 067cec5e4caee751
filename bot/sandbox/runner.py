"""Blocking execution of one sandboxed process: spawn, capped pipes, timers, ``wait4``.

Runs in a worker thread (never on the event loop). The thread that spawns the
launcher stays blocked here until it is reaped, which matters because
``--die-with-parent`` (PDEATHSIG) fires when the *thread* that forked bwrap exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.sandbox.facts import KillReason, RunFacts
from bot.sandbox.limits import Limits
from bot.sandbox.procs import read_task

logger = logging.getLogger(__name__)

_READ_CHUNK = 65536
_POLL_S = 0.05
# After the launcher exits the pipes hit EOF at once (the pid namespace is gone);
# this only bounds a misbehaving case.
_DRAIN_S = 1.0
# A killed sandbox that does not let bwrap exit gets bwrap itself killed after this.
_ESCALATE_S = 2.0

OptionsBuilder = Callable[[int, int], list[str]]


def sealed_memfd(name: str, data: bytes) -> int:
    """A read-at-zero, write-sealed in-memory file: finite stdin, no host file, no tty."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        seals = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


@dataclass(slots=True)
class _Stream:
    """One captured pipe, keeping at most ``cap + 1`` bytes (the +1 proves overflow)."""

    reason: KillReason
    cap: int
    data: bytearray = field(default_factory=bytearray)

    def feed(self, chunk: bytes) -> bool:
        """Store what fits; True when the cap has been exceeded."""
        room = self.cap + 1 - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        return len(self.data) > self.cap


@dataclass(slots=True)
class _Run:
    """Mutable bookkeeping of one run, private to the runner thread."""

    launcher_pidfd: int
    killed: KillReason = KillReason.NONE
    killed_at: float | None = None
    escalated: bool = False
    sandbox_pid: int | None = None
    sandbox_pidfd: int | None = None
    sandbox_uid: int | None = None
    status_buffer: bytearray = field(default_factory=bytearray)

    def kill(self, reason: KillReason, now: float) -> None:
        """SIGKILL the sandbox's pid 1 (its namespace dies with it) and remember why.

        Killing the program rather than bwrap lets bwrap reap it, so ``wait4``
        still reports the program's CPU time and peak memory.
        """
        if self.killed is KillReason.NONE:
            self.killed = reason
            self.killed_at = now
        target = self.sandbox_pidfd if self.sandbox_pidfd is not None else self.launcher_pidfd
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(target, signal.SIGKILL)

    def escalate(self, now: float) -> None:
        """Kill bwrap too when killing the program did not end it."""
        if (
            self.killed_at is not None
            and not self.escalated
            and now - self.killed_at > _ESCALATE_S
        ):
            self.escalated = True
            logger.warning("sandbox did not exit after SIGKILL; killing the launcher")
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.launcher_pidfd, signal.SIGKILL)

    def feed_status(self, chunk: bytes) -> None:
        """Parse bwrap's JSON status lines; the first one names the sandbox's host pid."""
        self.status_buffer += chunk
        while b"\n" in self.status_buffer:
            line, _, rest = bytes(self.status_buffer).partition(b"\n")
            self.status_buffer = bytearray(rest)
            try:
                status = json.loads(line)
            except ValueError:
                logger.warning("unparsable bwrap status line")
                continue
            pid = status.get("child-pid") if isinstance(status, dict) else None
            if isinstance(pid, int) and self.sandbox_pid is None:
                self._adopt(pid)

    def _adopt(self, pid: int) -> None:
        self.sandbox_pid = pid
        with contextlib.suppress(ProcessLookupError, OSError):
            self.sandbox_pidfd = os.pidfd_open(pid)
        task = read_task(pid)
        self.sandbox_uid = task.uid if task is not None else None

    def close(self) -> None:
        """Release the pidfds."""
        for fd in (self.sandbox_pidfd, self.launcher_pidfd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)


def _bwrap_setup_failed(returncode: int | None, stderr: bytearray) -> bool:
    """Bwrap reports the child pid before mounting, so a mount failure looks like exit 1.

    A program could print the same text to get an IE instead of its verdict; it gains
    nothing (IE awards nothing) but an operator alert.
    """
    return returncode == 1 and stderr.startswith(b"bwrap: ")


def run_sandboxed(
    *,
    launcher: Sequence[str],
    bwrap: str,
    options_for: OptionsBuilder,
    command: Sequence[str],
    source: bytes,
    stdin: bytes,
    limits: Limits,
    env: Mapping[str, str],
    cancel: threading.Event,
) -> RunFacts:
    """Run ``command`` in bwrap behind the launcher chain and collect the facts.

    ``options_for(status_fd, source_fd)`` builds bwrap's options once the file
    descriptors exist; they travel through ``--args`` (a sealed memfd).
    """
    status_r, status_w = os.pipe2(os.O_CLOEXEC)
    child_fds: list[int] = [status_w]
    try:
        source_fd = sealed_memfd("solution", source)
        child_fds.append(source_fd)
        stdin_fd = sealed_memfd("stdin", stdin)
        child_fds.append(stdin_fd)
        args = b"".join(option.encode() + b"\0" for option in options_for(status_w, source_fd))
        args_fd = sealed_memfd("bwrap-args", args)
        child_fds.append(args_fd)
        argv = [*launcher, bwrap, "--args", str(args_fd), "--", *command]
        started = time.monotonic()
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv is built from trusted parts only
                argv,
                stdin=stdin_fd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(status_w, source_fd, args_fd),
                env=dict(env),
                close_fds=True,
                start_new_session=True,
            )
        except OSError as error:
            os.close(status_r)
            return RunFacts.not_started(f"cannot start the launcher: {error}")
    finally:
        for fd in child_fds:
            os.close(fd)
    return _supervise(proc, status_r, started, limits, cancel)


def _supervise(
    proc: subprocess.Popen[bytes],
    status_r: int,
    started: float,
    limits: Limits,
    cancel: threading.Event,
) -> RunFacts:
    assert proc.stdout is not None
    assert proc.stderr is not None
    run = _Run(launcher_pidfd=os.pidfd_open(proc.pid))
    streams = {
        proc.stdout.fileno(): _Stream(KillReason.STDOUT, limits.stdout_bytes),
        proc.stderr.fileno(): _Stream(KillReason.STDERR, limits.stderr_bytes),
    }
    deadline = started + limits.effective_wall_s
    exited_at: float | None = None
    with selectors.DefaultSelector() as selector:
        for fd in (*streams, status_r, run.launcher_pidfd):
            selector.register(fd, selectors.EVENT_READ)
        try:
            while True:
                now = time.monotonic()
                if exited_at is None:
                    if run.killed is KillReason.NONE and now >= deadline:
                        run.kill(KillReason.WALL, now)
                    elif run.killed is KillReason.NONE and cancel.is_set():
                        run.kill(KillReason.CANCELLED, now)
                    run.escalate(now)
                    timeout = max(0.0, min(_POLL_S, deadline - now))
                else:
                    open_streams = [fd for fd in (*streams, status_r) if fd in selector.get_map()]
                    if not open_streams or now - exited_at > _DRAIN_S:
                        break
                    timeout = _POLL_S
                for key, _ in selector.select(timeout):
                    fd = int(key.fd)
                    if fd == run.launcher_pidfd:
                        exited_at = time.monotonic()
                        selector.unregister(fd)
                        continue
                    chunk = os.read(fd, _READ_CHUNK)
                    if not chunk:
                        selector.unregister(fd)
                    elif fd == status_r:
                        run.feed_status(chunk)
                    elif streams[fd].feed(chunk) and run.killed is KillReason.NONE:
                        run.kill(streams[fd].reason, time.monotonic())
            _, wait_status, usage = os.wait4(proc.pid, 0)
        finally:
            run.close()
            os.close(status_r)
            proc.stdout.close()
            proc.stderr.close()
    # We reaped it ourselves (Popen cannot see rusage); tell Popen so it never waits again.
    proc.returncode = os.waitstatus_to_exitcode(wait_status)
    end = exited_at if exited_at is not None else time.monotonic()
    out_stream, err_stream = streams.values()
    setup_error = None
    if run.sandbox_pid is None or _bwrap_setup_failed(proc.returncode, err_stream.data):
        text = bytes(err_stream.data[-2000:]).decode("utf-8", errors="replace").strip()
        setup_error = f"sandbox did not start (exit {proc.returncode}): {text}"
    return RunFacts(
        returncode=proc.returncode,
        cpu_s=usage.ru_utime + usage.ru_stime,
        wall_s=end - started,
        peak_rss_bytes=usage.ru_maxrss * 1024,
        stdout=bytes(out_stream.data[: limits.stdout_bytes]),
        stderr=bytes(err_stream.data[: limits.stderr_bytes]),
        killed=run.killed,
        sandbox_pid=run.sandbox_pid,
        sandbox_uid=run.sandbox_uid,
        setup_error=setup_error,
    )
