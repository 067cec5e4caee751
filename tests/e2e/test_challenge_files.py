"""Coding challenges with files (#12.8): on Discord a tests file as an attachment option,
multi-line code through a modal, a .py file as an attachment; on Telegram a document whose
caption is the command. Real discord.py / python-telegram-bot against the emulators."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Sequence

import pytest

from bot.adapters.console import ConsoleAdapter, ConsoleMessenger
from bot.adapters.discord import DiscordAdapter
from bot.adapters.telegram import TelegramAdapter
from bot.app import App, build, prepare, running
from bot.core.clock import FixedClock
from bot.sandbox.limits import Limits
from bot.sandbox.results import JudgeResult, TestCase, Verdict
from bot.services.challenges import JudgeGate
from config.settings import Settings
from storage import Database
from tests.e2e.conftest import DiscordWorld, TelegramWorld, discord_options, telegram_options
from tests.emulators.discord_api import InjectedInteraction, InteractionCallback, UploadedFile
from tests.emulators.telegram_api import SentMessage
from tests.harness import snapshot

TESTS = json.dumps([{"input": "1 2\n", "output": "3\n", "public": True},
                    {"input": "40 2\n", "output": "42\n"}]).encode()
CODE = "a, b = map(int, input().split())\n\nprint(a + b)\n"


class AcceptingJudge:
    """Stands in for the sandbox (its own suites test it): every submission passes."""

    async def judge(self, source: str, language: str, tests: Sequence[TestCase],
                    limits: Limits) -> JudgeResult:
        del source, language, tests, limits
        return JudgeResult(Verdict.AC, None, ())

    async def is_available(self) -> bool:
        return True


@pytest.fixture
async def app(settings: Settings, clock: FixedClock, db: Database) -> AsyncIterator[App]:
    del db
    application = build(settings, clock,
                        judge_gate=JudgeGate(AcceptingJudge, self_check=False))
    await prepare(application, seed_demo=False)
    async with running(application):
        yield application


@pytest.fixture
async def bot(app: App, discord_world: DiscordWorld) -> AsyncIterator[DiscordAdapter]:
    adapter = DiscordAdapter(app.dispatcher, app.presence, app.clock,
                             discord_options(discord_world))
    async with adapter:
        app.platforms.add_messenger(adapter.messenger)
        yield adapter


@pytest.fixture
async def tg_bot(app: App, telegram_world: TelegramWorld) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(app.dispatcher, app.presence, app.clock,
                              telegram_options(telegram_world))
    async with adapter:
        app.platforms.add_messenger(adapter.messenger)
        yield adapter


async def _answer(world: DiscordWorld, interaction: InjectedInteraction) -> str:
    """The text the member sees: a follow-up, or an immediate message (type 4)."""
    for _ in range(300):
        for callback in world.emu.callbacks_for(interaction):
            if callback.type == InteractionCallback.MESSAGE:
                return callback.content
        created = [f for f in world.emu.followups_for(interaction) if f.action == "create"]
        if created:
            return created[-1].content
        await asyncio.sleep(0.01)
    raise AssertionError(f"no answer: {world.emu.records[-5:]}")


async def _create_challenge(world: DiscordWorld) -> int:
    interaction = await world.emu.send_interaction_create(
        world.guild, world.general, world.tomas, "challenge create",
        {"title": "Sum", "statement": "Print the sum of two integers.",
         "tests": UploadedFile("tests", "tests.json", TESTS, "application/json")})
    text = await _answer(world, interaction)
    assert text.startswith("Created challenge #"), text
    return int(text.split("#", 1)[1].split(":", 1)[0])


async def _source_of(app: App, receipt: str) -> str:
    """The stored source of the submission a receipt ("Submission #N …") names."""
    assert receipt.startswith("Submission #"), receipt
    number = int(receipt.removeprefix("Submission #").split(" ", 1)[0])
    async with app.db.unit() as unit:
        row = await unit.challenges.submission(number)
    assert row is not None
    return row.source


async def test_a_tests_file_attached_to_challenge_create_becomes_the_tests(app, bot,
                                                                           discord_world):
    create = discord_world.emu.command("challenge", discord_world.guild)
    sub = next(o for o in create["options"] if o["name"] == "create")
    tests_option = next(o for o in sub["options"] if o["name"] == "tests")
    assert tests_option["type"] == 11  # ATTACHMENT
    challenge_id = await _create_challenge(discord_world)
    async with app.db.unit() as unit:
        tests = await unit.challenges.tests(challenge_id)
    assert [(t.input, t.output, t.public) for t in tests] == [
        ("1 2\n", "3\n", True), ("40 2\n", "42\n", False)]


async def test_submit_without_code_opens_a_modal_whose_code_keeps_its_newlines(
        app, bot, discord_world):
    world, emu = discord_world, discord_world.emu
    challenge_id = await _create_challenge(world)
    asked = await emu.send_interaction_create(world.guild, world.general, world.maya,
                                              "submit", {"id": challenge_id})
    await emu.wait_for(InteractionCallback, lambda c: c.interaction_id == asked.id)
    assert [c.type for c in emu.callbacks_for(asked)] == [InteractionCallback.MODAL]
    modal = emu.modal_for(asked)
    text_input = modal["components"][0]["component"]
    assert text_input["style"] == 2 and text_input["max_length"] == 4000  # paragraph

    before = await snapshot(app.db)
    submitted = await emu.send_modal_submit(asked, {"code": CODE})
    receipt = await _answer(world, submitted)
    assert await _source_of(app, receipt) == CODE.strip()  # newlines inside kept

    # The same modal sent again (a double click, a retried request) runs nothing.
    await app.interactions.flush()
    middle = await snapshot(app.db)
    again = await emu.send_modal_submit(asked, {"code": "print('other')"})
    refusal = await _answer(world, again)
    assert "already sent" in refusal
    assert [c.ephemeral for c in emu.callbacks_for(again)] == [True]
    await app.interactions.flush()
    assert await snapshot(app.db) == middle != before


async def test_an_attached_py_file_is_submitted_without_a_modal(app, bot, discord_world):
    world, emu = discord_world, discord_world.emu
    challenge_id = await _create_challenge(world)
    interaction = await emu.send_interaction_create(
        world.guild, world.general, world.maya, "submit",
        {"id": challenge_id, "file": UploadedFile("file", "solution.py", CODE.encode(),
                                                  "text/x-python")})
    receipt = await _answer(world, interaction)
    assert emu.callbacks_for(interaction)[0].type == InteractionCallback.DEFER
    assert await _source_of(app, receipt) == CODE


async def test_an_oversized_attachment_is_refused_and_nothing_is_stored(app, bot,
                                                                        discord_world):
    world, emu = discord_world, discord_world.emu
    challenge_id = await _create_challenge(world)
    await app.interactions.flush()
    before = await snapshot(app.db)
    huge = b"#" * (app.dispatcher.limits.max_attachment + 1)
    interaction = await emu.send_interaction_create(
        world.guild, world.general, world.maya, "submit",
        {"id": challenge_id, "file": UploadedFile("file", "huge.py", huge, None)})
    text = await _answer(world, interaction)
    assert "`huge.py` is too big" in text
    await app.interactions.flush()
    assert await snapshot(app.db) == before


async def test_telegram_documents_fill_the_file_options(app, tg_bot, telegram_world):
    tg, world = telegram_world.tg, telegram_world
    tg.push_document(world.group, world.tomas, TESTS, "tests.json",
                     mime_type="application/json",
                     caption="/challenge create title=Sum statement=Add two integers.")
    created = await tg.wait_for(SentMessage, lambda m: m.chat_id == world.group.id)
    assert created.text.startswith("Created challenge #"), created.text
    challenge_id = int(created.text.split("#", 1)[1].split(":", 1)[0])
    dm = tg.private_chat(world.maya)
    tg.push_document(dm, world.maya, CODE.encode(), "solution.py",
                     caption=f"/submit {challenge_id}")
    receipt = await tg.wait_for(SentMessage, lambda m: m.chat_id == dm.id)
    assert await _source_of(app, receipt.text) == CODE
    tg.push_command(dm, world.maya, "help", "submit")
    usage = await tg.wait_for(SentMessage, lambda m: m.chat_id == dm.id and "Usage" in m.text)
    assert "/submit <id> [attached file] [code…]" in usage.text


async def test_console_attach_fills_the_file_options_and_marks_private_output(app, tmp_path):
    (tmp_path / "tests.json").write_bytes(TESTS)
    (tmp_path / "solution.py").write_text(CODE)
    out = io.StringIO()
    console = ConsoleAdapter(app.dispatcher, app.clock, ConsoleMessenger(out, tmp_path),
                             io.StringIO(), out, interactive=False, on_advance=asyncio.sleep)
    for line in (":as ada admin", f":attach {tmp_path / 'tests.json'}",
                 "/challenge create title=Sum statement=Add two integers."):
        await console.handle_line(line)
    created = out.getvalue().split("Created challenge #", 1)[1]
    challenge_id = int(created.split(":", 1)[0])
    for line in (":as maya", f":attach {tmp_path / 'solution.py'}", f"/submit {challenge_id}"):
        await console.handle_line(line)
    receipt = out.getvalue().split("[#general · only maya] ", 1)[1].splitlines()[0]
    assert await _source_of(app, receipt) == CODE
