"""The sentence model in a child process: its import never holds the caller's GIL.

Importing sentence-transformers (torch, transformers) takes seconds of CPU, much of it in C
that keeps the GIL (loading torch's shared libraries, unmarshalling bytecode), and leaves
~500,000 Python objects behind. In the bot's process that stalled every dashboard request
during the load by up to 400 ms on the 2-core machine (#17.6, G13), even from a thread. Here
the model is imported, loaded and run by ``python -m recommender.remote``; the caller only
sends texts and receives vectors over the child's pipes (a JSON line each way, then the
float32 rows: ~50 KB for 32 texts, next to ~0.7 s of encoding). The child ends when its
input closes, so it never outlives the bot.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from recommender.encoders import TFIDF_SPEC, Encoder, LoadedEncoder, TfidfEncoder

logger = logging.getLogger(__name__)

STOP_SECONDS = 5.0  # how long a failed start waits for the child before killing it


class RemoteEncoderError(RuntimeError):
    """The model's process failed or is gone."""


class RemoteEncoder:
    """An :class:`Encoder` whose model runs in a child process (blocking calls: use a thread)."""

    def __init__(self, child: subprocess.Popen[bytes], name: str, dim: int) -> None:
        self._child = child
        self._name = name
        self._dim = dim
        self._lock = threading.Lock()  # one request on the pipes at a time

    @property
    def name(self) -> str:
        """The model's name and weights digest, as the child's encoder reports it."""
        return self._name

    @property
    def dim(self) -> int:
        """Length of each vector."""
        return self._dim

    @property
    def alive(self) -> bool:
        """Whether the child still runs (it may be killed, e.g. by the OOM killer)."""
        return self._child.poll() is None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors from the child; :class:`RemoteEncoderError` if it failed or is gone."""
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        with self._lock:
            reply = _ask(self._child, {"encode": list(texts)})
            return _read_rows(self._child, reply["rows"], self._dim)

    def close(self) -> None:
        """End the child without waiting: its input closes, and it exits on reading that."""
        _stop(self._child, wait=False)


def start(spec: str | None, *, batch_size: int = 32) -> LoadedEncoder:
    """What :func:`load_encoder` gives, with the model loaded in a child process.

    Blocking (seconds): call it in a thread. The model sits behind a :class:`RemoteEncoder`.

    A model that cannot load falls back to TF-IDF here, in this process, logged once.
    """
    if spec is not None and spec.strip().lower() == TFIDF_SPEC:
        return LoadedEncoder(TfidfEncoder())
    # The child imports the same code as this process, wherever that came from.
    path = os.pathsep.join(p for p in sys.path if p)
    child = subprocess.Popen(
        [sys.executable, "-m", "recommender.remote"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": path})
    try:
        reply = _ask(child, {"load": spec, "batch_size": batch_size})
    except RemoteEncoderError as exc:
        _stop(child)
        fallback = str(exc)
    else:
        fallback = reply["fallback"]
        if fallback is None:
            return LoadedEncoder(RemoteEncoder(child, reply["ready"], reply["dim"]))
        _stop(child)
    logger.warning("sentence model %s unavailable, using TF-IDF instead (%s)", spec, fallback)
    return LoadedEncoder(TfidfEncoder(), fallback_reason=fallback)


def _ask(child: subprocess.Popen[bytes], request: dict[str, Any]) -> dict[str, Any]:
    """Send one request line and read the reply line."""
    assert child.stdin is not None
    assert child.stdout is not None
    try:
        child.stdin.write(json.dumps(request).encode() + b"\n")
        child.stdin.flush()
        line = child.stdout.readline()
    except (OSError, ValueError):  # a dead child's pipe, or one close() closed
        line = b""
    if not line.endswith(b"\n"):
        raise RemoteEncoderError(f"the model's process is gone (exit {child.poll()})")
    reply: dict[str, Any] = json.loads(line)
    if "error" in reply:
        raise RemoteEncoderError(reply["error"])
    return reply


def _read_rows(child: subprocess.Popen[bytes], rows: int, dim: int) -> np.ndarray:
    assert child.stdout is not None
    size = rows * dim * 4
    data = child.stdout.read(size)
    if len(data) != size:
        raise RemoteEncoderError(f"the model's process is gone (exit {child.poll()})")
    return np.frombuffer(data, dtype="<f4").reshape(rows, dim).copy()


def _stop(child: subprocess.Popen[bytes], *, wait: bool = True) -> None:
    if child.stdin is not None and not child.stdin.closed:
        with contextlib.suppress(OSError):  # a child that died already: nothing to tell it
            child.stdin.close()
    if child.stdout is not None:
        child.stdout.close()
    if wait:
        try:
            child.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """The child's loop: ``load`` once, then ``encode`` until the input closes."""
    from recommender.encoders import load_encoder

    encoder: Encoder | None = None
    for line in requests:
        request = json.loads(line)
        rows = b""
        try:
            if "load" in request:
                loaded = load_encoder(request["load"], batch_size=request["batch_size"])
                encoder = loaded.encoder
                reply = {"ready": encoder.name, "dim": encoder.dim,
                         "fallback": loaded.fallback_reason}
            elif encoder is None:
                reply = {"error": "no model loaded"}
            else:
                vectors = np.ascontiguousarray(encoder.encode(request["encode"]), dtype="<f4")
                reply, rows = {"rows": len(vectors)}, vectors.tobytes()
        except Exception as exc:  # the child's one catch-all: said to the parent
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        replies.write(json.dumps(reply).encode() + b"\n" + rows)
        replies.flush()


if __name__ == "__main__":
    # The replies get their own copy of stdout; anything a library prints goes to stderr.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    # A fallback is the parent's to log (once, in its own log), not this process's stderr.
    logging.getLogger("recommender.encoders").disabled = True
    serve(sys.stdin.buffer, replies)
