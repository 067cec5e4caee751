"""Submissions judged by the real sandbox, end to end through /submit."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App, build, prepare, running
from bot.core.clock import FixedClock
from bot.core.model import Attachment, Platform
from bot.sandbox import SandboxConfig
from bot.services.challenges import (
    ChallengeRules,
    ChallengeService,
    JudgeBusyError,
    JudgeGate,
    SubmissionPlace,
)
from config.settings import Settings
from storage import Database
from storage.rows.activity import InteractionRow
from storage.rows.challenges import SubmissionRow
from tests.harness import Chat
from tests.services.challenges.conftest import (
    CHALLENGE_UID,
    SUM_OK,
    RecordingAwarder,
    code_block,
    create_sum,
    json_tests,
)

pytestmark = pytest.mark.sandbox
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
COOLDOWN = timedelta(seconds=11)


async def test_accepted_in_a_channel_awards_points_and_is_recorded(
    chat: Chat, app: App, awarder: RecordingAwarder
):
    challenge = await create_sum(chat, "points=10 bonus=5")
    replies = await chat.say(f"/submit {challenge} {code_block(SUM_OK)}")
    assert len(replies) == 1 and replies[0].private
    text = replies[0].text
    assert f"to challenge #{challenge} (Sum): Accepted, 3/3 tests (CPU " in text
    assert "MiB)" in text
    assert "First solve of this challenge! Solved. +10 points, +5 first-solve bonus." in text
    assert "Tip: send code to me in a DM" in text
    member = awarder.awards[0][0]
    assert awarder.awards == [
        (member, 10, f"solved challenge #{challenge}", f"challenge:{challenge}:solved:{member}"),
        (member, 5, f"first solve of challenge #{challenge}",
         f"challenge:{challenge}:first-solve"),
    ]
    listed = await chat.text("/submissions")
    assert f"challenge #{challenge} (Sum)" in listed and "Accepted" in listed
    await app.interactions.flush()
    async with app.db.engine.connect() as connection:
        kinds = (await connection.execute(
            select(InteractionRow.kind, InteractionRow.name))).all()
    assert ("submission", f"challenge {challenge}") in kinds
    stats = await chat.text(f"/challenge stats {challenge}", admin=True)
    assert "1 submission from 1 member, 1 solved" in stats and "Verdicts: AC 1" in stats
    assert "1. maya" in stats and "1 attempt (first solve)" in stats


async def test_wrong_answer_on_a_public_test_shows_the_first_differing_line(
    chat: Chat, app: App, clock: FixedClock, awarder: RecordingAwarder
):
    challenge = await create_sum(chat)
    reply = await chat.text(f"/submit {challenge} {code_block('print(4)')}", dm=True)
    assert "Wrong answer on test 1" in reply
    assert "Line 1: expected `3`, got `4`." in reply
    assert "Tip:" not in reply  # sent in a DM
    clock.advance(COOLDOWN)
    # Right on the public test, wrong on hidden test 2: no output is shown.
    hidden = "a, b = map(int, input().split())\nprint(3 if a == 1 else 0)"
    reply = await chat.text(f"/submit {challenge} {code_block(hidden)}", dm=True)
    assert "Wrong answer on test 2" in reply and "expected" not in reply
    assert awarder.awards == []


@SQLITE_ONLY
async def test_compile_and_runtime_errors_show_neutralised_stderr(
    chat: Chat, clock: FixedClock
):
    challenge = await create_sum(chat)
    reply = await chat.text(f"/submit {challenge} {code_block('print(')}")
    assert "Compile error" in reply and "SyntaxError" in reply
    clock.advance(COOLDOWN)
    crash = ("import sys\nsys.stderr.write('\\x1b[31m@everyone <@123> ```boom``` [x](http://e)\\n')"
             "\nprint(1 // 0)")
    reply = await chat.text(f"/submit {challenge} {code_block(crash)}")
    assert "Runtime error on test 1 — ZeroDivisionError" in reply
    assert "│ ZeroDivisionError: integer division or modulo by zero" in reply
    assert "@everyone" not in reply and "@\u200beveryone" in reply
    assert "<@123>" not in reply and "```" not in reply.split("\n", 1)[1].split("Tip")[0]
    assert "\x1b" not in reply and "](" not in reply
    clock.advance(COOLDOWN)
    hidden_crash = "a, b = map(int, input().split())\nprint(a + b if a == 1 else 1 // 0)"
    reply = await chat.text(f"/submit {challenge} {code_block(hidden_crash)}")
    assert "Runtime error on test 2 — ZeroDivisionError" in reply and "│" not in reply


@SQLITE_ONLY
async def test_time_limit_and_the_bot_keeps_answering(chat: Chat, clock: FixedClock):
    challenge = await create_sum(chat, "cpu=1")
    submitted = asyncio.create_task(
        chat.text(f"/submit {challenge} {code_block('import time; time.sleep(30)')}"))
    await asyncio.sleep(0.5)  # the submission is in the sandbox now
    started = time.monotonic()
    listed = await chat.text("/challenges", who="bob")
    assert f"#{challenge} Sum" in listed and time.monotonic() - started < 1.0
    assert not submitted.done()
    reply = await submitted
    assert "Time limit exceeded on test 1" in reply and "wall-clock" in reply
    clock.advance(COOLDOWN)
    reply = await chat.text(f"/submit {challenge} {code_block('while True: pass')}")
    assert "Time limit exceeded on test 1 — CPU time limit exceeded" in reply


@SQLITE_ONLY
async def test_code_as_an_attached_file_in_a_dm(chat: Chat):
    challenge = await create_sum(chat)
    source = Attachment("solution.py", SUM_OK.encode(), "text/x-python")
    reply = await chat.text(f"/submit {challenge}", dm=True, attachments=(source,))
    assert "Accepted, 3/3 tests" in reply


@SQLITE_ONLY
async def test_one_pending_submission_and_a_cooldown(chat: Chat, clock: FixedClock):
    challenge = await create_sum(chat)
    assert "Accepted" in await chat.text(f"/submit {challenge} {SUM_OK}")
    assert "Please wait" in await chat.text(f"/submit {challenge} {SUM_OK}")
    clock.advance(COOLDOWN)
    assert "Accepted" in await chat.text(f"/submit {challenge} {SUM_OK}")
    listed = await chat.text(f"/submissions {challenge}")
    assert listed.count("Accepted") == 2


async def test_rejudge_after_new_tests(
    chat: Chat, app: App, clock: FixedClock, awarder: RecordingAwarder
):
    challenge = await create_sum(chat)
    assert "Accepted" in await chat.text(f"/submit {challenge} {code_block(SUM_OK)}")
    assert "Wrong answer" in await chat.text(f"/submit {challenge} print(0)", who="bob")
    product = [{"input": "2 3\n", "output": "6\n", "public": True},
               {"input": "0 9\n", "output": "0\n"}]
    await chat.say(f"/challenge edit {challenge}", admin=True, who="ada",
                   attachments=(json_tests(product),))
    reply = await chat.text(f"/challenge rejudge {challenge}", admin=True, who="ada")
    assert "Rejudging 2 submissions" in reply
    await app.features.challenges.idle()
    maya = await chat.text(f"/submissions {challenge}")
    assert "Wrong answer on test 1" in maya
    bob = await chat.text(f"/submissions {challenge}", who="bob")
    # print(0) now passes test 2 but not test 1.
    assert "Wrong answer on test 1" in bob
    async with app.db.unit() as unit:
        notices = [r.text for r in await unit.outbox.by_status(["pending"])]
    # maya's verdict changed (AC → WA) so she gets a DM; bob's did not (WA → WA).
    assert len(notices) == 1 and "Wrong answer" in notices[0]
    stats = await chat.text(f"/challenge stats {challenge}", admin=True, who="ada")
    assert "Verdicts: WA 2" in stats
    # Solves and points are never taken back by a rejudge.
    assert len(awarder.awards) == 2


@SQLITE_ONLY
async def test_a_restart_judges_what_was_queued_or_running(chat: Chat, app: App):
    challenge = await create_sum(chat)
    await chat.say("/challenges")
    member = (await app.directory.resolve(Platform.CONSOLE, "maya"))
    assert member is not None
    async with app.db.unit() as unit:
        for status in ("queued", "running"):
            await unit.challenges.add_submission(SubmissionRow(
                challenge_id=challenge, member_id=member.member_id, language="python3",
                source=SUM_OK, platform="console", place_id="general", status=status,
                tests_passed=0, detail="", feedback="", judge_count=0,
                created_at=app.clock.now()))
    assert await app.features.challenges.recover() == 2
    await app.features.challenges.idle()
    async with app.db.unit() as unit:
        rows = await unit.challenges.submissions_of_member(member.member_id)
        notices = await unit.outbox.by_status(["pending"])
    assert [(r.status, r.verdict) for r in rows] == [("done", "AC"), ("done", "AC")]
    assert len(notices) == 2 and all("Accepted" in n.text for n in notices)


async def test_first_solve_bonus_is_awarded_once_to_concurrent_solvers(
    chat: Chat, app: App
):
    challenge = await create_sum(chat, "points=10 bonus=5")
    awarder = RecordingAwarder()
    service = ChallengeService(
        app.db, app.clock, JudgeGate.local(SandboxConfig(slots=2, base_uid=CHALLENGE_UID), self_check=False),
        app.interactions, app.outbox, awarder=awarder,
        rules=ChallengeRules(workers=2),
    )
    solvers = []
    for name in ("ann", "ben", "cat"):
        await chat.say("/challenges", who=name)
        found = await app.directory.resolve(Platform.CONSOLE, name)
        assert found is not None
        solvers.append(found)
    try:
        receipts = await asyncio.gather(*(
            service.submit(member, challenge, SUM_OK,
                           SubmissionPlace(Platform.CONSOLE, "general", False, f"s{n}"))
            for n, member in enumerate(solvers)
        ))
    finally:
        await service.aclose()
    outcomes = [r.outcome for r in receipts]
    assert all(o is not None and o.newly_solved for o in outcomes)
    assert sum(1 for o in outcomes if o and o.first_solve) == 1
    bonuses = [a for a in awarder.awards if a[3].endswith("first-solve")]
    assert len(bonuses) == 1
    assert sorted(a[1] for a in awarder.awards) == [5, 10, 10, 10]
    board = await service.leaderboard(challenge)
    assert [r.rank for r in board] == [1, 2, 3] and sum(r.first for r in board) == 1


async def test_mydata_includes_submissions_and_forgetme_removes_them(chat: Chat, app: App):
    challenge = await create_sum(chat)
    assert "Accepted" in await chat.text(f"/submit {challenge} {code_block(SUM_OK)}")
    replies = await chat.say("/mydata")
    assert replies[0].file is not None
    exported = json.loads(replies[0].file.data)
    submissions = exported["challenges"]["submissions"]
    assert len(submissions) == 1 and submissions[0]["source"].strip() == SUM_OK
    assert submissions[0]["verdict"] == "AC"
    assert exported["challenges"]["solves"][0]["challenge"] == challenge
    await chat.say("/forgetme confirm")
    async with app.db.engine.connect() as connection:
        count = (await connection.execute(select(func.count(SubmissionRow.id)))).scalar_one()
    async with app.db.unit() as unit:
        board = await unit.challenges.solves(challenge)
    assert count == 0 and board == []
    stats = await chat.text(f"/challenge stats {challenge}", admin=True, who="ada")
    assert "0 submissions from 0 members, 0 solved" in stats


@SQLITE_ONLY
async def test_the_default_gate_self_checks_the_sandbox_before_the_first_run(
    settings: Settings, clock: FixedClock, db: Database
):
    del db
    gate = JudgeGate.local(SandboxConfig(slots=1, base_uid=CHALLENGE_UID))
    application = build(settings, clock, judge_gate=gate)
    await prepare(application, seed_demo=False)
    async with running(application):
        chat = Chat(application)
        challenge = await create_sum(chat)
        assert "Accepted" in await chat.text(f"/submit {challenge} {SUM_OK}")
        assert gate.reason == "sandbox self-check passed"


@SQLITE_ONLY
async def test_a_full_queue_answers_busy_and_stores_nothing(chat: Chat, app: App):
    challenge = await create_sum(chat)
    service = ChallengeService(
        app.db, app.clock,
        JudgeGate.local(SandboxConfig(slots=1, base_uid=CHALLENGE_UID), self_check=False),
        app.interactions, app.outbox, awarder=RecordingAwarder(),
        rules=ChallengeRules(workers=1, queue_capacity=1),
    )
    members = []
    for name in ("ann", "ben"):
        await chat.say("/challenges", who=name)
        found = await app.directory.resolve(Platform.CONSOLE, name)
        assert found is not None
        members.append(found)
    slow = "import time; time.sleep(3); print(sum(map(int, input().split())))"
    try:
        first = asyncio.create_task(service.submit(
            members[0], challenge, slow, SubmissionPlace(Platform.CONSOLE, "general", False,
                                                         "q1")))
        # Until ann's submission holds the only place in the queue (not a fixed sleep: a
        # loaded machine took longer than one to get it there).
        for _ in range(400):
            if service.queue.pending:
                break
            await asyncio.sleep(0.025)
        assert service.queue.pending == 1 and not first.done()
        async with app.db.engine.connect() as connection:
            before = await connection.scalar(select(func.count(SubmissionRow.id)))
        with pytest.raises(JudgeBusyError, match="busy"):
            await service.submit(members[1], challenge, SUM_OK,
                                 SubmissionPlace(Platform.CONSOLE, "general", False, "q2"))
        async with app.db.engine.connect() as connection:
            assert await connection.scalar(select(func.count(SubmissionRow.id))) == before
        receipt = await first
        assert receipt.outcome is not None
    finally:
        await service.aclose()
