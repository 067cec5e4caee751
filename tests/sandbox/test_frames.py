"""The judge's reading of supervisor reports (pure: no sandbox needed)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from bot.sandbox import Limits
from bot.sandbox.frames import FrameReader, ProtocolError
from bot.sandbox.languages import COMPILE_PYTHON

LIMITS = Limits(stdout_bytes=8, stderr_bytes=4)
GOOD = {
    "exit": 0, "signal": None, "cpu_s": 0.01, "wall_s": 0.02, "maxrss_kib": 9000,
    "killed": "none", "error": None, "stdout": 3, "stderr": 0,
}  # fmt: skip


def frame(header: dict[str, object], payload: bytes = b"") -> bytes:
    data = json.dumps(header).encode()
    return len(data).to_bytes(4, "big") + data + payload


def test_a_report_split_anywhere_is_read_whole() -> None:
    data = frame({"hello": 7}) + frame(GOOD, b"42\n")
    reader = FrameReader()
    for index in range(len(data)):  # one byte at a time
        reader.feed(data[index : index + 1])
    assert reader.hello() == 7
    report = reader.report(LIMITS)
    assert report is not None
    assert (report.exit_code, report.stdout, report.refused) == (0, b"42\n", False)
    assert reader.report(LIMITS) is None


@pytest.mark.parametrize(
    "data",
    [
        frame({**GOOD, "exit": "0"}),
        frame({**GOOD, "exit": True}),
        frame({**GOOD, "cpu_s": float("nan")}),
        frame({**GOOD, "killed": "nobody"}),
        frame({**GOOD, "stdout": LIMITS.stdout_bytes + 2}),
        frame({**GOOD, "exit": None, "signal": None}),
        frame({"exit": 0}),
        b"\x00\x00\x00\x03[1]",
        b"\x00\x00\x00\x02{x",
        b"\x7f\xff\xff\xff",
    ],
    ids=["text-exit", "bool-exit", "nan", "kill-reason", "over-cap", "no-status", "missing",
         "not-object", "not-json", "huge"],
)
def test_anything_else_is_a_protocol_error(data: bytes) -> None:
    reader = FrameReader()
    reader.feed(data + b"x" * 64)
    with pytest.raises(ProtocolError):
        reader.report(LIMITS)


def test_the_error_text_arrives_decoded() -> None:
    reader = FrameReader()
    message = "FileNotFoundError: é".encode().hex()
    reader.feed(frame({**GOOD, "exit": None, "error": message, "stdout": 0}))
    report = reader.report(LIMITS)
    assert report is not None
    assert report.error == "FileNotFoundError: é"


def test_languages_and_the_supervisor_agree_on_the_python_check() -> None:
    # The supervisor imports nothing from the bot, so the marker is written twice.
    source = Path(__file__).resolve().parents[2] / "bot" / "sandbox" / "supervisor.py"
    assigned = {
        node.targets[0].id: node.value.value
        for node in ast.parse(source.read_text()).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
    }
    assert assigned["COMPILE_PYTHON"] == COMPILE_PYTHON
