"""The local judge: bubblewrap sandboxes behind a bounded pool of uid-separated slots."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from bot.sandbox.bwrap import (
    WORK_DIR,
    WRITABLE_DIRS,
    LauncherTools,
    ToolMissingError,
    launcher_argv,
    prepare_supervisor,
    supervisor_command,
)
from bot.sandbox.cgroups import detect_cgroup_v2
from bot.sandbox.client import SandboxStartError, WorkerClient, WorkerDiedError, WorkerSession
from bot.sandbox.config import SandboxConfig
from bot.sandbox.facts import RunFacts
from bot.sandbox.languages import LanguageSpec, find_language
from bot.sandbox.limits import Limits
from bot.sandbox.procs import thread_count_of_uid
from bot.sandbox.results import JudgeResult, TestCase, TestResult, tail_text
from bot.sandbox.verdicts import Decision, Verdict, decide, decide_compile
from bot.sandbox.wire import SessionRequest, StepRequest

logger = logging.getLogger(__name__)

_PROBE_SOURCE = b"print('ok')\n"


@dataclass(frozen=True, slots=True)
class Availability:
    """Whether the sandbox can run code here, and if not, what an operator should fix."""

    ok: bool
    reason: str


@dataclass(frozen=True, slots=True)
class _Slot:
    index: int
    uid: int | None


class _Box:
    """A submission's sandbox as the judge sees it: steps in, facts out, never raising."""

    def __init__(self, session: WorkerSession | None, reason: str) -> None:
        self._session = session
        self._reason = reason

    async def run(self, argv: Sequence[str], stdin: bytes, limits: Limits) -> RunFacts:
        """One step's facts; a sandbox that never started gives IE facts."""
        if self._session is None:
            return RunFacts.not_started(self._reason or "sandbox did not start")
        try:
            return await self._session.run(StepRequest(tuple(argv), stdin, limits))
        except (WorkerDiedError, OSError) as error:
            logger.exception("sandbox worker failed")
            return RunFacts.not_started(f"sandbox worker failed: {error}")

    async def stop(self, runs: Sequence[asyncio.Task[RunFacts]]) -> None:
        """Kill the sandbox if queued steps remain, and wait until each has its answer."""
        if self._session is not None and not all(run.done() for run in runs):
            self._session.kill()
        await asyncio.gather(*runs, return_exceptions=True)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


