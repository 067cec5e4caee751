"""Host side of the supervisor's framed pipe protocol (see ``supervisor.py``).

Nothing that comes back is trusted: every report is checked for size, shape and
types before it becomes ``RunFacts``; anything else is a protocol error, which ends
the sandbox and can never turn into an accepted test.
"""

from __future__ import annotations

import json
import marshal
import math
import struct
from dataclasses import dataclass
from typing import Any

from bot.sandbox.limits import MIB, Limits

_HEADER = struct.Struct(">I")
_MAX_HEADER = 4096
_KILLED = frozenset({"none", "wall", "stdout", "stderr"})


class ProtocolError(ValueError):
    """The supervisor sent something it never would: it is gone or not ours any more."""


@dataclass(frozen=True, slots=True)
class StepReport:
    """One step's report, validated."""

    exit_code: int | None
    signal: int | None
    cpu_s: float
    wall_s: float
    maxrss_kib: int
    killed: str
    error: str | None
    stdout: bytes
    stderr: bytes
    # The supervisor refused to run the step: the last one left state it could not wipe.
    refused: bool = False


def step_rlimits(limits: Limits, nproc: int) -> dict[str, int]:
    """The per-step rlimits the supervisor sets in the forked child before exec."""
    return {
        "cpu": limits.cpu_hard_s,
        "as": limits.address_space_bytes,
        "nproc": nproc,
        "fsize": limits.file_size_mib * MIB,
        "nofile": limits.open_files,
        "stack": limits.stack_mib * MIB,
        "core": 0,
    }


def encode_step(
    argv: tuple[str, ...],
    stdin: bytes,
    limits: Limits,
    *,
    nproc: int,
    cwd: str,
    clean: tuple[str, ...],
    keep: tuple[str, ...],
) -> bytes:
    """One request frame: run ``argv`` with ``stdin`` under ``limits``, then clean up.

    The header is ``marshal`` because the supervisor can read it without importing
    anything; this direction is written by the judge only.
    """
    header = {
        "argv": list(argv),
        "cwd": cwd,
        "rlimits": step_rlimits(limits, nproc),
        "wall_s": limits.effective_wall_s,
        "stdout_cap": limits.stdout_bytes,
        "stderr_cap": limits.stderr_bytes,
        "stdin": len(stdin),
        "clean": list(clean),
        "keep": list(keep),
    }
    data = marshal.dumps(header)
    return _HEADER.pack(len(data)) + data + stdin


class FrameReader:
    """Accumulates the supervisor's output and cuts it into checked frames."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> None:
        """Append bytes read from the supervisor's stdout."""
        self._buffer += chunk
        if len(self._buffer) > 4 * MIB:
            raise ProtocolError("supervisor sent more than any report can hold")

    def hello(self) -> int | None:
        """The supervisor's greeting (its pid inside), once complete."""
        frame = self._header()
        if frame is None:
            return None
        header, size = frame
        if set(header) != {"hello"}:
            raise ProtocolError("bad greeting")
        pid = _bounded(header["hello"], 1 << 22)
        del self._buffer[:size]
        return pid

    def report(self, limits: Limits) -> StepReport | None:
        """The next step report, once complete; its outputs may not exceed cap + 1."""
        frame = self._header()
        if frame is None:
            return None
        header, size = frame
        if header == {"refused": 1}:
            del self._buffer[:size]
            return StepReport(None, None, 0.0, 0.0, 0, "none", None, b"", b"", refused=True)
        try:
            out_len = _bounded(header["stdout"], limits.stdout_bytes + 1)
            err_len = _bounded(header["stderr"], limits.stderr_bytes + 1)
            if len(self._buffer) < size + out_len + err_len:
                return None
            report = StepReport(
                exit_code=_optional(header["exit"], 255),
                signal=_optional(header["signal"], 64),
                cpu_s=_seconds(header["cpu_s"]),
                wall_s=_seconds(header["wall_s"]),
                maxrss_kib=_bounded(header["maxrss_kib"], 1 << 40),
                killed=_choice(header["killed"]),
                error=_text(header["error"]),
                stdout=bytes(self._buffer[size : size + out_len]),
                stderr=bytes(self._buffer[size + out_len : size + out_len + err_len]),
            )
        except (KeyError, TypeError) as error:
            raise ProtocolError(f"malformed report: {error}") from error
        if (report.exit_code is None) == (report.signal is None) and report.error is None:
            raise ProtocolError("report names neither an exit code nor a signal")
        del self._buffer[: size + out_len + err_len]
        return report

    def _header(self) -> tuple[dict[str, Any], int] | None:
        if len(self._buffer) < _HEADER.size:
            return None
        (length,) = _HEADER.unpack_from(self._buffer)
        if length > _MAX_HEADER:
            raise ProtocolError("header too long")
        if len(self._buffer) < _HEADER.size + length:
            return None
        try:
            header = json.loads(bytes(self._buffer[_HEADER.size : _HEADER.size + length]))
        except ValueError as error:
            raise ProtocolError("header is not JSON") from error
        if not isinstance(header, dict):
            raise ProtocolError("header is not an object")
        return header, _HEADER.size + length


def _bounded(value: object, most: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= most:
        raise ProtocolError(f"value out of range: {value!r}")
    return value


def _optional(value: object, most: int) -> int | None:
    return None if value is None else _bounded(value, most)


def _seconds(value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ProtocolError(f"not a number: {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds) or not 0 <= seconds <= 86400:
        raise ProtocolError(f"time out of range: {value!r}")
    return seconds


def _choice(value: object) -> str:
    if value not in _KILLED:
        raise ProtocolError(f"unknown kill reason: {value!r}")
    return str(value)


def _text(value: object) -> str | None:
    """Text travels as hex of UTF-8 (see ``supervisor._json``)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError("error is not text")
    try:
        return bytes.fromhex(value[:2000]).decode("utf-8", errors="replace")
    except ValueError as error:
        raise ProtocolError("error is not hex") from error
