"""Coding challenges: problems, tests files, submissions, verdicts, solves and scoring.

A submission is validated, stored (queued) and only then judged by the
:class:`~bot.services.judging.JudgingQueue` in front of the sandbox, so a restart judges
again what was waiting or running. The verdict is decided by the sandbox's own engine;
this service turns it into what a member may see (for public tests only, the first
differing line or the last lines of stderr; everything neutralised), records the first
solve of each member and the first solve of each challenge, and awards points through a
:class:`PointsAwarder` - a port the points ledger implements.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import stat
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core import values
from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Attachment, Member, Platform
from bot.core.ports import InteractionKind
from bot.sandbox.checker import first_difference
from bot.sandbox.limits import MIB, Limits
from bot.sandbox.results import TAIL_BYTES, JudgeResult, TestCase
from bot.sandbox.verdicts import Verdict
from bot.services.activity import InteractionLog
from bot.services.code_similarity import (
    MAX_SUBMISSIONS,
    CodeSample,
    SimilarPair,
    similar_pairs,
)
from bot.services.judging import (
    JudgeBusyError,
    JudgeGate,
    JudgingQueue,
    neutralise_block,
    neutralise_line,
)
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from storage import Database, Unit
from storage.rows.challenges import ChallengeRow, ChallengeTestRow, SubmissionRow

logger = logging.getLogger(__name__)

LANGUAGES = ("python3",)
DIFFICULTIES = ("easy", "medium", "hard")
MAX_SOURCE_BYTES = 64 * 1024
MAX_TESTS = 50
MAX_TEST_FIELD_BYTES = 1 * MIB
MAX_TESTS_TOTAL_BYTES = 8 * MIB
MAX_ZIP_ENTRIES = 2 * MAX_TESTS
MAX_TITLE = 200
MAX_STATEMENT = 4000
MAX_TAGS = 10
MAX_EXAMPLE_CHARS = 300
REPLY_LIMIT = 1900  # under Discord's 2000 characters; Telegram allows 4096
_ZIP_NAME = re.compile(r"^(\d{1,3})\.(in|out)$")
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#.-]*)[ \t]*\n?(.*)```", re.DOTALL)

VERDICT_NAMES = {
    Verdict.AC: "Accepted",
    Verdict.WA: "Wrong answer",
    Verdict.TLE: "Time limit exceeded",
    Verdict.MLE: "Memory limit exceeded",
    Verdict.RE: "Runtime error",
    Verdict.CE: "Compile error",
    Verdict.OLE: "Output limit exceeded",
    Verdict.IE: "Internal error (the judge failed, not your code)",
}


class PointsAwarder(Protocol):
    """Where challenge points go; the points ledger implements it."""

    async def award(self, unit: Unit, member_id: int, amount: int, reason: str,
                    key: str) -> bool:
        """Award ``amount`` once per ``key`` inside ``unit``; True when it was new."""
        ...


class NoPointsLedger:
    """The default awarder until the points ledger exists: writes nothing."""

    async def award(self, unit: Unit, member_id: int, amount: int, reason: str,
                    key: str) -> bool:
        """Award nothing."""
        del unit, member_id, amount, reason, key
        return False


# Values handlers see.


@dataclass(frozen=True, slots=True)
class ChallengeFields:
    """Fields of a challenge to set; None leaves a field as it is (or takes the default)."""

    title: str | None = None
    statement: str | None = None
    language: str | None = None
    difficulty: str | None = None
    tags: str | None = None
    points: int | None = None
    bonus: int | None = None
    cpu_s: int | None = None
    memory_mib: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    event_id: int | None = None
    examples: str | None = None  # "1,2" or "none": which tests are shown as examples
    queued: bool = False  # held back for the rotation instead of opening


@dataclass(frozen=True, slots=True)
class Example:
    """A public test shown with the statement."""

    number: int
    input: str
    output: str


@dataclass(frozen=True, slots=True)
class ChallengeView:
    """A challenge as members and admins see it."""

    id: int
    title: str
    statement: str
    language: str
    difficulty: str
    tags: tuple[str, ...]
    points: int
    bonus: int
    cpu_s: float
    memory_mib: int
    opens_at: datetime
    closes_at: datetime | None
    status: str
    event_id: int | None
    test_count: int = 0
    examples: tuple[Example, ...] = ()

    def accepting(self, now: datetime) -> bool:
        """Whether submissions are accepted at ``now``."""
        return (self.status == "open" and self.opens_at <= now
                and (self.closes_at is None or now < self.closes_at))


@dataclass(frozen=True, slots=True)
class SubmissionView:
    """A submission and, once judged, its verdict."""

    id: int
    challenge_id: int
    challenge_title: str
    status: str
    verdict: Verdict | None
    failed_test: int | None
    tests_passed: int
    test_count: int
    cpu_s: float | None
    memory_mib: float | None
    detail: str
    feedback: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SubmissionOutcome:
    """A judged submission with what it earned."""

    submission: SubmissionView
    points: int = 0
    bonus: int = 0
    first_solve: bool = False
    newly_solved: bool = False


@dataclass(frozen=True, slots=True)
class SubmitReceipt:
    """What ``/submit`` gets: the outcome, or the queue position when it took too long."""

    submission_id: int
    outcome: SubmissionOutcome | None
    position: int | None = None


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    """One solver of a challenge, in order of solve time."""

    rank: int
    member_id: int
    display_name: str
    solved_at: datetime
    attempts: int
    first: bool


@dataclass(frozen=True, slots=True)
class ChallengeStats:
    """Attempts, solves, verdict counts and the leaderboard of one challenge."""

    challenge: ChallengeView
    submissions: int
    members: int
    solves: int
    verdicts: Mapping[str, int]
    leaderboard: tuple[LeaderboardRow, ...]
    queued: int = 0


@dataclass(frozen=True, slots=True)
class SubmissionPlace:
    """Where a submission was sent from (for the interaction log and late verdicts)."""

    platform: Platform
    place_id: str
    is_direct: bool
    source_id: str


@dataclass(frozen=True, slots=True)
class ChallengeRules:
    """Tunable limits of the submission flow."""

    cooldown_s: float = 10.0
    reply_wait_s: float = 120.0
    queue_capacity: int = 20
    workers: int = 1
    total_budget_s: float = 30.0


# Tests files.


def parse_tests_file(attachment: Attachment) -> list[tuple[str, str, bool]]:
    """Read ``(input, output, public)`` tests from a JSON list or a zip of N.in/N.out pairs.

    Every problem is refused with a message naming the entry; nothing is trusted from a
    zip's headers (sizes are re-checked while reading, so a zip bomb stops at the cap).
    """
    data = attachment.data
    name = attachment.filename.lower()
    if data.startswith(b"PK\x03\x04") or name.endswith(".zip"):
        return _parse_zip(attachment.filename, data)
    if name.endswith(".json") or data.lstrip()[:1] == b"[":
        return _parse_json(attachment.filename, data)
    raise UserError(
        f"`{_safe_name(attachment.filename)}` is not a tests file: attach a .json list of "
        '{"input", "output", "public"} objects or a .zip of 1.in/1.out pairs.'
    )


def _safe_name(name: str) -> str:
    return neutralise_line(name, 80)


def _parse_json(filename: str, data: bytes) -> list[tuple[str, str, bool]]:
    shown = _safe_name(filename)
    if len(data) > MAX_TESTS_TOTAL_BYTES:
        raise UserError(f"`{shown}` is too big (at most {MAX_TESTS_TOTAL_BYTES // MIB} MiB).")
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise UserError(f"`{shown}` is not UTF-8 text.") from None
    except ValueError as error:
        raise UserError(f"`{shown}` is not valid JSON: {neutralise_line(str(error), 120)}."
                        ) from None
    if not isinstance(document, list) or not document:
        raise UserError(f"`{shown}` must be a non-empty JSON list of tests.")
    if len(document) > MAX_TESTS:
        raise UserError(f"`{shown}` has {len(document)} tests; at most {MAX_TESTS}.")
    tests: list[tuple[str, str, bool]] = []
    for number, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            raise UserError(f"`{shown}`: test {number} is not an object.")
        unknown = set(item) - {"input", "output", "public"}
        if unknown:
            field_name = neutralise_line(sorted(map(str, unknown))[0], 40)
            raise UserError(f"`{shown}`: test {number} has an unknown field `{field_name}`.")
        given, expected, public = item.get("input"), item.get("output"), item.get("public", False)
        if not isinstance(given, str) or not isinstance(expected, str):
            raise UserError(f"`{shown}`: test {number} needs text `input` and `output`.")
        if not isinstance(public, bool):
            raise UserError(f"`{shown}`: test {number}: `public` must be true or false.")
        tests.append((given, expected, public))
    _check_sizes(shown, tests)
    return tests


def _parse_zip(filename: str, data: bytes) -> list[tuple[str, str, bool]]:
    shown = _safe_name(filename)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UserError(f"`{shown}` is not a valid zip file.") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise UserError(f"`{shown}` has {len(entries)} entries; at most {MAX_ZIP_ENTRIES}.")
        declared = sum(entry.file_size for entry in entries)
        if declared > MAX_TESTS_TOTAL_BYTES:
            raise UserError(f"`{shown}` unpacks to more than {MAX_TESTS_TOTAL_BYTES // MIB} MiB.")
        files: dict[tuple[int, str], str] = {}
        budget = MAX_TESTS_TOTAL_BYTES
        for entry in entries:
            entry_name = neutralise_line(entry.filename, 80)
            match = _ZIP_NAME.match(entry.filename)
            mode = entry.external_attr >> 16
            if match is None or entry.is_dir() or stat.S_ISLNK(mode):
                raise UserError(
                    f"`{shown}`: entry `{entry_name}` is not allowed; use only flat "
                    "1.in, 1.out, 2.in, … files (no folders or links)."
                )
            if entry.flag_bits & 0x1:
                raise UserError(f"`{shown}`: entry `{entry_name}` is encrypted.")
            key = (int(match[1]), match[2])
            if key in files:
                raise UserError(f"`{shown}`: entry `{entry_name}` appears twice.")
            limit = min(MAX_TEST_FIELD_BYTES, budget)
            try:
                with archive.open(entry) as handle:
                    raw = handle.read(limit + 1)  # never trust the declared size
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError,
                    RuntimeError):
                raise UserError(f"`{shown}`: entry `{entry_name}` cannot be read.") from None
            if len(raw) > limit:
                raise UserError(f"`{shown}`: entry `{entry_name}` is too big.")
            budget -= len(raw)
            try:
                files[key] = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise UserError(f"`{shown}`: entry `{entry_name}` is not UTF-8 text.") from None
    numbers = sorted({number for number, _ in files})
    if not numbers:
        raise UserError(f"`{shown}` has no tests.")
    if len(numbers) > MAX_TESTS:
        raise UserError(f"`{shown}` has {len(numbers)} tests; at most {MAX_TESTS}.")
    if numbers != list(range(1, len(numbers) + 1)):
        missing = next(n for n in range(1, numbers[-1] + 1) if n not in numbers)
        raise UserError(
            f"`{shown}`: tests must be numbered 1, 2, 3, …; test {missing} is missing.")
    tests = []
    for number in numbers:
        for part in ("in", "out"):
            if (number, part) not in files:
                raise UserError(f"`{shown}`: `{number}.{part}` is missing.")
        tests.append((files[(number, "in")], files[(number, "out")], number == 1))
    _check_sizes(shown, tests)
    return tests


def _check_sizes(shown: str, tests: Sequence[tuple[str, str, bool]]) -> None:
    total = 0
    for number, (given, expected, _) in enumerate(tests, start=1):
        for label, text in (("input", given), ("output", expected)):
            size = len(text.encode("utf-8"))
            if size > MAX_TEST_FIELD_BYTES:
                raise UserError(f"`{shown}`: test {number} {label} is over 1 MiB.")
            total += size
    if total > MAX_TESTS_TOTAL_BYTES:
        raise UserError(f"`{shown}`: tests total more than {MAX_TESTS_TOTAL_BYTES // MIB} MiB.")


def _apply_examples(tests: list[tuple[str, str, bool]], examples: str | None
                    ) -> list[tuple[str, str, bool]]:
    if examples is None:
        return tests
    text = examples.strip().lower()
    chosen: set[int] = set()
    if text not in ("", "none"):
        for part in text.replace(" ", "").split(","):
            number = values.parse_int(part, 1, len(tests)) if part else None
            if number is None:
                raise UserError("`examples` lists test numbers, e.g. `1,2`, or `none`.")
            chosen.add(number)
    return [(given, expected, n in chosen) for n, (given, expected, _) in
            enumerate(tests, start=1)]


def extract_code(text: str, attachments: Sequence[Attachment]) -> str:
    """The submitted source: the first ``` block, the plain text, or an attached file."""
    inline = text.strip()
    if inline and attachments:
        raise UserError("Send the code either in a code block or as one attached file, not both.")
    if attachments:
        if len(attachments) > 1:
            raise UserError("Attach one file with your code.")
        attachment = attachments[0]
        if attachment.size > MAX_SOURCE_BYTES:
            raise UserError(
                f"Your code is too big ({attachment.size} bytes; the limit is "
                f"{MAX_SOURCE_BYTES // 1024} KiB)."
            )
        try:
            source = attachment.data.decode("utf-8")
        except UnicodeDecodeError:
            raise UserError("The attached file is not UTF-8 text.") from None
    else:
        fenced = _FENCE.search(inline)
        source = fenced[2] if fenced else inline
    if "\x00" in source:
        raise UserError("Your code contains a NUL byte.")
    if not source.strip():
        raise UserError("Please send your code in a ``` code block or as an attached file.")
    if len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise UserError(f"Your code is too big (the limit is {MAX_SOURCE_BYTES // 1024} KiB).")
    return source