class LocalSandbox:
    """Judges submissions in bubblewrap on this host.

    Sandboxes are spawned and reaped by a small worker process (``worker.py``), one
    per submission; an ``asyncio`` queue of free slots bounds concurrency, one host
    uid per slot.
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self._config = config or SandboxConfig()
        per_slot = self._config.per_slot_uid
        self._per_slot_uid = os.geteuid() == 0 if per_slot is None else per_slot
        self._cpus = self._pick_cpus()
        self._worker = WorkerClient()
        self._free: asyncio.Queue[_Slot] | None = None
        self._tools: LauncherTools | None = None
        self._tools_error: str | None = None
        self._announced = False
        self._supervisor_ready = False

    @property
    def config(self) -> SandboxConfig:
        """The host settings this judge was built with."""
        return self._config

    @property
    def cpus(self) -> tuple[int, ...]:
        """CPUs the sandboxes are pinned to (empty: any)."""
        return self._cpus

    def slot_uids(self) -> tuple[int, ...]:
        """Host uids the slots run as (empty in shared-uid mode)."""
        if not self._per_slot_uid:
            return ()
        return tuple(self._config.slot_uid(k) for k in range(self._config.slots))

    async def aclose(self) -> None:
        """Stop the worker process; running sandboxes are killed."""
        await self._worker.aclose()

    @property
    def worker_pid(self) -> int | None:
        """Pid of the worker process while it runs (for health checks and tests)."""
        return self._worker.pid

    async def availability(self) -> Availability:
        """Run a trivial program in the sandbox; callers refuse submissions if it fails."""
        tools = self._locate_tools()
        if tools is None:
            return Availability(False, self._tools_error or "sandbox tools missing")
        facts = await self.run_once(_PROBE_SOURCE.decode(), "python3", "", Limits(cpu_s=2))
        if facts.started and facts.returncode == 0 and facts.stdout == b"ok\n":
            return Availability(True, "bubblewrap sandbox works")
        reason = facts.setup_error or f"probe failed: exit {facts.returncode}"
        return Availability(False, reason)

    async def is_available(self) -> bool:
        """Whether bubblewrap is installed and actually runs a program."""
        return (await self.availability()).ok

    async def run_once(
        self, source: str, language: str, stdin: str = "", limits: Limits | None = None
    ) -> RunFacts:
        """Run ``source`` once with ``stdin`` (no compile step) and return the raw facts."""
        spec = find_language(language)
        limits = limits or Limits()
        data = _encode(stdin)
        async with self._slot() as slot, self._session(slot, spec, source, limits, [data]) as box:
            return await box.run(spec.run_argv, data, limits)

    async def judge(
        self, source: str, language: str, tests: Sequence[TestCase], limits: Limits
    ) -> JudgeResult:
        """Compile check, then each test in order until the first failure.

        A submission holds one slot and one sandbox for all its steps: the sandbox
        starts once and its supervisor runs each test with its own limits (G11);
        tests never interleave with another member's and the total budget holds.
        """
        spec = find_language(language)
        if not tests:
            raise ValueError("a challenge needs at least one test")
        inputs = [_encode(test.input) for test in tests]
        started = time.monotonic()
        async with self._slot() as slot, self._session(slot, spec, source, limits, inputs) as box:
            if spec.compile_argv is not None:
                facts = await box.run(spec.compile_argv, b"", limits.for_compile())
                failure = decide_compile(facts)
                if failure is not None:
                    return JudgeResult(
                        verdict=failure.verdict,
                        failed_test=None,
                        tests=(),
                        compile_output=tail_text(facts.stderr),
                        detail=failure.detail,
                    )
            # Every test is queued at once: the sandbox runs them back to back while
            # the judge decides the previous one, and a failure kills what is left.
            runs = [asyncio.create_task(box.run(spec.run_argv, data, limits)) for data in inputs]
            try:
                return await self._decide_in_order(tests, runs, limits, started)
            finally:
                await box.stop(runs)

    async def _decide_in_order(
        self,
        tests: Sequence[TestCase],
        runs: Sequence[asyncio.Task[RunFacts]],
        limits: Limits,
        started: float,
    ) -> JudgeResult:
        results: list[TestResult] = []
        for number, (test, run) in enumerate(zip(tests, runs, strict=True), start=1):
            if time.monotonic() - started > limits.total_wall_s:
                return JudgeResult(
                    Verdict.TLE, number, tuple(results), detail="total time budget exceeded"
                )
            facts = await run
            # Comparing outputs (up to the stdout limit, normalised line by line) is
            # CPU work: off the loop, one at a time per slot, so bounded by the slots.
            decision, result = await asyncio.to_thread(_verdict, number, facts, limits, test)
            results.append(result)
            if decision.verdict is not Verdict.AC:
                return JudgeResult(
                    decision.verdict, number, tuple(results), detail=decision.detail
                )
        return JudgeResult(Verdict.AC, None, tuple(results))

    @contextlib.asynccontextmanager
    async def _session(
        self,
        slot: _Slot,
        spec: LanguageSpec,
        source: str,
        limits: Limits,
        inputs: Sequence[bytes],
    ) -> AsyncIterator[_Box]:
        """One sandbox for a submission, retried once when it fails to start (IE otherwise)."""
        if not self._supervisor_ready:
            await asyncio.to_thread(prepare_supervisor)  # once: a subprocess, off the loop
            self._supervisor_ready = True
        request = self._session_request(slot, spec, source, limits, inputs)
        if isinstance(request, str):
            yield _Box(None, request)
            return
        session: WorkerSession | None = None
        reason = ""
        for attempt in range(2):
            try:
                session = await self._worker.open_session(request)
                break
            except (SandboxStartError, WorkerDiedError, OSError) as error:
                reason = str(error)
                log = logger.error if attempt else logger.warning
                log("sandbox failed to start (attempt %d): %s", attempt + 1, reason)
        try:
            yield _Box(session, reason)
        finally:
            if session is not None:
                with contextlib.suppress(WorkerDiedError, OSError):
                    await session.close()

    def _session_request(
        self,
        slot: _Slot,
        spec: LanguageSpec,
        source: str,
        limits: Limits,
        inputs: Sequence[bytes],
    ) -> SessionRequest | str:
        tools = self._locate_tools()
        if tools is None:
            return self._tools_error or "sandbox tools missing"
        if slot.uid is None:
            # Shared uid: RLIMIT_NPROC counts every thread of this uid, the bot's included.
            nproc = limits.processes + thread_count_of_uid(os.getuid())
        else:
            nproc = limits.processes
        launcher = launcher_argv(tools, limits, uid=slot.uid, nproc=nproc,
                                 max_stdin=max(map(len, inputs), default=0))
        return SessionRequest(
            launcher=tuple(launcher),
            bwrap=tools.bwrap,
            command=supervisor_command(self._config, self._cpus),
            source_path=spec.source_path,
            source=_encode(source),
            limits=limits,
            nproc=nproc,
            cwd=WORK_DIR,
            clean=WRITABLE_DIRS,
            keep=(spec.source_path,),
            extra_ro_binds=self._config.extra_ro_binds,
            sweep_uid=slot.uid,
        )

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[_Slot]:
        if self._free is None:
            self._free = asyncio.Queue()
            uids = self.slot_uids()
            for index in range(self._config.slots):
                self._free.put_nowait(_Slot(index, uids[index] if uids else None))
        slot = await self._free.get()
        try:
            yield slot
        finally:
            self._free.put_nowait(slot)

    def _locate_tools(self) -> LauncherTools | None:
        if self._tools is None and self._tools_error is None:
            try:
                self._tools = LauncherTools.locate(self._config)
            except ToolMissingError as error:
                self._tools_error = str(error)
                logger.exception("sandbox unavailable")
            self._announce_layers()
        return self._tools

    def _announce_layers(self) -> None:
        """Log once which isolation layers are active, so operators know what they get."""
        if self._announced:
            return
        self._announced = True
        cgroup = detect_cgroup_v2()
        logger.info(
            "sandbox layers: bwrap namespaces=%s, per-slot uid=%s, slots=%d, cpus=%s, "
            "rlimits=on, cgroup v2=%s (%s)",
            self._tools is not None,
            self._per_slot_uid,
            self._config.slots,
            ",".join(map(str, self._cpus)) or "any",
            "available, not used yet" if cgroup.usable else "off",
            cgroup.reason,
        )
        if not self._per_slot_uid:
            logger.warning(
                "sandbox runs as the bot's own uid: process limits are shared with the bot"
            )

    def _pick_cpus(self) -> tuple[int, ...]:
        if self._config.cpus is not None:
            return self._config.cpus
        allowed = sorted(os.sched_getaffinity(0))
        return (allowed[-1],) if len(allowed) >= 2 else ()


def _verdict(number: int, facts: RunFacts, limits: Limits,
             test: TestCase) -> tuple[Decision, TestResult]:
    """One test's decision and recorded result from the run's facts (in a worker thread)."""
    decision = decide(facts, limits, test.expected_output)
    return decision, TestResult.from_facts(number, decision, facts, test.public)
