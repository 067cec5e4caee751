"""Contract of the Piston backend against a Piston-compatible stub on 127.0.0.1.

The stub runs nothing: it records each ``/api/v2/execute`` request and answers what the
test scripted, so the mapping of Piston's results to verdicts is checked exactly.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.app import build, judge_gate_from, prepare, running
from bot.core.clock import FixedClock
from bot.sandbox import Limits, TestCase, Verdict
from bot.sandbox.piston import NOT_AVAILABLE, PistonConfig, PistonJudge
from bot.services.challenges import JudgeGate, JudgeUnavailableError
from config.settings import JudgeSettings, Settings
from storage import Database
from tests.harness import Chat
from tests.services.challenges.conftest import SUM_OK, code_block, create_sum

Answer = Callable[[dict[str, Any]], Any]
TESTS = [TestCase("1 2\n", "3\n", public=True), TestCase("40 2\n", "42\n")]
LIMITS = Limits(cpu_s=2, memory_mib=64)
RUNTIMES = [{"language": "python", "version": "3.12.0", "aliases": ["py", "python3"]}]


def run(stdout: str = "", *, code: int | None = 0, signal: str | None = None,
        status: str | None = None, stderr: str = "", **extra: Any) -> dict[str, Any]:
    stage = {"stdout": stdout, "stderr": stderr, "output": stdout + stderr, "code": code,
             "signal": signal, "status": status, "message": None, **extra}
    return {"language": "python", "version": "3.12.0", "run": stage}


def echo_sum(body: dict[str, Any]) -> dict[str, Any]:
    """What a correct A+B solution prints for the request's stdin."""
    return run(f"{sum(map(int, body['stdin'].split()))}\n", cpu_time=12, wall_time=30,
               memory=9_000_000)


