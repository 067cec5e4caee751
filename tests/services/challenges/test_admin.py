"""Creating and managing challenges, tests files and bad input (no code is run here)."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.app import App, build, prepare, running
from bot.core.clock import FixedClock
from bot.core.model import Attachment
from bot.sandbox import SandboxConfig
from bot.services.challenges import JudgeGate
from config.settings import Settings
from storage import Database
from tests.harness import Chat, snapshot
from tests.services.challenges.conftest import code_block, create_sum, json_tests, zip_tests


async def test_create_with_json_shows_statement_and_only_public_examples(chat: Chat):
    challenge = await create_sum(chat, "points=20 bonus=7 cpu=1 memory=128 tags=math,io")
    shown = await chat.text(f"/challenge {challenge}")
    assert f"Challenge #{challenge}: Sum" in shown
    assert "Read two integers" in shown
    assert "20 points (+7 for the first solve)" in shown
    assert "CPU 1 s · memory 128 MiB" in shown and "tags: math, io" in shown
    assert "Example 1" in shown and "│ 1 2" in shown and "│ 3" in shown
    assert "40 2" not in shown and "42" not in shown  # hidden tests stay hidden
    listed = await chat.text("/challenges")
    assert f"#{challenge} Sum — easy, 20 points" in listed


async def test_create_with_zip_and_chosen_examples(chat: Chat):
    attachment = zip_tests({"1.in": b"1 1\n", "1.out": b"2\n", "2.in": b"2 2\n",
                            "2.out": b"4\n", "3.in": b"9 9\n", "3.out": b"18\n"})
    reply = await chat.text(
        '/challenge create title="Zipped" examples=2,3 statement=Add them.',
        admin=True, attachments=(attachment,))
    assert "(3 tests, 2 shown as examples)" in reply
    challenge = int(reply.split("#", 1)[1].split(":", 1)[0])
    shown = await chat.text(f"/challenge {challenge}")
    assert "Example 2" in shown and "Example 3" in shown and "Example 1" not in shown


async def test_defaults_window_edit_and_close(chat: Chat, clock: FixedClock):
    challenge = await create_sum(chat, 'closes="2026-11-30 18:00"')
    shown = await chat.text(f"/challenge {challenge}")
    assert "CPU 2 s · memory 256 MiB" in shown  # the defaults
    assert "Open until 2026-11-30 18:00 UTC" in shown
    edited = await chat.text(f'/challenge edit {challenge} points=25 title="Sum II"',
                             admin=True)
    assert f"Challenge #{challenge} updated (3 tests)" in edited
    assert "Sum II" in await chat.text(f"/challenge {challenge}")
    closed = await chat.text(f"/challenge close {challenge}", admin=True)
    assert "is closed" in closed
    assert "Closed." in await chat.text(f"/challenge {challenge}")
    assert "No challenge is open" in await chat.text("/challenges")
    refused = await chat.text(f"/submit {challenge} {code_block('print(1)')}")
    assert f"Challenge #{challenge} is closed." in refused


async def test_future_challenge_is_hidden_from_members(chat: Chat):
    challenge = await create_sum(chat, 'opens="2026-12-01 10:00"')
    assert "opens in" in await chat.text(f"/challenge {challenge}")
    assert "Read two integers" in await chat.text(f"/challenge {challenge}", admin=True)
    assert "No challenge is open" in await chat.text("/challenges")
    assert "is not open yet" in await chat.text(f"/submit {challenge} print(1)")


async def test_announcement_goes_to_the_outbox(chat: Chat, app: App):
    async with app.db.unit() as unit:
        await unit.channels.set_channel("console", "announcements", "general")
    challenge = await create_sum(chat)
    async with app.db.unit() as unit:
        rows = await unit.outbox.by_status(["pending"])
    assert any(f"New coding challenge #{challenge}: Sum" in r.text for r in rows)


async def test_non_admins_are_refused(chat: Chat, app: App):
    challenge = await create_sum(chat)
    before = await snapshot(app.db)
    for line in ("/challenge create title=X statement=Y", f"/challenge edit {challenge} points=1",
                 f"/challenge close {challenge}", f"/challenge rejudge {challenge}",
                 f"/challenge stats {challenge}"):
        reply = await chat.text(line, who="bob", attachments=(json_tests(),))
        assert "is for admins only" in reply, line
    await app.interactions.flush()
    after = await snapshot(app.db)
    after.pop("members"), before.pop("members"), after.pop("accounts"), before.pop("accounts")
    assert after == before


async def test_unknown_ids(chat: Chat):
    assert "There is no challenge #99" in await chat.text("/challenge 99")
    assert "There is no challenge #99" in await chat.text("/submit 99 print(1)")
    assert "There is no challenge #99" in await chat.text("/submissions 99")
    assert "There is no challenge #99" in await chat.text("/challenge close 99", admin=True)
    assert "There is no challenge #99" in await chat.text("/challenge stats 99", admin=True)
    assert "There is no challenge #99" in await chat.text("/challenge rejudge 99", admin=True)
    assert "There is no event #7" in await chat.text(
        "/challenge create title=T event=7 statement=S", admin=True,
        attachments=(json_tests(),))


def _zip_raw(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


BAD_FILES = [
    (Attachment("tests.json", b"{not json"), "is not valid JSON"),
    (Attachment("tests.json", b'{"input": "1"}'), "must be a non-empty JSON list"),
    (Attachment("tests.json", b"[]"), "must be a non-empty JSON list"),
    (json_tests([{"input": "1"}]), "test 1 needs text `input` and `output`"),
    (json_tests([{"input": "1", "output": "1"}, {"input": 2, "output": "2"}]),
     "test 2 needs text"),
    (json_tests([{"input": "1", "output": "1", "hidden": True}]),
     "test 1 has an unknown field `hidden`"),
    (json_tests([{"input": "1", "output": "1", "public": "yes"}]), "`public` must be true"),
    (json_tests([{"input": "1", "output": "1"}] * 51), "at most 50"),
    (Attachment("tests.json", b"[\xff\xfe]"), "is not UTF-8 text"),
    # PostgreSQL refuses NUL in text; a lone surrogate cannot be encoded at all.
    (Attachment("tests.json", b'[{"input": "1\\u0000", "output": "1"}]'),
     "test 1 input contains a NUL byte"),
    (Attachment("tests.json", b'[{"input": "1", "output": "\\ud800"}]'),
     "test 1 output contains a NUL byte or a broken character"),
    (zip_tests({"1.in": b"1", "1.out": b"\x00"}), "test 1 output contains a NUL byte"),
    (Attachment("notes.txt", b"hello"), "is not a tests file"),
    (Attachment("tests.zip", b"PK\x03\x04garbage"), "is not a valid zip file"),
    (zip_tests({"../1.in": b"1", "1.out": b"1"}), "entry `../1.in` is not allowed"),
    (zip_tests({"/etc/1.in": b"1", "1.out": b"1"}), "is not allowed"),
    (zip_tests({"sub/1.in": b"1", "sub/1.out": b"1"}), "is not allowed"),
    (zip_tests({"1.in": b"1", "1.out": b"1", "2.in": b"2"}), "`2.out` is missing"),
    (zip_tests({"1.in": b"1", "1.out": b"1", "3.in": b"3", "3.out": b"3"}),
     "test 2 is missing"),
    (zip_tests({"1.in": b"\xff", "1.out": b"1"}), "entry `1.in` is not UTF-8"),
    # A zip bomb: 9 MiB of zeros compress to a few KiB.
    (zip_tests({"1.in": b"0" * (9 * 1024 * 1024), "1.out": b"1"}), "unpacks to more than 8 MiB"),
    (zip_tests({"1.in": b"0" * (1024 * 1024 + 1), "1.out": b"1"}), "entry `1.in` is too big"),
    (Attachment("tests.zip", _zip_raw([(f"{n}.in", b"1") for n in range(1, 102)])),
     "101 entries; at most 100"),
]


async def _refused_without_change(chat: Chat, app: App, attachment: Attachment,
                                  message: str) -> None:
    await chat.say("/challenges", who="ada")  # ada exists before the snapshot
    await app.interactions.flush()
    before = await snapshot(app.db)
    reply = await chat.text("/challenge create title=Bad statement=S", who="ada", admin=True,
                            attachments=(attachment,))
    assert message in reply
    await app.interactions.flush()
    assert await snapshot(app.db) == before


# Parsing does not depend on the database: every case on SQLite, a few on both below.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("attachment", "message"), BAD_FILES,
                         ids=[m for _, m in BAD_FILES])
async def test_malformed_tests_files_are_refused_and_nothing_is_stored(
    chat: Chat, app: App, attachment: Attachment, message: str
):
    await _refused_without_change(chat, app, attachment, message)


async def test_malformed_tests_files_change_nothing_on_every_database(chat: Chat, app: App):
    chosen = ("is not valid JSON", "entry `../1.in` is not allowed", "unpacks to more than",
              "test 1 input contains a NUL byte")
    for attachment, message in (case for case in BAD_FILES if case[1].startswith(chosen)):
        await _refused_without_change(chat, app, attachment, message)


async def test_other_bad_create_input(chat: Chat, app: App):
    await chat.say("/challenges", who="ada")
    await app.interactions.flush()
    before = await snapshot(app.db)
    cases = [
        ("/challenge create title=T statement=S", (), "Attach the tests"),
        ("/challenge create title=T", (json_tests(),), "Please give the `statement`"),
        ("/challenge create title=T cpu=11 statement=S", (json_tests(),), "at most 10"),
        ("/challenge create title=T memory=8 statement=S", (json_tests(),), "at least 32"),
        ("/challenge create title=T language=cobol statement=S", (json_tests(),),
         "not one of: python3"),
        ('/challenge create title=T closes="2026-11-01 10:00" statement=S', (json_tests(),),
         "`closes` must be in the future"),
        ('/challenge create title=T opens="2026-12-05 10:00" closes="2026-12-01 10:00" '
         "statement=S", (json_tests(),), "`closes` must be after `opens`"),
        ("/challenge create title=T examples=9 statement=S", (json_tests(),), "too large"),
        ("/challenge create title=T statement=S", (json_tests(), json_tests()),
         "Attach only one file"),
    ]
    for line, attachments, message in cases:
        reply = await chat.text(line, who="ada", admin=True, attachments=attachments)
        assert message in reply, (line, reply)
    await app.interactions.flush()
    after = await snapshot(app.db)
    after.pop("audit_log"), before.pop("audit_log")
    assert after == before


async def test_stats_without_submissions(chat: Chat):
    challenge = await create_sum(chat)
    stats = await chat.text(f"/challenge stats {challenge}", admin=True)
    assert "0 submissions from 0 members, 0 solved" in stats and "Verdicts: none yet" in stats


async def test_oversized_and_empty_code_are_refused_and_nothing_is_stored(chat: Chat, app: App):
    challenge = await create_sum(chat)
    await chat.say("/challenges")
    await app.interactions.flush()
    before = await snapshot(app.db)
    big = Attachment("solution.py", b"#" * (64 * 1024 + 1), "text/x-python")
    assert "too big" in await chat.text(f"/submit {challenge}", attachments=(big,))
    assert "64 KiB" in await chat.text(f"/submit {challenge}", attachments=(big,))
    binary = Attachment("solution.py", b"\xff\xfe\x00", "text/x-python")
    assert "not UTF-8" in await chat.text(f"/submit {challenge}", attachments=(binary,))
    assert "code block" in await chat.text(f"/submit {challenge}")
    assert "code block" in await chat.text(f"/submit {challenge} ```\n\n```")
    both = Attachment("solution.py", b"print(1)", "text/x-python")
    assert "not both" in await chat.text(f"/submit {challenge} print(2)", attachments=(both,))
    await app.interactions.flush()
    after = await snapshot(app.db)
    assert after == before
    async with app.db.unit() as unit:
        assert await unit.challenges.submission_ids_of_challenge(challenge) == []


async def test_judge_unavailable_refuses_and_stores_nothing(
    settings: Settings, clock: FixedClock, db: Database
):
    del db
    gate = JudgeGate.local(SandboxConfig(bwrap_path="/nonexistent/bwrap"))
    application = build(settings, clock, judge_gate=gate)
    await prepare(application, seed_demo=False)
    async with running(application):
        chat = Chat(application)
        challenge = await create_sum(chat)
        await chat.say("/challenges")
        await application.interactions.flush()
        before = await snapshot(application.db)
        reply = await chat.text(f"/submit {challenge} {code_block('print(3)')}")
        assert "The judge is not available" in reply and "Nothing was stored" in reply
        await application.interactions.flush()
        after = await snapshot(application.db)
        assert after == before
        assert gate.reason is not None and "bubblewrap not found" in gate.reason
        # Refusals are remembered: no new attempt to start the sandbox for a while.
        assert "not available" in await chat.text(f"/submit {challenge} print(3)",
                                                  who="bob")
