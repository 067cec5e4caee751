"""Detection of a delegated cgroup v2 tree (memory and pids controllers).

Only detection for now: the machines this project runs on (hybrid v1/v2, JUDGE.md
§2.3) offer no writable v2 memory controller, so limits come from rlimits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_NEEDED = frozenset({"memory", "pids"})


@dataclass(frozen=True, slots=True)
class CgroupSupport:
    """Whether per-run memory/pids cgroups could be created, and why not."""

    usable: bool
    path: str | None
    reason: str


def detect_cgroup_v2(
    proc_root: str = "/proc", cgroup_root: str = "/sys/fs/cgroup"
) -> CgroupSupport:
    """Look for our own v2 cgroup with memory+pids available and writable."""
    try:
        lines = Path(proc_root, "self", "cgroup").read_text(encoding="utf-8").splitlines()
    except OSError as error:
        return CgroupSupport(False, None, f"cannot read /proc/self/cgroup: {error}")
    relative = next((line[3:] for line in lines if line.startswith("0::")), None)
    if relative is None:
        return CgroupSupport(False, None, "no cgroup v2 membership")
    base = Path(cgroup_root)
    if not (base / "cgroup.controllers").exists():
        return CgroupSupport(False, None, "cgroup v2 is not the only hierarchy (hybrid or v1)")
    own = base / relative.lstrip("/")
    try:
        controllers = set((own / "cgroup.controllers").read_text(encoding="utf-8").split())
    except OSError as error:
        return CgroupSupport(False, str(own), f"cannot read controllers: {error}")
    missing = _NEEDED - controllers
    if missing:
        return CgroupSupport(False, str(own), f"controllers missing: {', '.join(sorted(missing))}")
    if not os.access(own, os.W_OK):
        return CgroupSupport(False, str(own), "cgroup not writable (not delegated)")
    return CgroupSupport(True, str(own), "delegated cgroup v2 with memory and pids")
