"""Blocking host side of one sandbox session: bwrap with the supervisor, steps over a pipe.

One sandbox per submission (G11): the launcher chain and bwrap start once, then
every step (compile check, each test) is one framed request to the supervisor
inside and one checked report back. Runs in a worker thread (never on the event
loop); that thread stays here until the launcher is reaped, because
``--die-with-parent`` (PDEATHSIG) fires when the *thread* that forked bwrap exits.

The host never trusts the sandbox to end a step: each step has a backstop deadline
past its wall limit, after which the whole sandbox is killed. A lost or misbehaving
supervisor makes that step a runtime error (``KillReason.SUPERVISOR``), never a pass.
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
from dataclasses import dataclass

from bot.sandbox.facts import KillReason, RunFacts
from bot.sandbox.frames import FrameReader, ProtocolError, StepReport, encode_step
from bot.sandbox.limits import Limits
from bot.sandbox.procs import read_task

logger = logging.getLogger(__name__)

_READ_CHUNK = 65536
_START_S = 10.0
# How long past its own wall limit a step may take before the host kills the sandbox:
# the supervisor enforces the limit; this only covers a supervisor that stopped.
_BACKSTOP_S = 3.0
_CLOSE_S = 2.0
_DIAGNOSTICS = 4096

OptionsBuilder = Callable[[int, int], list[str]]
_KILLS = {
    "none": KillReason.NONE,
    "wall": KillReason.WALL,
    "stdout": KillReason.STDOUT,
    "stderr": KillReason.STDERR,
}


def sealed_memfd(name: str, data: bytes) -> int:
    """A read-at-zero, write-sealed in-memory file: no host file exists at all."""
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


@dataclass(frozen=True, slots=True)
class Launch:
    """How to start the sandbox: launcher chain, bwrap options, the supervisor command."""

    launcher: Sequence[str]
    bwrap: str
    options_for: OptionsBuilder
    command: Sequence[str]
    source: bytes
    env: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class StepPlace:
    """Where steps run and what is wiped after each (all paths inside the sandbox)."""

    cwd: str
    clean: tuple[str, ...]
    keep: tuple[str, ...]
    nproc: int


class SandboxSession:
    """One started sandbox; ``run`` one step at a time, then ``close``."""

    def __init__(self, launch: Launch, place: StepPlace, cancel: threading.Event) -> None:
        self._launch = launch
        self._place = place
        self._cancel = cancel
        self._reader = FrameReader()
        self._diagnostics = bytearray()
        self._outbox = memoryview(b"")
        self._proc: subprocess.Popen[bytes] | None = None
        self._selector = selectors.DefaultSelector()
        self._status = bytearray()
        self._launcher_pidfd: int | None = None
        self._status_fd: int | None = None
        self._ending = False
        self._sandbox_pidfd: int | None = None
        self.sandbox_pid: int | None = None
        self.sandbox_uid: int | None = None
        self.exited = False
        self.tainted = False
        self.ended_cleanly = False

    def start(self) -> str | None:
        """Start bwrap and wait for the supervisor's greeting; the error text otherwise."""
        try:
            self._spawn()
        except OSError as error:
            self.exited = True
            return f"cannot start the launcher: {error}"
        greeted: list[int] = []

        def ready() -> bool:
            if not greeted and (pid := self._reader.hello()) is not None:
                greeted.append(pid)
            return bool(greeted) and self.sandbox_pid is not None

        trouble = self._pump(ready, time.monotonic() + _START_S)
        if trouble is None:
            return None
        self._terminate()
        returncode = self._proc.returncode if self._proc is not None else None
        text = bytes(self._diagnostics).decode("utf-8", errors="replace").strip()
        return f"sandbox did not start ({trouble}, exit {returncode}): {text}"

    def run(self, argv: Sequence[str], stdin: bytes, limits: Limits) -> RunFacts:
        """Run one step in the sandbox and return its facts."""
        if self.exited:
            return RunFacts.not_started("the sandbox session has ended")
        place = self._place
        self._outbox = memoryview(encode_step(
            tuple(argv), stdin, limits, nproc=place.nproc, cwd=place.cwd,
            clean=place.clean, keep=place.keep,
        ))  # fmt: skip
        reports: list[StepReport] = []

        def reported() -> bool:
            if not reports and (report := self._reader.report(limits)) is not None:
                reports.append(report)
            return bool(reports)

        started = time.monotonic()
        trouble = self._pump(reported, started + limits.effective_wall_s + _BACKSTOP_S)
        if trouble is not None:
            self._terminate()
            logger.warning(
                "sandbox supervisor lost during a step (%s): %s",
                trouble,
                bytes(self._diagnostics[-500:]).decode("utf-8", errors="replace").strip(),
            )
            reason = KillReason.CANCELLED if trouble == "cancelled" else KillReason.SUPERVISOR
            return RunFacts(
                returncode=None, cpu_s=0.0, wall_s=time.monotonic() - started,
                peak_rss_bytes=0, stdout=b"", stderr=b"", killed=reason,
                sandbox_pid=self.sandbox_pid, sandbox_uid=self.sandbox_uid,
            )  # fmt: skip
        report = reports[0]
        if report.refused:
            self.tainted = True
            return RunFacts.not_started("the sandbox could not be cleaned after the last step")
        return RunFacts(
            returncode=report.exit_code if report.signal is None else 128 + report.signal,
            cpu_s=report.cpu_s,
            wall_s=report.wall_s,
            peak_rss_bytes=report.maxrss_kib * 1024,
            stdout=report.stdout[: limits.stdout_bytes],
            stderr=report.stderr[: limits.stderr_bytes],
            killed=_KILLS[report.killed],
            sandbox_pid=self.sandbox_pid,
            sandbox_uid=self.sandbox_uid,
            setup_error=f"cannot start the program: {report.error}" if report.error else None,
        )

    def close(self) -> None:
        """End the supervisor (end of its request pipe), or kill the sandbox if it lingers."""
        if self._proc is not None and not self.exited:
            self._ending = True
            self._close_stdin()
            self._pump(lambda: False, time.monotonic() + _CLOSE_S)
            # The supervisor exited by itself: as pid 1 its exit killed and reaped
            # everything in its pid namespace before bwrap saw it go.
            self.ended_cleanly = self._proc.returncode == 0  # None until reaped
            self._terminate()
        self._release()

    # -- plumbing ---------------------------------------------------------------

    def _spawn(self) -> None:
        launch = self._launch
        status_r, status_w = os.pipe2(os.O_CLOEXEC)
        child_fds = [status_w]
        try:
            source_fd = sealed_memfd("solution", launch.source)
            child_fds.append(source_fd)
            options = launch.options_for(status_w, source_fd)
            args_fd = sealed_memfd("bwrap-args", b"".join(o.encode() + b"\0" for o in options))
            child_fds.append(args_fd)
            argv = [*launch.launcher, launch.bwrap, "--args", str(args_fd), "--", *launch.command]
            self._proc = subprocess.Popen(  # noqa: S603 - argv is built from trusted parts only
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(status_w, source_fd, args_fd), env=dict(launch.env), close_fds=True,
                start_new_session=True,
            )  # fmt: skip
        except BaseException:
            os.close(status_r)
            raise
        finally:
            for fd in child_fds:
                os.close(fd)
        proc = self._proc
        assert proc.stdin is not None
        assert proc.stdout is not None
        assert proc.stderr is not None
        os.set_blocking(proc.stdin.fileno(), False)
        self._launcher_pidfd = os.pidfd_open(proc.pid)
        self._status_fd = status_r
        for stream in (proc.stdout, proc.stderr):
            os.set_blocking(stream.fileno(), False)
        for fd in (proc.stdout.fileno(), proc.stderr.fileno(), status_r, self._launcher_pidfd):
            self._selector.register(fd, selectors.EVENT_READ)

    def _pump(self, done: Callable[[], bool], deadline: float) -> str | None:
        """Serve the pipes until ``done()``; otherwise why not: exited, deadline, cancelled.

        While the session is ending, reports are dropped and cancelling is moot.
        """
        proc = self._proc
        assert proc is not None
        assert proc.stdout is not None
        assert proc.stderr is not None
        out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
        try:
            while True:
                if done():
                    return None
                if self.exited:
                    return "exited"
                now = time.monotonic()
                if now >= deadline:
                    return "no answer in time"
                if self._cancel.is_set() and not self._ending:
                    return "cancelled"
                self._want_write(bool(self._outbox))
                for key, events in self._selector.select(min(0.05, deadline - now)):
                    fd = int(key.fd)
                    if events & selectors.EVENT_WRITE:
                        self._write_some()
                    if not events & selectors.EVENT_READ:
                        continue
                    if fd == self._launcher_pidfd:
                        self._reap()
                        continue
                    try:
                        chunk = os.read(fd, _READ_CHUNK)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        self._selector.unregister(fd)
                    elif fd == out_fd:
                        if not self._ending:
                            self._reader.feed(chunk)
                    elif fd == err_fd:
                        self._diagnostics = (self._diagnostics + chunk)[-_DIAGNOSTICS:]
                    else:
                        self._feed_status(chunk)
        except ProtocolError as error:
            return f"protocol error: {error}"

    def _want_write(self, want: bool) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdin.closed:
            return
        fd = proc.stdin.fileno()
        registered = fd in self._selector.get_map()
        if want and not registered:
            self._selector.register(fd, selectors.EVENT_WRITE)
        elif not want and registered:
            self._selector.unregister(fd)

    def _write_some(self) -> None:
        proc = self._proc
        assert proc is not None
        assert proc.stdin is not None
        try:
            written = os.write(proc.stdin.fileno(), self._outbox)
        except BlockingIOError:
            return
        except BrokenPipeError:
            self._outbox = memoryview(b"")
            self._close_stdin()
            return
        self._outbox = self._outbox[written:]

    def _close_stdin(self) -> None:
        proc = self._proc
        if proc is not None and proc.stdin is not None and not proc.stdin.closed:
            self._want_write(False)
            with contextlib.suppress(OSError):
                proc.stdin.close()

    def _feed_status(self, chunk: bytes) -> None:
        """Bwrap's JSON status lines; the first names the supervisor's host pid."""
        self._status += chunk
        while b"\n" in self._status:
            line, _, rest = bytes(self._status).partition(b"\n")
            self._status = bytearray(rest)
            try:
                status = json.loads(line)
            except ValueError:
                continue
            pid = status.get("child-pid") if isinstance(status, dict) else None
            if isinstance(pid, int) and self.sandbox_pid is None:
                self.sandbox_pid = pid
                with contextlib.suppress(OSError):
                    self._sandbox_pidfd = os.pidfd_open(pid)
                task = read_task(pid)
                self.sandbox_uid = task.uid if task is not None else None

    def _reap(self) -> None:
        proc = self._proc
        assert proc is not None
        assert self._launcher_pidfd is not None
        self._selector.unregister(self._launcher_pidfd)
        _, wait_status, _ = os.wait4(proc.pid, 0)
        # Reaped here, not by Popen: tell it, so it never waits again.
        proc.returncode = os.waitstatus_to_exitcode(wait_status)
        self.exited = True

    def _terminate(self) -> None:
        """Kill the supervisor (its pid namespace dies with it), then bwrap if needed."""
        self._ending = True
        target = self._sandbox_pidfd if self._sandbox_pidfd is not None else self._launcher_pidfd
        for pidfd in (target, self._launcher_pidfd):
            if self.exited:
                break
            if pidfd is not None:
                with contextlib.suppress(ProcessLookupError, OSError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            self._pump(lambda: False, time.monotonic() + _CLOSE_S)
        self._drain_diagnostics()

    def _drain_diagnostics(self) -> None:
        """After the launcher exited: what bwrap or the supervisor said (bounded wait)."""
        proc = self._proc
        if proc is None or proc.stderr is None or proc.stderr.closed:
            return
        fd = proc.stderr.fileno()
        deadline = time.monotonic() + 0.5
        while fd in self._selector.get_map() and time.monotonic() < deadline:
            if not self._selector.select(0.05):
                continue
            with contextlib.suppress(BlockingIOError):
                chunk = os.read(fd, _READ_CHUNK)
                if not chunk:
                    self._selector.unregister(fd)
                self._diagnostics = (self._diagnostics + chunk)[-_DIAGNOSTICS:]

    def _release(self) -> None:
        """Close every descriptor once (a second close could hit another thread's fd)."""
        proc, self._proc = self._proc, None
        self._selector.close()
        fds = (self._sandbox_pidfd, self._launcher_pidfd, self._status_fd)
        self._sandbox_pidfd = self._launcher_pidfd = self._status_fd = None
        for fd in fds:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        if proc is not None:
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