# The service.


class ChallengeService:
    """Challenges for admins, submissions for members, verdicts and solves for everyone."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        gate: JudgeGate,
        interactions: InteractionLog,
        outbox: Outbox,
        *,
        awarder: PointsAwarder | None = None,
        rules: ChallengeRules | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._gate = gate
        self._interactions = interactions
        self._outbox = outbox
        self.awarder: PointsAwarder = awarder or NoPointsLedger()
        self.rules = rules or ChallengeRules()
        self.queue: JudgingQueue[SubmissionOutcome | None] = JudgingQueue(
            self._process, workers=self.rules.workers, capacity=self.rules.queue_capacity,
            on_error=self._judging_failed,
        )
        self._submitting: set[int] = set()  # members between their checks and the insert

    def use_awarder(self, awarder: PointsAwarder) -> None:
        """Send points to ``awarder`` from now on (the points feature wires its ledger)."""
        self.awarder = awarder

    # Life cycle.

    async def recover(self) -> int:
        """Queue again what was waiting or running when the process stopped."""
        async with self._db.unit() as unit:
            ids = await unit.challenges.pending_ids()
            await unit.challenges.requeue(ids)
        if ids:
            logger.info("re-queued %d submissions after a restart", len(ids))
        return self.queue.put(ids)

    async def idle(self) -> None:
        """Wait until nothing is queued (tests, shutdown)."""
        await self.queue.idle()

    async def aclose(self) -> None:
        """Stop judging and the sandbox; queued submissions stay stored."""
        await self.queue.aclose()
        await self._gate.aclose()

    # Admin side.

    async def create(self, author: Member, fields: ChallengeFields,
                     tests_file: Attachment | None) -> ChallengeView:
        """Validate everything, then store the challenge, its tests and its announcement."""
        now = self._clock.now()
        if fields.title is None:
            raise UserError("Please give the challenge a `title`.")
        if fields.statement is None or not fields.statement.strip():
            raise UserError("Please give the `statement` (it comes last on the line).")
        if tests_file is None:
            raise UserError("Attach the tests: a .json list or a .zip of 1.in/1.out pairs.")
        tests = _apply_examples(parse_tests_file(tests_file), fields.examples)
        row = ChallengeRow(
            title="", statement="", language="python3", difficulty="medium", tags="",
            points=10, first_solve_bonus=5, cpu_ms=2000, memory_mib=256, opens_at=now,
            closes_at=None, status="open", created_by=author.member_id, created_at=now,
        )
        _assign(row, fields, now)
        if fields.queued:
            row.status = "queued"  # opened (and announced) by the rotation
        async with self._db.unit() as unit:
            await self._check_event(unit, row.event_id)
            await unit.challenges.add(row)
            await unit.challenges.replace_tests(row.id, tests)
            if not fields.queued:
                await self._announce(unit, row, now)
            return await self._view(unit, row)

    async def rotate(self, period: timedelta) -> ChallengeView | None:
        """Open the next queued challenge for ``period`` and announce it (a scheduled job)."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            row = await unit.challenges.next_queued()
            if row is None:
                logger.info("challenge rotation: nothing queued")
                return None
            row.status, row.opens_at, row.closes_at = "open", now, now + period
            row.updated_at = now
            await self._announce(unit, row, now)
            return await self._view(unit, row)

    async def edit(self, challenge_id: int, fields: ChallengeFields,
                   tests_file: Attachment | None) -> ChallengeView:
        """Change a challenge; new tests replace the old ones (rejudge to apply them)."""
        now = self._clock.now()
        new_tests = parse_tests_file(tests_file) if tests_file is not None else None
        async with self._db.unit() as unit:
            row = await self._get(unit, challenge_id)
            if new_tests is None and fields.examples is not None:
                new_tests = [(t.input, t.output, t.public)
                             for t in await unit.challenges.tests(challenge_id)]
            _assign(row, fields, now)
            row.updated_at = now
            await self._check_event(unit, row.event_id)
            if new_tests is not None:
                await unit.challenges.replace_tests(
                    challenge_id, _apply_examples(new_tests, fields.examples))
            await unit.session.flush()
            return await self._view(unit, row)

    async def close(self, challenge_id: int) -> ChallengeView:
        """Stop accepting submissions now."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            row = await self._get(unit, challenge_id)
            if row.status == "closed":
                raise UserError(f"Challenge #{challenge_id} is already closed.")
            row.status = "closed"
            if row.closes_at is None or row.closes_at > now:
                row.closes_at = now
            row.updated_at = now
            await unit.session.flush()
            return await self._view(unit, row)

    async def rejudge(self, challenge_id: int) -> int:
        """Judge every submission of a challenge again; members hear of changed verdicts."""
        async with self._db.unit() as unit:
            await self._get(unit, challenge_id)
        await self._gate.get()
        async with self._db.unit() as unit:
            ids = await unit.challenges.submission_ids_of_challenge(challenge_id)
            await unit.challenges.requeue(ids)
        self.queue.put(ids)
        return len(ids)

    async def stats(self, challenge_id: int) -> ChallengeStats:
        """Attempts, solves, verdict counts and the leaderboard."""
        async with self._db.unit() as unit:
            row = await self._get(unit, challenge_id)
            total, members = await unit.challenges.attempt_counts(challenge_id)
            return ChallengeStats(
                challenge=await self._view(unit, row),
                submissions=total,
                members=members,
                solves=await unit.challenges.solve_count(challenge_id),
                verdicts=await unit.challenges.verdict_counts(challenge_id),
                leaderboard=tuple(await self._leaderboard(unit, row)),
                queued=self.queue.pending,
            )

    async def similar(self, challenge_id: int) -> list[SimilarPair]:
        """Pairs of members whose first accepted submissions are near-identical."""
        async with self._db.unit() as unit:
            await self._get(unit, challenge_id)
            rows = await unit.challenges.first_accepted(challenge_id, limit=MAX_SUBMISSIONS)
            samples = [CodeSample(row.id, row.member_id, name, row.source) for row, name in rows]
        return await asyncio.to_thread(similar_pairs, samples)

    # Member side.

    async def open_challenges(self) -> list[ChallengeView]:
        """Challenges accepting submissions now."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            return [await self._view(unit, row, examples=False)
                    for row in await unit.challenges.open_at(now)]

    async def show(self, challenge_id: int, *, is_admin: bool) -> ChallengeView:
        """A challenge with its public examples (before it opens: admins only)."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            row = await self._get(unit, challenge_id)
            if row.opens_at > now and not is_admin:
                raise UserError(
                    f"Challenge #{challenge_id} opens {values.relative(row.opens_at, now)}.")
            return await self._view(unit, row)

    async def leaderboard(self, challenge_id: int) -> list[LeaderboardRow]:
        """Solvers in order of solve time."""
        async with self._db.unit() as unit:
            row = await self._get(unit, challenge_id)
            return await self._leaderboard(unit, row)

    async def submit(self, member: Member, challenge_id: int, source: str,
                     place: SubmissionPlace) -> SubmitReceipt:
        """Store a submission, queue it, and wait (a while) for its verdict."""
        if member.member_id in self._submitting:
            raise UserError("Your previous submission is still being judged; "
                            "please wait for its verdict.")
        self._submitting.add(member.member_id)
        try:
            submission_id = await self._store(member, challenge_id, source, place)
        finally:
            self._submitting.discard(member.member_id)
        self.queue.put([submission_id])
        outcome = await self.queue.wait(submission_id, within=self.rules.reply_wait_s)
        if outcome is None:
            return SubmitReceipt(submission_id, None, self.queue.position(submission_id))
        return SubmitReceipt(submission_id, outcome)

    async def _store(self, member: Member, challenge_id: int, source: str,
                     place: SubmissionPlace) -> int:
        now = self._clock.now()
        async with self._db.unit() as unit:
            row = await self._get(unit, challenge_id)
            view = _to_view(row)
            if not view.accepting(now):
                if row.opens_at > now:
                    raise UserError(f"Challenge #{challenge_id} is not open yet.")
                raise UserError(f"Challenge #{challenge_id} is closed.")
            if await unit.challenges.pending_for_member(member.member_id):
                raise UserError("Your previous submission is still being judged; "
                                "please wait for its verdict.")
            last = await unit.challenges.last_submitted_at(member.member_id)
            if last is not None:
                wait = self.rules.cooldown_s - (now - last).total_seconds()
                if wait > 0:
                    raise UserError(f"Please wait {int(wait) + 1} s before submitting again.")
        if not self.queue.has_room():
            raise JudgeBusyError("The judge is busy right now; please try again in a minute.")
        await self._gate.get()  # refuses (nothing stored) when the sandbox cannot confine
        async with self._db.unit() as unit:
            stored = await unit.challenges.add_submission(SubmissionRow(
                challenge_id=challenge_id, member_id=member.member_id, language=row.language,
                source=source, platform=place.platform.value, place_id=place.place_id,
                status="queued", tests_passed=0, detail="", feedback="", judge_count=0,
                created_at=now,
            ))
            submission_id = stored.id
        self._interactions.record_raw(
            member_id=member.member_id, platform=place.platform.value, place_id=place.place_id,
            kind=InteractionKind.SUBMISSION, name=f"challenge {challenge_id}",
            source_key=f"{place.platform.value}:submission:{place.source_id}",
        )
        return submission_id

    async def submissions(self, member: Member, challenge_id: int | None = None,
                          limit: int = 10) -> list[SubmissionView]:
        """A member's latest submissions, newest first."""
        async with self._db.unit() as unit:
            if challenge_id is not None:
                await self._get(unit, challenge_id)
            rows = await unit.challenges.submissions_of_member(member.member_id, challenge_id,
                                                               limit)
            return [await self._submission_view(unit, row) for row in rows]

    # Judging.

    async def _process(self, submission_id: int, claim_reply: Callable[[], bool]
                       ) -> SubmissionOutcome | None:
        async with self._db.unit() as unit:
            row = await unit.challenges.submission(submission_id)
            if row is None:  # forgotten while queued
                return None
            challenge = await unit.challenges.get(row.challenge_id)
            if challenge is None:
                return None
            tests = await unit.challenges.tests(challenge.id)
            previous = row.verdict
            await unit.challenges.update_submission(submission_id, status="running")
            source, language, member_id = row.source, row.language, row.member_id
            limits = Limits(cpu_s=challenge.cpu_ms / 1000, memory_mib=challenge.memory_mib,
                            total_wall_s=self.rules.total_budget_s)
        cases = [TestCase(t.input, t.output, t.public) for t in tests]
        try:
            judge = await self._gate.get()
            result = await judge.judge(source, language, cases, limits)
        except UserError:
            logger.warning("submission %s not judged: the judge is unavailable", submission_id)
            result = JudgeResult(Verdict.IE, None, (), detail="judge unavailable")
        if result.verdict is Verdict.IE:
            logger.error("internal judge error on submission %s: %s", submission_id,
                         result.detail)
        now = self._clock.now()
        fields = _result_fields(result, tests)
        async with self._db.unit() as unit:
            await unit.challenges.update_submission(
                submission_id, status="done", judged_at=now,
                judge_count=SubmissionRow.judge_count + 1, **fields)
            fresh = await unit.challenges.submission(submission_id)
            if fresh is None:
                return None  # forgotten while it ran
            await unit.session.refresh(fresh)
            outcome = SubmissionOutcome(await self._submission_view(unit, fresh))
            if result.verdict is Verdict.AC:
                outcome = await self._solved(unit, challenge, member_id, submission_id,
                                             outcome, now)
            if not claim_reply() and (previous is None or previous != result.verdict.value):
                # Nobody waits for this verdict (restart, rejudge, slow queue): send a DM.
                await self._outbox.put(unit, [Outgoing(
                    key=f"submission:{submission_id}:verdict:{fresh.judge_count}",
                    kind=OutboxKind.NOTICE, text=render_outcome(outcome), due_at=now,
                    member_id=member_id,
                )])
        return outcome

    async def _judging_failed(self, submission_id: int) -> None:
        """A bug, not the member's code: record IE so the member is not blocked forever."""
        async with self._db.unit() as unit:
            await unit.challenges.update_submission(
                submission_id, status="done", verdict=Verdict.IE.value,
                detail="internal error", judged_at=self._clock.now())

    async def _solved(self, unit: Unit, challenge: ChallengeRow, member_id: int,
                      submission_id: int, outcome: SubmissionOutcome, now: datetime
                      ) -> SubmissionOutcome:
        attempts = await unit.challenges.attempts_until(challenge.id, member_id, submission_id)
        if not await unit.challenges.add_solve(challenge.id, member_id, submission_id,
                                               attempts, now):
            return outcome
        points = bonus = 0
        if challenge.points > 0 and await self.awarder.award(
            unit, member_id, challenge.points, f"solved challenge #{challenge.id}",
            f"challenge:{challenge.id}:solved:{member_id}",
        ):
            points = challenge.points
        first = await unit.challenges.claim_first_solve(challenge.id, member_id, now)
        if first and challenge.first_solve_bonus > 0 and await self.awarder.award(
            unit, member_id, challenge.first_solve_bonus,
            f"first solve of challenge #{challenge.id}", f"challenge:{challenge.id}:first-solve",
        ):
            bonus = challenge.first_solve_bonus
        return replace(outcome, points=points, bonus=bonus, first_solve=first,
                       newly_solved=True)

    # Helpers.

    async def _get(self, unit: Unit, challenge_id: int) -> ChallengeRow:
        row = await unit.challenges.get(challenge_id)
        if row is None:
            raise UserError(f"There is no challenge #{challenge_id}. Send /challenges to list "
                            "the open ones.")
        return row

    async def _check_event(self, unit: Unit, event_id: int | None) -> None:
        if event_id is not None and await unit.events.get(event_id) is None:
            raise UserError(f"There is no event #{event_id}.")

    async def _view(self, unit: Unit, row: ChallengeRow, *, examples: bool = True
                    ) -> ChallengeView:
        tests = await unit.challenges.tests(row.id)
        shown = tuple(Example(t.number, t.input, t.output) for t in tests if t.public)
        return replace(_to_view(row), test_count=len(tests),
                       examples=shown if examples else ())

    async def _submission_view(self, unit: Unit, row: SubmissionRow) -> SubmissionView:
        challenge = await unit.challenges.get(row.challenge_id)
        tests = len(await unit.challenges.tests(row.challenge_id)) if challenge else 0
        return SubmissionView(
            id=row.id, challenge_id=row.challenge_id,
            challenge_title=challenge.title if challenge else "?", status=row.status,
            verdict=Verdict(row.verdict) if row.verdict else None, failed_test=row.failed_test,
            tests_passed=row.tests_passed, test_count=tests,
            cpu_s=row.cpu_ms / 1000 if row.cpu_ms is not None else None,
            memory_mib=row.memory_kib / 1024 if row.memory_kib is not None else None,
            detail=row.detail, feedback=row.feedback, created_at=row.created_at,
        )

    async def _leaderboard(self, unit: Unit, row: ChallengeRow) -> list[LeaderboardRow]:
        return [
            LeaderboardRow(rank, solve.member_id, name, solve.solved_at, solve.attempts,
                           solve.member_id == row.first_solver_id)
            for rank, (solve, name) in
            enumerate(await unit.challenges.solves(row.id), start=1)
        ]

    async def _announce(self, unit: Unit, row: ChallengeRow, now: datetime) -> None:
        text = (f"New coding challenge #{row.id}: {row.title} ({row.difficulty}, "
                f"{row.points} points). Send /challenge {row.id} to read it.")
        messages = [
            Outgoing(key=f"challenge:{row.id}:announce:{platform}:{place_id}",
                     kind=OutboxKind.ANNOUNCEMENT, text=text, due_at=max(now, row.opens_at),
                     platform=Platform(platform), place_id=place_id)
            for platform, place_id in await unit.channels.channels("announcements")
        ]
        if messages:
            await self._outbox.put(unit, messages)


