"""A remote judge on a self-hosted Piston API (JUDGE.md §3.6), standard library only.

Piston only executes: one ``POST {base_url}/api/v2/execute`` per test returns raw facts
(exit code, signal, status, output, times, memory), which are turned into
:class:`~bot.sandbox.facts.RunFacts` and judged by the same verdict engine and checker as
the local sandbox, so both backends give the same verdicts for the same facts.

Piston statuses: ``TO`` timed out (wall or CPU), ``SG`` killed by a signal, ``RE``
non-zero exit, ``OL``/``EL`` stdout/stderr over ``output_max_size`` (raise it on the
self-hosted instance: the default of 1024 characters is too small for checking), ``XX``
internal error. The Piston host runs untrusted code: keep it off the bot's machine and
reachable only over a private link; the bot sends source and stdin, nothing else.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.sandbox.facts import KillReason, RunFacts
from bot.sandbox.judge import Availability
from bot.sandbox.limits import Limits
from bot.sandbox.results import JudgeResult, TestCase, TestResult, tail_text
from bot.sandbox.verdicts import Decision, Verdict, decide

logger = logging.getLogger(__name__)

NOT_AVAILABLE = "judge not available"
# Cohort language name -> Piston runtime name.
DEFAULT_RUNTIMES: Mapping[str, str] = {"python3": "python"}
_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
# Seconds added to the limits for the HTTP round trip and Piston's own start-up.
_HTTP_SLACK_S = 10.0
# A Python file that does not parse fails with one of these and no traceback header.
_PY_SYNTAX = re.compile(r"^(SyntaxError|IndentationError|TabError)\b")


# No proxies from the environment: source code goes straight to the configured host.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class PistonError(Exception):
    """Piston could not be reached or answered something unusable."""


@dataclass(frozen=True, slots=True)
class PistonConfig:
    """Where Piston runs and how Cohort's languages map to its runtimes.

    ``strip_stdin_newline`` removes one trailing newline from each test's input because
    Piston appends one to stdin (JUDGE.md §3.6).
    """

    base_url: str = "http://127.0.0.1:2000"
    slots: int = 1
    runtimes: Mapping[str, str] | None = None
    version: str = "*"
    strip_stdin_newline: bool = True
    request_slack_s: float = _HTTP_SLACK_S

    def __post_init__(self) -> None:
        if not re.match(r"^https?://[^/\s]+", self.base_url):
            raise ValueError(f"piston base_url must be an http(s) URL, got {self.base_url!r}")
        if not 1 <= self.slots <= 64:
            raise ValueError(f"slots must be in [1, 64], got {self.slots}")

    def runtime(self, language: str) -> str:
        """Piston's name for a Cohort language (unknown names pass through)."""
        runtimes = DEFAULT_RUNTIMES if self.runtimes is None else self.runtimes
        return runtimes.get(language.strip().lower(), language.strip().lower())


@dataclass(frozen=True, slots=True)
class PistonStage:
    """One stage (``compile`` or ``run``) of Piston's answer."""

    code: int | None
    signal: str | None
    status: str | None
    message: str | None
    stdout: str
    stderr: str
    cpu_ms: float | None
    wall_ms: float | None
    memory_bytes: int | None

    @classmethod
    def parse(cls, data: Any) -> PistonStage:
        """Read a stage leniently; a malformed one raises :class:`PistonError`."""
        if not isinstance(data, dict):
            raise PistonError("stage is not an object")

        def number(key: str) -> float | None:
            value = data.get(key)
            return float(value) if isinstance(value, int | float) else None

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        code = data.get("code")
        memory = number("memory")
        return cls(
            code=code if isinstance(code, int) else None,
            signal=text("signal"),
            status=text("status"),
            message=text("message"),
            stdout=text("stdout") or "",
            stderr=text("stderr") or "",
            cpu_ms=number("cpu_time"),
            wall_ms=number("wall_time"),
            memory_bytes=int(memory) if memory is not None else None,
        )

    def failed(self) -> bool:
        """Whether the stage did not finish cleanly."""
        return bool(self.status) or self.code != 0 or self.signal is not None


