"""Host-side settings of the local sandbox (not per problem: those are ``Limits``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """How the judge launches sandboxes on this host.

    Attributes:
        slots: concurrent runs; each slot gets its own host uid because RLIMIT_NPROC
            is counted per uid (two runs under one uid share the process budget).
        base_uid: slot k runs as uid/gid ``base_uid + k``; no passwd entry needed.
        per_slot_uid: drop to the slot uid before bwrap. None means "when root";
            forcing True without CAP_SETUID makes every run an IE.
        cpus: CPUs the sandboxes are pinned to; None picks the last CPU when there
            are two or more, so the bot's event loop keeps CPU 0.
        nice: niceness of sandboxed programs.
        oom_score_adj: makes the kernel kill a sandbox before the bot on host OOM.
        extra_ro_binds: (host path, sandbox path) pairs bound read-only, for extra
            language runtimes; never bind anything holding bot data.
    """

    slots: int = 1
    base_uid: int = 61000
    per_slot_uid: bool | None = None
    cpus: tuple[int, ...] | None = None
    nice: int = 10
    oom_score_adj: int = 1000
    bwrap_path: str = "/usr/bin/bwrap"
    tool_path: str = "/usr/bin:/bin:/usr/sbin:/sbin"
    extra_ro_binds: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.slots <= 64:
            raise ValueError(f"slots must be in [1, 64], got {self.slots}")
        if self.base_uid < 1000:
            raise ValueError("base_uid must not collide with system accounts (< 1000)")
        if not 0 <= self.nice <= 19:
            raise ValueError("nice must be in [0, 19]")
        if not 0 <= self.oom_score_adj <= 1000:
            raise ValueError("oom_score_adj must be in [0, 1000]")
        for host, inside in self.extra_ro_binds:
            if not host.startswith("/") or not inside.startswith("/"):
                raise ValueError("extra_ro_binds paths must be absolute")

    def slot_uid(self, slot: int) -> int:
        """Host uid (and gid) of a slot."""
        return self.base_uid + slot
