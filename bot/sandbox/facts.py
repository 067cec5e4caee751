"""Raw facts about one sandboxed process: what happened, not what it means."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class KillReason(StrEnum):
    """Why the judge itself killed a run.

    The exit code alone cannot tell: bwrap maps a SIGKILL and a program's own
    ``exit(137)`` to the same 137.
    """

    NONE = "none"
    WALL = "wall"
    STDOUT = "stdout"
    STDERR = "stderr"
    CANCELLED = "cancelled"
    # The sandbox's supervisor died, stopped answering or answered nonsense mid-step:
    # only the program could have caused that, and it never counts as a pass.
    SUPERVISOR = "supervisor"


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What one sandboxed process did.

    ``returncode`` is the launcher's exit status: the program's exit code, or 128+N
    when the program died of signal N (bwrap reports it that way); negative only
    when the launcher itself was killed. ``setup_error`` is set when the sandbox
    never started the program (bwrap or a launcher tool failed).
    """

    returncode: int | None
    cpu_s: float
    wall_s: float
    peak_rss_bytes: int
    stdout: bytes
    stderr: bytes
    killed: KillReason = KillReason.NONE
    sandbox_pid: int | None = None
    sandbox_uid: int | None = None
    setup_error: str | None = None

    @classmethod
    def not_started(cls, reason: str) -> RunFacts:
        """Facts of a run that never began (the reason becomes an internal error)."""
        return cls(returncode=None, cpu_s=0.0, wall_s=0.0, peak_rss_bytes=0, stdout=b"",
                   stderr=b"", setup_error=reason)

    @property
    def started(self) -> bool:
        """Whether bwrap reported the sandboxed child (no child pid means IE)."""
        return self.sandbox_pid is not None and self.setup_error is None

    @property
    def likely_signal(self) -> int | None:
        """Signal number behind the exit status, if it looks like a signal death."""
        if self.killed is not KillReason.NONE:
            return 9
        if self.returncode is None:
            return None
        if self.returncode < 0:
            return -self.returncode
        if 128 < self.returncode < 128 + 65:
            return self.returncode - 128
        return None