def signal_number(name: str | None) -> int | None:
    """``"SIGKILL"`` -> 9; None for no or an unknown signal."""
    if not name:
        return None
    try:
        return int(signal.Signals[name.upper()])
    except KeyError:
        return None


def stage_facts(stage: PistonStage) -> RunFacts:
    """Piston's report of one stage as the raw facts the verdict engine decides on."""
    if stage.status == "XX":
        return RunFacts.not_started(f"piston internal error: {stage.message or 'unknown'}")
    killed = {"TO": KillReason.WALL, "OL": KillReason.STDOUT, "EL": KillReason.STDERR}.get(
        stage.status or "", KillReason.NONE
    )
    sig = signal_number(stage.signal)
    if stage.code is not None:
        returncode: int | None = stage.code
    elif sig is not None:
        returncode = 128 + sig
    else:
        returncode = None if killed is KillReason.NONE else 137
    if returncode is None:
        return RunFacts.not_started("piston reported neither an exit code nor a signal")
    return RunFacts(
        returncode=returncode,
        cpu_s=(stage.cpu_ms or 0.0) / 1000,
        wall_s=(stage.wall_ms or 0.0) / 1000,
        peak_rss_bytes=stage.memory_bytes or 0,
        stdout=stage.stdout.encode("utf-8", errors="surrogateescape"),
        stderr=stage.stderr.encode("utf-8", errors="surrogateescape"),
        killed=killed,
        sandbox_pid=0,  # remote: no host pid, but the program did start
    )


def _python_syntax_error(stage: PistonStage) -> bool:
    """Python has no compile stage on Piston: a file that does not parse fails at once."""
    if stage.code != 1 or stage.status not in (None, "RE"):
        return False
    if "Traceback (most recent call last)" in stage.stderr:
        return False
    lines = [line for line in stage.stderr.splitlines() if line.strip()]
    return bool(lines) and _PY_SYNTAX.match(lines[-1]) is not None