def _assign(row: ChallengeRow, fields: ChallengeFields, now: datetime) -> None:
    """Validate and copy the given fields onto a row."""
    if fields.title is not None:
        title = " ".join(fields.title.split())
        if not 1 <= len(title) <= MAX_TITLE:
            raise UserError(f"A title has 1-{MAX_TITLE} characters.")
        row.title = title
    if fields.statement is not None:
        statement = fields.statement.strip()
        if not 1 <= len(statement) <= MAX_STATEMENT:
            raise UserError(f"A statement has 1-{MAX_STATEMENT} characters.")
        row.statement = statement
    if fields.language is not None:
        if fields.language not in LANGUAGES:
            raise UserError(f"Supported languages: {', '.join(LANGUAGES)}.")
        row.language = fields.language
    if fields.difficulty is not None:
        row.difficulty = values.parse_choice(fields.difficulty, DIFFICULTIES)
    if fields.tags is not None:
        tags = [t.strip().lower() for t in fields.tags.split(",") if t.strip()]
        if len(tags) > MAX_TAGS or any(len(t) > 30 for t in tags):
            raise UserError(f"At most {MAX_TAGS} tags of up to 30 characters each.")
        row.tags = ",".join(dict.fromkeys(tags))
    for name, value, lo, hi in (("points", fields.points, 0, 1000),
                                ("bonus", fields.bonus, 0, 1000),
                                ("cpu", fields.cpu_s, 1, 10),
                                ("memory", fields.memory_mib, 32, 1024)):
        if value is not None and not lo <= value <= hi:
            raise UserError(f"`{name}` must be between {lo} and {hi}.")
    if fields.points is not None:
        row.points = fields.points
    if fields.bonus is not None:
        row.first_solve_bonus = fields.bonus
    if fields.cpu_s is not None:
        row.cpu_ms = fields.cpu_s * 1000
    if fields.memory_mib is not None:
        row.memory_mib = fields.memory_mib
    if fields.opens_at is not None:
        row.opens_at = fields.opens_at
    if fields.closes_at is not None:
        if fields.closes_at <= now:
            raise UserError("`closes` must be in the future.")
        row.closes_at = fields.closes_at
        if row.status == "closed":
            row.status = "open"  # a new closing time reopens a closed challenge
    if row.closes_at is not None and row.closes_at <= row.opens_at:
        raise UserError("`closes` must be after `opens`.")
    if fields.event_id is not None:
        row.event_id = fields.event_id


