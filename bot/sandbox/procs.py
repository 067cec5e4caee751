"""Host-side process inspection by uid: leftovers of a slot, and the shared-uid budget."""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """A host process as seen in /proc/<pid>/status."""

    pid: int
    uid: int
    threads: int
    state: str


def read_task(pid: int) -> TaskInfo | None:
    """Parse /proc/<pid>/status; None when the process is gone."""
    uid = threads = -1
    state = "?"
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key == "Uid":
                    uid = int(value.split()[0])
                elif key == "Threads":
                    threads = int(value)
                elif key == "State":
                    state = value.strip()[:1]
    except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
        return None
    return TaskInfo(pid=pid, uid=uid, threads=threads, state=state)


def tasks_of_uid(uid: int) -> list[TaskInfo]:
    """All processes whose real uid is ``uid``, zombies included."""
    found = []
    with os.scandir("/proc") as entries:
        for entry in entries:
            if entry.name.isdigit():
                info = read_task(int(entry.name))
                if info is not None and info.uid == uid:
                    found.append(info)
    return found


def live_tasks_of_uid(uid: int) -> list[TaskInfo]:
    """Processes of ``uid`` that still run (zombies only wait for their reaper)."""
    return [task for task in tasks_of_uid(uid) if task.state != "Z"]


def kill_uid(uid: int) -> int:
    """SIGKILL every live process of ``uid``; returns how many were found.

    Through a pidfd, re-checking the uid after opening it, so a recycled pid
    never gets the signal.
    """
    killed = 0
    for task in live_tasks_of_uid(uid):
        try:
            pidfd = os.pidfd_open(task.pid)
        except (ProcessLookupError, OSError):
            continue
        try:
            current = read_task(task.pid)
            if current is not None and current.uid == uid:
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                killed += 1
        finally:
            os.close(pidfd)
    return killed


def thread_count_of_uid(uid: int) -> int:
    """Threads charged to ``uid`` against RLIMIT_NPROC (it counts threads, not processes)."""
    return sum(max(task.threads, 1) for task in tasks_of_uid(uid))
