"""Judge result parsing (output comparison, the recorded result) runs off the loop (#14.4)."""

from __future__ import annotations

import threading

import pytest

from bot.sandbox import LocalSandbox, TestCase, Verdict
from bot.sandbox import judge as judge_module
from tests.sandbox.conftest import FAST

pytestmark = pytest.mark.sandbox

ECHO = "import sys\nsys.stdout.write(sys.stdin.read())\n"


async def test_outputs_are_compared_in_a_worker_thread(
        sandbox: LocalSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    decide = judge_module.decide

    def recording_decide(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread().name)
        return decide(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(judge_module, "decide", recording_decide)
    big = "".join(f"{n} {n * n}\n" for n in range(5000))  # ~60 KiB to compare
    result = await sandbox.judge(ECHO, "python3", [TestCase(big, big), TestCase("a", "b")],
                                 FAST)
    assert result.verdict is Verdict.WA and result.failed_test == 2
    assert len(threads) == 2
    assert threading.main_thread().name not in threads