def _to_view(row: ChallengeRow) -> ChallengeView:
    return ChallengeView(
        id=row.id, title=row.title, statement=row.statement, language=row.language,
        difficulty=row.difficulty, tags=tuple(t for t in row.tags.split(",") if t),
        points=row.points, bonus=row.first_solve_bonus, cpu_s=row.cpu_ms / 1000,
        memory_mib=row.memory_mib, opens_at=row.opens_at, closes_at=row.closes_at,
        status=row.status, event_id=row.event_id,
    )


def _result_fields(result: JudgeResult, tests: Sequence[ChallengeTestRow]) -> dict[str, Any]:
    """Submission columns from a judge result; feedback only from public tests."""
    passed = sum(1 for test in result.tests if test.verdict is Verdict.AC)
    feedback = ""
    failing = next((t for t in result.tests if t.number == result.failed_test), None)
    if result.verdict is Verdict.CE:
        feedback = neutralise_block(result.compile_output)
    elif failing is not None and failing.public:
        expected = tests[failing.number - 1].output if failing.number <= len(tests) else ""
        if result.verdict is Verdict.WA and len(failing.stdout_tail.encode()) < TAIL_BYTES:
            diff = first_difference(failing.stdout_tail.encode(), expected)
            if diff is not None:
                feedback = (f"Line {diff.line}: expected "
                            f"`{neutralise_line(diff.expected, 120)}`, got "
                            f"`{neutralise_line(diff.actual, 120)}`.")
        elif result.verdict is Verdict.RE:
            feedback = neutralise_block(failing.stderr_tail)
    return {
        "verdict": result.verdict.value,
        "failed_test": result.failed_test,
        "tests_passed": passed,
        "cpu_ms": round(result.max_cpu_s * 1000),
        "memory_kib": result.max_memory_bytes // 1024,
        "detail": neutralise_line(result.detail, 200),
        "feedback": feedback,
    }