class PistonJudge:
    """Judges submissions on a self-hosted Piston API, one request per test.

    Implements the :class:`~bot.sandbox.protocol.Judge` port. Requests run in threads
    (``urllib``), at most ``config.slots`` at a time; a Piston that cannot be reached or
    answers garbage gives IE ("judge not available"), never an exception.
    """

    def __init__(self, config: PistonConfig | None = None) -> None:
        self._config = config or PistonConfig()
        self._slots = asyncio.Semaphore(self._config.slots)

    @property
    def config(self) -> PistonConfig:
        """Where this judge sends code."""
        return self._config

    async def aclose(self) -> None:
        """Nothing to stop: every request is its own connection."""

    async def availability(self) -> Availability:
        """Ask Piston for its runtimes; available when it answers and has Python."""
        try:
            data = await asyncio.to_thread(self._request, "GET", "/api/v2/runtimes", None, 10.0)
        except PistonError as error:
            return Availability(False, f"piston at {self._config.base_url}: {error}")
        wanted = self._config.runtime("python3")
        names: set[str] = set()
        if isinstance(data, list):
            for runtime in data:
                if isinstance(runtime, dict):
                    names.add(str(runtime.get("language", "")))
                    aliases = runtime.get("aliases")
                    if isinstance(aliases, list):
                        names.update(str(alias) for alias in aliases)
        if wanted not in names:
            return Availability(False, f"piston has no {wanted!r} runtime installed")
        return Availability(True, f"piston at {self._config.base_url} answers")

    async def is_available(self) -> bool:
        """Whether Piston answers and can run Python."""
        return (await self.availability()).ok

    async def judge(
        self, source: str, language: str, tests: Sequence[TestCase], limits: Limits
    ) -> JudgeResult:
        """Each test in order until the first failure, each as one execute request."""
        if not tests:
            raise ValueError("a challenge needs at least one test")
        async with self._slots:
            started = time.monotonic()
            results: list[TestResult] = []
            for number, test in enumerate(tests, start=1):
                if time.monotonic() - started > limits.total_wall_s:
                    return JudgeResult(
                        Verdict.TLE, number, tuple(results), detail="total time budget exceeded"
                    )
                try:
                    answer = await self.execute(source, language, test.input, limits)
                except PistonError as error:
                    logger.warning("piston request failed: %s", error)
                    return JudgeResult(Verdict.IE, number, tuple(results), detail=NOT_AVAILABLE)
                compiled = answer.get("compile")
                if compiled is not None:
                    stage = PistonStage.parse(compiled)
                    if stage.failed():
                        return _compile_error(stage, stage.stderr or stage.stdout)
                run = PistonStage.parse(answer.get("run"))
                if number == 1 and language in DEFAULT_RUNTIMES and _python_syntax_error(run):
                    return _compile_error(run, run.stderr)
                facts = stage_facts(run)
                decision = decide(facts, limits, test.expected_output)
                if decision.verdict is Verdict.IE:
                    logger.error("piston could not run test %d: %s", number, decision.detail)
                result = TestResult.from_facts(number, decision, facts, test.public)
                results.append(result)
                if decision.verdict is not Verdict.AC:
                    return JudgeResult(
                        decision.verdict, number, tuple(results), detail=decision.detail
                    )
            return JudgeResult(Verdict.AC, None, tuple(results))

    def request_body(self, source: str, language: str, stdin: str, limits: Limits
                     ) -> dict[str, Any]:
        """The ``/api/v2/execute`` payload for one run (times in ms, memory in bytes)."""
        if self._config.strip_stdin_newline and stdin.endswith("\n"):
            stdin = stdin[:-1]
        compile_limits = limits.for_compile()
        return {
            "language": self._config.runtime(language),
            "version": self._config.version,
            "files": [{"content": source}],
            "stdin": stdin,
            "args": [],
            "run_timeout": round(limits.effective_wall_s * 1000),
            "run_cpu_time": round(limits.cpu_s * 1000),
            "run_memory_limit": limits.address_space_bytes,
            "compile_timeout": round(compile_limits.effective_wall_s * 1000),
            "compile_cpu_time": round(compile_limits.cpu_s * 1000),
            "compile_memory_limit": compile_limits.address_space_bytes,
        }

    async def execute(self, source: str, language: str, stdin: str, limits: Limits
                      ) -> dict[str, Any]:
        """One execute call; :class:`PistonError` when it fails or answers nonsense."""
        body = self.request_body(source, language, stdin, limits)
        timeout = (
            limits.effective_wall_s
            + limits.for_compile().effective_wall_s
            + self._config.request_slack_s
        )
        data = await asyncio.to_thread(self._request, "POST", "/api/v2/execute", body, timeout)
        if not isinstance(data, dict) or not isinstance(data.get("run"), dict):
            raise PistonError("answer without a run stage")
        return data

    def _request(self, method: str, path: str, body: dict[str, Any] | None, timeout: float
                 ) -> Any:
        url = self._config.base_url.rstrip("/") + path
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        # http(s) only: PistonConfig refuses any other scheme.
        request = urllib.request.Request(  # noqa: S310
            url, data=payload, method=method, headers=headers)
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                raw = response.read(_MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as error:
            detail = _error_message(error)
            raise PistonError(f"HTTP {error.code}{': ' + detail if detail else ''}") from error
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            raise PistonError(f"unreachable ({error})") from error
        if len(raw) > _MAX_RESPONSE_BYTES:
            raise PistonError("answer too large")
        try:
            return json.loads(raw)
        except ValueError as error:
            raise PistonError("answer is not JSON") from error


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(error.read(4096))
    except (ValueError, OSError):
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return str(message)[:200] if message else ""


def _compile_error(stage: PistonStage, output: str) -> JudgeResult:
    limited = stage.status in ("TO", "OL", "EL") or stage.signal is not None
    decision = Decision(Verdict.CE, "compilation exceeded its limits" if limited else "")
    return JudgeResult(
        verdict=decision.verdict,
        failed_test=None,
        tests=(),
        compile_output=tail_text(output.encode("utf-8", errors="surrogateescape")),
        detail=decision.detail,
    )
