"""Resource limits for one sandboxed run, with the defaults of JUDGE.md §3.3."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

MIB = 1024 * 1024
KIB = 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-test limits; a problem overrides CPU time and memory, the rest rarely changes.

    ``wall_s`` defaults to 2 x CPU + 2 s so that sleeping or blocked programs end
    ("idleness") while CPU-bound ones are judged by CPU time.
    """

    cpu_s: float = 2.0
    wall_s: float | None = None
    memory_mib: int = 256
    # RLIMIT_AS counts address space, not RSS: Python and its threads reserve far more
    # than they touch, so the hard cap sits above the judged limit (DMOJ's Python grace).
    address_grace_mib: int = 128
    stack_mib: int = 8
    processes: int = 16
    file_size_mib: int = 8
    open_files: int = 64
    stdout_bytes: int = 64 * KIB
    stderr_bytes: int = 16 * KIB
    tmpfs_mib: int = 16
    total_wall_s: float = 30.0

    def __post_init__(self) -> None:
        if not 0 < self.cpu_s <= 60:
            raise ValueError(f"cpu_s must be in (0, 60], got {self.cpu_s}")
        if self.wall_s is not None and not 0 < self.wall_s <= 300:
            raise ValueError(f"wall_s must be in (0, 300], got {self.wall_s}")
        positive = {
            "memory_mib": self.memory_mib,
            "stack_mib": self.stack_mib,
            "processes": self.processes,
            "file_size_mib": self.file_size_mib,
            "open_files": self.open_files,
            "stdout_bytes": self.stdout_bytes,
            "stderr_bytes": self.stderr_bytes,
            "tmpfs_mib": self.tmpfs_mib,
            "total_wall_s": self.total_wall_s,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")
        if self.address_grace_mib < 0:
            raise ValueError("address_grace_mib must not be negative")

    @property
    def effective_wall_s(self) -> float:
        """Wall-clock limit after which the judge kills the run."""
        return self.wall_s if self.wall_s is not None else 2 * self.cpu_s + 2

    @property
    def cpu_hard_s(self) -> int:
        """RLIMIT_CPU value: the kernel SIGKILLs the program one second past the limit."""
        return math.ceil(self.cpu_s) + 1

    @property
    def memory_bytes(self) -> int:
        """Judged peak-RSS limit in bytes."""
        return self.memory_mib * MIB

    @property
    def address_space_bytes(self) -> int:
        """RLIMIT_AS value in bytes."""
        return (self.memory_mib + self.address_grace_mib) * MIB

    def for_compile(self) -> Limits:
        """Limits for the compile/check step: more time, same memory (JUDGE.md §3.3)."""
        return dataclasses.replace(self, cpu_s=max(self.cpu_s, 5.0), wall_s=10.0)