# Rendering (shared by the handlers and late verdict DMs).


def render_outcome(outcome: SubmissionOutcome) -> str:
    """The verdict message for a judged submission."""
    sub = outcome.submission
    lines = [f"Submission #{sub.id} to challenge #{sub.challenge_id} "
             f"({neutralise_line(sub.challenge_title, 80)}): {render_verdict(sub)}"]
    if sub.feedback:
        lines.append(sub.feedback)
    if outcome.newly_solved:
        earned = []
        if outcome.points:
            earned.append(f"+{outcome.points} points")
        if outcome.bonus:
            earned.append(f"+{outcome.bonus} first-solve bonus")
        first = "First solve of this challenge! " if outcome.first_solve else ""
        lines.append(f"{first}Solved. {', '.join(earned)}".rstrip(". ") + ".")
    return truncate("\n".join(lines))


def render_verdict(sub: SubmissionView) -> str:
    """``Wrong answer on test 2 (CPU 0.03 s, memory 9.1 MiB)``."""
    if sub.verdict is None:
        return "waiting to be judged" if sub.status == "queued" else "being judged"
    name = VERDICT_NAMES[sub.verdict]
    if sub.verdict is Verdict.AC:
        name += f", {sub.tests_passed}/{sub.test_count} tests"
    elif sub.failed_test is not None:
        name += f" on test {sub.failed_test}"
    if sub.detail and sub.verdict not in (Verdict.AC, Verdict.WA, Verdict.CE):
        name += f" — {sub.detail}"
    figures = []
    if sub.cpu_s is not None and sub.verdict is not Verdict.CE:
        figures.append(f"CPU {sub.cpu_s:.2f} s")
    if sub.memory_mib is not None and sub.verdict is not Verdict.CE:
        figures.append(f"memory {sub.memory_mib:.1f} MiB")
    return name + (f" ({', '.join(figures)})" if figures else "")


