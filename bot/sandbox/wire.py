"""JSON-lines messages between the bot process and the sandbox worker process."""

from __future__ import annotations

import base64
import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from bot.sandbox.facts import KillReason, RunFacts
from bot.sandbox.limits import Limits


@dataclass(frozen=True, slots=True)
class RunRequest:
    """Everything the worker needs to run one program; built by the bot from trusted parts."""

    launcher: tuple[str, ...]
    bwrap: str
    command: tuple[str, ...]
    source_path: str
    source: bytes
    stdin: bytes
    limits: Limits
    extra_ro_binds: tuple[tuple[str, str], ...] = ()
    sweep_uid: int | None = None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    return base64.b64decode(str(text), validate=True)


def encode_run(request_id: int, request: RunRequest) -> bytes:
    """A ``run`` message line."""
    body = {
        "launcher": list(request.launcher),
        "bwrap": request.bwrap,
        "command": list(request.command),
        "source_path": request.source_path,
        "source": _b64(request.source),
        "stdin": _b64(request.stdin),
        "limits": dataclasses.asdict(request.limits),
        "extra_ro_binds": [list(pair) for pair in request.extra_ro_binds],
        "sweep_uid": request.sweep_uid,
    }
    return _line({"op": "run", "id": request_id, "request": body})


def encode_cancel(request_id: int) -> bytes:
    """A ``cancel`` message line: kill that run now."""
    return _line({"op": "cancel", "id": request_id})


def decode_request(body: dict[str, Any]) -> RunRequest:
    """Rebuild a ``RunRequest`` from a ``run`` message body."""
    sweep = body["sweep_uid"]
    return RunRequest(
        launcher=tuple(str(part) for part in body["launcher"]),
        bwrap=str(body["bwrap"]),
        command=tuple(str(part) for part in body["command"]),
        source_path=str(body["source_path"]),
        source=_unb64(body["source"]),
        stdin=_unb64(body["stdin"]),
        limits=Limits(**body["limits"]),
        extra_ro_binds=tuple((str(host), str(inside)) for host, inside in body["extra_ro_binds"]),
        sweep_uid=None if sweep is None else int(sweep),
    )


def encode_facts(request_id: int, facts: RunFacts) -> bytes:
    """A reply line carrying the facts of a finished run."""
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


def encode_error(request_id: int, message: str) -> bytes:
    """A reply line for a run the worker could not attempt."""
    return _line({"id": request_id, "error": message})


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