@dataclass
class PistonStub:
    """Scripted answers; ``answer`` may return a dict (JSON 200) or a web.Response."""

    answer: Answer = echo_sum
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    async def execute(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        result = self.answer(body)
        return result if isinstance(result, web.StreamResponse) else web.json_response(result)

    async def runtimes(self, request: web.Request) -> web.StreamResponse:
        del request
        return web.json_response(RUNTIMES)


@pytest.fixture
async def stub() -> AsyncIterator[PistonStub]:
    piston = PistonStub()
    application = web.Application()
    application.router.add_post("/api/v2/execute", piston.execute)
    application.router.add_get("/api/v2/runtimes", piston.runtimes)
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    piston.url = f"http://127.0.0.1:{port}"
    try:
        yield piston
    finally:
        await runner.cleanup()


def judge_for(stub: PistonStub) -> PistonJudge:
    return PistonJudge(PistonConfig(base_url=stub.url))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_accepted_sends_one_request_per_test_with_the_limits(stub: PistonStub):
    result = await judge_for(stub).judge(SUM_OK, "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.AC
    assert [t.verdict for t in result.tests] == [Verdict.AC, Verdict.AC]
    assert result.max_cpu_s == pytest.approx(0.012)
    assert result.max_memory_bytes == 9_000_000
    assert len(stub.requests) == 2
    first = stub.requests[0]
    assert first["language"] == "python"
    assert first["version"] == "*"
    assert first["files"] == [{"content": SUM_OK}]
    assert first["stdin"] == "1 2"  # Piston appends the newline itself
    assert first["run_timeout"] == round(LIMITS.effective_wall_s * 1000) == 6000
    assert first["run_cpu_time"] == 2000
    assert first["run_memory_limit"] == LIMITS.address_space_bytes
    assert first["compile_timeout"] == 10_000
    assert stub.requests[1]["stdin"] == "40 2"


async def test_wrong_answer_names_the_first_differing_line(stub: PistonStub):
    stub.answer = lambda body: run("3\n" if body["stdin"] == "1 2" else "41\n")
    result = await judge_for(stub).judge(SUM_OK, "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.WA
    assert result.failed_test == 2
    assert result.detail == "line 1 differs"
    assert len(stub.requests) == 2


async def test_trailing_whitespace_is_not_wrong(stub: PistonStub):
    stub.answer = lambda body: run("3   \n\n\n" if body["stdin"] == "1 2" else "42")
    result = await judge_for(stub).judge(SUM_OK, "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.AC


async def test_timeout_is_tle_and_stops_judging(stub: PistonStub):
    stub.answer = lambda body: run(code=None, signal="SIGKILL", status="TO",
                                   cpu_time=2000, wall_time=6000)
    result = await judge_for(stub).judge("while True: pass", "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.TLE
    assert result.failed_test == 1
    assert len(stub.requests) == 1


async def test_runtime_error_names_the_exception(stub: PistonStub):
    trace = ('Traceback (most recent call last):\n  File "/piston/jobs/x/file0.code", '
             "line 1, in <module>\nZeroDivisionError: division by zero\n")
    stub.answer = lambda body: run(code=1, status="RE", stderr=trace)
    result = await judge_for(stub).judge("1/0", "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.RE
    assert result.detail == "ZeroDivisionError"
    assert "ZeroDivisionError" in result.tests[0].stderr_tail


async def test_killed_by_a_signal_is_re(stub: PistonStub):
    stub.answer = lambda body: run(code=None, signal="SIGSEGV", status="SG", cpu_time=5)
    result = await judge_for(stub).judge("...", "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.RE
    assert result.detail == "SIGSEGV"
    assert result.tests[0].signal == 11


async def test_output_written_before_a_crash_is_not_judged(stub: PistonStub):
    stub.answer = lambda body: run("3\n", code=3, status="RE")
    result = await judge_for(stub).judge("...", "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.RE


async def test_compile_stage_failure_is_ce(stub: PistonStub):
    answer = run()
    answer["compile"] = {"stdout": "", "stderr": "main.c:1: error: expected ';'\n",
                         "code": 1, "signal": None, "status": "RE"}
    stub.answer = lambda body: answer
    result = await judge_for(stub).judge("int main(", "c", TESTS, LIMITS)
    assert result.verdict is Verdict.CE
    assert "expected ';'" in result.compile_output
    assert result.tests == ()


async def test_python_syntax_error_is_ce(stub: PistonStub):
    stderr = '  File "/piston/jobs/x/file0.code", line 1\n    print(\n         ^\n' \
             "SyntaxError: '(' was never closed\n"
    stub.answer = lambda body: run(code=1, status="RE", stderr=stderr)
    result = await judge_for(stub).judge("print(", "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.CE
    assert "never closed" in result.compile_output


async def test_output_limit_is_ole(stub: PistonStub):
    stub.answer = lambda body: run("y\n" * 500, code=None, signal="SIGKILL", status="OL")
    result = await judge_for(stub).judge("while 1: print('y')", "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.OLE
    assert result.detail == "stdout limit exceeded"
    stub.answer = lambda body: run(code=None, signal="SIGKILL", status="EL")
    result = await judge_for(stub).judge("...", "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.OLE
    assert result.detail == "stderr limit exceeded"


async def test_memory_error_is_mle(stub: PistonStub):
    stub.answer = lambda body: run(code=1, status="RE", stderr="Traceback (most recent "
                                   "call last):\n  ...\nMemoryError\n")
    result = await judge_for(stub).judge("x = [0] * 10**10", "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.MLE


async def test_piston_internal_error_is_ie(stub: PistonStub):
    stub.answer = lambda body: run(code=None, status="XX", message="box init failed")
    result = await judge_for(stub).judge(SUM_OK, "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.IE
    assert "box init failed" in result.detail


@pytest.mark.parametrize("response", [
    lambda body: web.json_response({"message": "python-* runtime is unknown"}, status=400),
    lambda body: web.Response(text="<html>bad gateway</html>", status=502),
    lambda body: web.Response(text="not json"),
    lambda body: {"run": "nonsense"},
])
async def test_broken_answers_are_ie_not_a_crash(stub: PistonStub, response: Answer):
    stub.answer = response
    result = await judge_for(stub).judge(SUM_OK, "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.IE
    assert result.detail == NOT_AVAILABLE


async def test_unreachable_piston_is_ie_and_the_gate_refuses():
    judge = PistonJudge(PistonConfig(base_url=f"http://127.0.0.1:{closed_port()}"))
    result = await judge.judge(SUM_OK, "python3", TESTS, LIMITS)
    assert result.verdict is Verdict.IE
    assert result.detail == NOT_AVAILABLE
    availability = await judge.availability()
    assert not availability.ok
    assert "unreachable" in availability.reason
    gate = JudgeGate.piston(judge.config)
    with pytest.raises(JudgeUnavailableError):
        await gate.get()


async def test_gate_hands_out_a_piston_that_answers(stub: PistonStub):
    gate = JudgeGate.piston(PistonConfig(base_url=stub.url))
    judge = await gate.get()
    assert isinstance(judge, PistonJudge)
    assert gate.reason is not None and "answers" in gate.reason
    await gate.aclose()


async def test_piston_without_python_is_not_available(stub: PistonStub):
    judge = PistonJudge(PistonConfig(base_url=stub.url, runtimes={"python3": "cpython"}))
    availability = await judge.availability()
    assert not availability.ok
    assert "cpython" in availability.reason


def test_only_http_urls_are_accepted():
    with pytest.raises(ValueError, match="http"):
        PistonConfig(base_url="file:///etc/passwd")


def test_settings_choose_the_backend():
    assert isinstance(judge_gate_from(JudgeSettings()), JudgeGate)
    with pytest.raises(ValueError, match="piston_url"):
        JudgeSettings(backend="piston", piston_url="ftp://x")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_submit_end_to_end_through_piston_chosen_by_settings(
    stub: PistonStub, settings: Settings, clock: FixedClock, db: Database
):
    del db
    chosen = settings.model_copy(update={"judge": JudgeSettings(backend="piston",
                                                                piston_url=stub.url)})
    application = build(chosen, clock)
    await prepare(application, seed_demo=False)
    async with running(application):
        chat = Chat(application)
        challenge = await create_sum(chat)
        reply = await chat.text(f"/submit {challenge} {code_block(SUM_OK)}", dm=True)
        assert "Accepted" in reply, reply
        assert len(stub.requests) == 3
        assert all(r["files"][0]["content"].strip() == SUM_OK for r in stub.requests)