def truncate(text: str, limit: int = REPLY_LIMIT) -> str:
    """Cut a reply to the platform limit."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# /mydata and /forgetme.


class SubmissionData:
    """A member's submissions and solves, for ``/mydata`` and ``/forgetme``."""

    name = "challenges"

    async def export(self, unit: Unit, member_id: int) -> Any:
        """Submissions (with code) and solves."""
        submissions = await unit.challenges.submissions_of_member(member_id)
        solves = await unit.challenges.solves_of_member(member_id)
        return {
            "submissions": [
                {"id": s.id, "challenge": s.challenge_id, "language": s.language,
                 "source": s.source, "status": s.status, "verdict": s.verdict,
                 "failed_test": s.failed_test, "cpu_ms": s.cpu_ms, "memory_kib": s.memory_kib,
                 "submitted_at": s.created_at.isoformat(),
                 "judged_at": s.judged_at.isoformat() if s.judged_at else None}
                for s in reversed(submissions)
            ],
            "solves": [
                {"challenge": s.challenge_id, "submission": s.submission_id,
                 "attempts": s.attempts, "solved_at": s.solved_at.isoformat()}
                for s in solves
            ],
        }

    async def forget(self, unit: Unit, member_id: int) -> None:
        """Delete the member's submissions and solves."""
        await unit.challenges.delete_for_member(member_id)
