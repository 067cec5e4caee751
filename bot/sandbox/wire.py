"""JSON-lines messages between the bot process and the sandbox worker process.

A submission is one *session* (one sandbox): ``open`` it, ``run`` each step in it,
``close`` it; ``cancel`` kills it at once. Every message but ``cancel`` carries a
request id that its one reply repeats.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from bot.sandbox.facts import KillReason, RunFacts
from bot.sandbox.limits import Limits


@dataclass(frozen=True, slots=True)
class SessionRequest:
    """Everything the worker needs to start one sandbox; built by the bot from trusted parts.

    ``limits`` are the outer limits of the whole sandbox (the launcher's rlimits,
    tmpfs sizes); each step then gets its own limits inside.
    """

    launcher: tuple[str, ...]
    bwrap: str
    command: tuple[str, ...]
    source_path: str
    source: bytes
    limits: Limits
    nproc: int
    cwd: str
    clean: tuple[str, ...]
    keep: tuple[str, ...]
    extra_ro_binds: tuple[tuple[str, str], ...] = ()
    sweep_uid: int | None = None


@dataclass(frozen=True, slots=True)
class StepRequest:
    """One program to run inside an open session."""

    argv: tuple[str, ...]
    stdin: bytes
    limits: Limits


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    return base64.b64decode(str(text), validate=True)


def _strings(values: Any) -> tuple[str, ...]:
    return tuple(str(value) for value in values)


def encode_open(request_id: int, session: int, request: SessionRequest) -> bytes:
    """An ``open`` message line: start a sandbox for a submission."""
    body = {
        "launcher": list(request.launcher),
        "bwrap": request.bwrap,
        "command": list(request.command),
        "source_path": request.source_path,
        "source": _b64(request.source),
        "limits": dataclasses.asdict(request.limits),
        "nproc": request.nproc,
        "cwd": request.cwd,
        "clean": list(request.clean),
        "keep": list(request.keep),
        "extra_ro_binds": [list(pair) for pair in request.extra_ro_binds],
        "sweep_uid": request.sweep_uid,
    }
    return _line({"op": "open", "id": request_id, "session": session, "spec": body})


def decode_session(body: dict[str, Any]) -> SessionRequest:
    """Rebuild a ``SessionRequest`` from an ``open`` message body."""
    sweep = body["sweep_uid"]
    return SessionRequest(
        launcher=_strings(body["launcher"]),
        bwrap=str(body["bwrap"]),
        command=_strings(body["command"]),
        source_path=str(body["source_path"]),
        source=_unb64(body["source"]),
        limits=Limits(**body["limits"]),
        nproc=int(body["nproc"]),
        cwd=str(body["cwd"]),
        clean=_strings(body["clean"]),
        keep=_strings(body["keep"]),
        extra_ro_binds=tuple((str(host), str(inside)) for host, inside in body["extra_ro_binds"]),
        sweep_uid=None if sweep is None else int(sweep),
    )


def encode_run(request_id: int, session: int, step: StepRequest) -> bytes:
    """A ``run`` message line: one step in an open session."""
    return _line({
        "op": "run", "id": request_id, "session": session, "argv": list(step.argv),
        "stdin": _b64(step.stdin), "limits": dataclasses.asdict(step.limits),
    })  # fmt: skip


def decode_step(message: dict[str, Any]) -> StepRequest:
    """Rebuild a ``StepRequest`` from a ``run`` message."""
    return StepRequest(
        argv=_strings(message["argv"]),
        stdin=_unb64(message["stdin"]),
        limits=Limits(**message["limits"]),
    )


def encode_close(request_id: int, session: int) -> bytes:
    """A ``close`` message line: end the session's sandbox."""
    return _line({"op": "close", "id": request_id, "session": session})


def encode_cancel(session: int) -> bytes:
    """A ``cancel`` message line: kill that session's sandbox now (no reply of its own)."""
    return _line({"op": "cancel", "session": session})


def encode_reply(request_id: int, **body: Any) -> bytes:
    """A reply line: ``opened``, ``closed`` or ``error`` (facts have ``encode_facts``)."""
    return _line({"id": request_id, **body})


def encode_facts(request_id: int, facts: RunFacts) -> bytes:
    """A reply line carrying the facts of a finished step."""
    body = {
        "returncode": facts.returncode,
        "cpu_s": facts.cpu_s,
        "wall_s": facts.wall_s,
        "peak_rss_bytes": facts.peak_rss_bytes,
        "stdout": _b64(facts.stdout),
        "stderr": _b64(facts.stderr),
        "killed": facts.killed.value,
        "sandbox_pid": facts.sandbox_pid,
        "sandbox_uid": facts.sandbox_uid,
        "setup_error": facts.setup_error,
    }
    return _line({"id": request_id, "facts": body})


def decode_facts(body: dict[str, Any]) -> RunFacts:
    """Rebuild ``RunFacts`` from a reply body."""

    def optional_int(value: Any) -> int | None:
        return None if value is None else int(value)

    return RunFacts(
        returncode=optional_int(body["returncode"]),
        cpu_s=float(body["cpu_s"]),
        wall_s=float(body["wall_s"]),
        peak_rss_bytes=int(body["peak_rss_bytes"]),
        stdout=_unb64(body["stdout"]),
        stderr=_unb64(body["stderr"]),
        killed=KillReason(body["killed"]),
        sandbox_pid=optional_int(body["sandbox_pid"]),
        sandbox_uid=optional_int(body["sandbox_uid"]),
        setup_error=None if body["setup_error"] is None else str(body["setup_error"]),
    )


def decode_line(line: bytes) -> dict[str, Any]:
    """Parse one message line into its JSON object."""
    message = json.loads(line)
    if not isinstance(message, dict):
        raise TypeError("message is not a JSON object")
    return message


def _line(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode("ascii") + b"\n"
