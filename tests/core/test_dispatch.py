"""The dispatcher with real services on a real database and test commands."""

import logging
import uuid
from datetime import timedelta

import pytest

from bot.core.clock import FixedClock
from bot.core.commands import Command, Context, Option, OptionKind, Where
from bot.core.dispatch import APOLOGY, Dispatcher, InputLimits, MessageContext
from bot.core.errors import UserError
from bot.core.model import Attachment, Incoming, Member, Place, Platform, Reply, UserRef
from bot.core.parsing import UNSTORABLE
from bot.services.activity import InteractionLog
from bot.services.members import MemberDirectory
from storage import Database
from tests.conftest import START as _NOW

GENERAL = Place(Platform.CONSOLE, "general", "general", False, "demo")


def incoming(command: str | None, text: str, who: str = "maya", admin: bool = False,
             place: Place = GENERAL, **kw: object) -> Incoming:
    return Incoming(author=UserRef(Platform.CONSOLE, who, who.title(), handle=who), place=place,
                    text=text, source_id=uuid.uuid4().hex,
                    received_at=_NOW, command=command, is_admin=admin,
                    **kw)  # type: ignore[arg-type]


@pytest.fixture
async def setup(db: Database, clock: FixedClock):
    seen: list[Context] = []
    heard: list[MessageContext] = []

    async def echo(ctx: Context) -> Reply:
        seen.append(ctx)
        return Reply(f"echo {dict(ctx.args)}")

    async def fail(ctx: Context) -> Reply:
        raise RuntimeError("database on fire: secret-token-123")

    async def refuse(ctx: Context) -> Reply:
        raise UserError("No, thank you.")

    async def listener(ctx: MessageContext) -> list[Reply]:
        heard.append(ctx)
        return []

    commands = [
        Command("echo", "Echo options", echo, options=(
            Option("n", OptionKind.INTEGER, "A number", required=True),
            Option("who", OptionKind.MEMBER, "Someone"),
            Option("when", OptionKind.DATETIME, "When"),
        )),
        Command("fail", "Always fails", fail),
        Command("refuse", "Refuses", refuse),
        Command("secret", "Admins only", echo, admin=True),
        Command("whisper", "DM only", echo, where=Where.DM),
        Command("event", "Events", subcommands=(
            Command("create", "Create", echo, options=(
                Option("title", OptionKind.TEXT, "Title", required=True),)),
            Command("show", "Show", echo, options=(
                Option("id", OptionKind.INTEGER, "Id", required=True),)),
        ), default="show"),
    ]
    log = InteractionLog(db, clock)
    directory = MemberDirectory(db, clock)
    dispatcher = Dispatcher(commands, [listener], directory, log, clock, InputLimits(max_line=4000,
                            max_attachment=100))
    return dispatcher, log, seen, heard


async def test_typed_options_reach_the_handler(setup, db):
    dispatcher, _, seen, _ = setup
    await dispatcher.handle(incoming(None, "hi", who="lin"))  # lin exists now
    replies = await dispatcher.handle(incoming("echo", "7 @lin when=\"tomorrow 18:00\""))
    assert len(replies) == 1
    ctx = seen[-1]
    assert ctx.get("n", int) == 7
    lin = ctx.get("who", Member)
    assert lin is not None and lin.display_name == "Lin"
    assert ctx.path == "echo"


async def test_user_error_becomes_a_friendly_private_reply(setup):
    dispatcher, *_ = setup
    [reply] = await dispatcher.handle(incoming("refuse", ""))
    assert reply == Reply("No, thank you.", private=True, feedback=True)


async def test_unexpected_error_is_an_apology_and_one_log_line(setup, caplog):
    dispatcher, *_ = setup
    caplog.set_level(logging.ERROR, logger="bot.core.dispatch")
    source = incoming("fail", "")
    [reply] = await dispatcher.handle(source)
    assert reply.text == APOLOGY
    assert "secret-token" not in reply.text and "Traceback" not in reply.text
    records = [r for r in caplog.records if r.name == "bot.core.dispatch"]
    assert len(records) == 1
    line = records[0].getMessage()
    for part in ("platform=console", "user=maya", "command=fail", f"source={source.source_id}"):
        assert part in line


async def test_admin_only_commands_are_refused_to_members(setup):
    dispatcher, _, seen, _ = setup
    [reply] = await dispatcher.handle(incoming("secret", ""))
    assert reply.text == "/secret is for admins only."
    assert not seen
    await dispatcher.handle(incoming("secret", "", admin=True))
    assert len(seen) == 1


async def test_dm_only_command_in_a_channel_is_refused(setup):
    dispatcher, _, seen, _ = setup
    [reply] = await dispatcher.handle(incoming("whisper", ""))
    assert "in a DM" in reply.text and not seen


async def test_unknown_command_suggests_the_closest(setup):
    dispatcher, *_ = setup
    [reply] = await dispatcher.handle(incoming("ecoh", "1"))
    assert "Did you mean /echo?" in reply.text


async def test_missing_or_malformed_option_gets_the_usage_line(setup):
    dispatcher, *_ = setup
    [reply] = await dispatcher.handle(incoming("echo", ""))
    assert reply.text == "`n` is missing.\nUsage: /echo <n> [who] [when]"
    [reply] = await dispatcher.handle(incoming("echo", "seven"))
    assert "`seven` is not a whole number." in reply.text and "Usage: /echo" in reply.text
    [reply] = await dispatcher.handle(incoming("echo", "1 @nobody"))
    assert "I don't know a member called `@nobody`" in reply.text


async def test_subcommands_and_the_groups_default(setup):
    dispatcher, _, seen, _ = setup
    await dispatcher.handle(incoming("event", 'create title="Hack night"'))
    assert seen[-1].path == "event create" and seen[-1].args == {"title": "Hack night"}
    await dispatcher.handle(incoming("event", "12"))
    assert seen[-1].path == "event show" and seen[-1].args == {"id": 12}
    [reply] = await dispatcher.handle(incoming("event", ""))
    assert reply.text.startswith("Usage: /event <create|show>")
    # Platforms with native subcommands (Discord) name the path and pass typed options.
    await dispatcher.handle(incoming("event show", "", options={"id": 3}))
    assert seen[-1].args == {"id": 3}


async def test_too_long_lines_and_files_are_refused(setup):
    dispatcher, _, seen, _ = setup
    [reply] = await dispatcher.handle(incoming("echo", "1 " + "x" * 4000))
    assert "too long" in reply.text and "4000" in reply.text
    big = Attachment("big.py", b"x" * 101)
    [reply] = await dispatcher.handle(incoming("echo", "1", attachments=(big,)))
    assert "too big" in reply.text
    assert not seen


async def test_commands_and_messages_are_recorded_as_interactions(setup, db):
    dispatcher, log, _, heard = setup
    await dispatcher.handle(incoming("echo", "1"))
    await dispatcher.handle(incoming(None, "hello all"))
    await dispatcher.handle(incoming("echo", ""))  # refused: not recorded
    assert heard and heard[-1].incoming.text == "hello all"
    await log.flush()
    async with db.unit() as unit:
        member = await unit.members.by_account("console", "maya")
        assert member is not None
        rows = await unit.interactions.for_member(member.id)
    assert [(r.kind, r.name) for r in rows] == [("command", "echo"), ("message", None)]


async def test_a_redelivered_event_is_stored_once(setup, db):
    dispatcher, log, _, _ = setup
    first = incoming(None, "hello")
    await dispatcher.handle(first)
    await log.flush()
    await dispatcher.handle(first)  # the platform delivered it again
    await log.flush()
    async with db.unit() as unit:
        assert await unit.interactions.count() == 1


async def test_the_log_batches_instead_of_committing_per_message(setup, db):
    dispatcher, log, _, _ = setup
    for _ in range(5):
        await dispatcher.handle(incoming(None, "spam"))
    assert log.pending == 5
    async with db.unit() as unit:
        assert await unit.interactions.count() == 0
    assert await log.flush() == 5


async def test_a_listener_failure_is_logged_not_answered(db, clock, caplog):
    async def broken(ctx: MessageContext) -> list[Reply]:
        raise RuntimeError("boom")

    dispatcher = Dispatcher([], [broken], MemberDirectory(db, clock), InteractionLog(db, clock),
                            clock)
    caplog.set_level(logging.ERROR)
    assert await dispatcher.handle(incoming(None, "hi")) == []
    assert any("listener failed" in r.getMessage() for r in caplog.records)


async def test_duplicate_command_names_fail_at_start(db, clock):
    async def noop(ctx: Context) -> Reply:
        return Reply("")

    with pytest.raises(ValueError, match="share a name"):
        Dispatcher([Command("a", "a", noop), Command("a", "b", noop)], [],
                   MemberDirectory(db, clock), InteractionLog(db, clock), clock)


def test_fixed_clock_moves_only_when_told():
    clock = FixedClock(_NOW)
    clock.advance(timedelta(hours=1))
    assert clock.now() == _NOW + timedelta(hours=1)


async def test_native_options_are_checked_like_typed_text(setup):
    """Discord hands options over already split; a NUL or a huge number there is refused too."""
    dispatcher, _, seen, _ = setup
    before = len(seen)
    [nul] = await dispatcher.handle(incoming("event create", "", options={"title": "a\x00b"}))
    [huge] = await dispatcher.handle(incoming("event show", "", options={"id": 2**31}))
    assert nul.text.startswith(UNSTORABLE)
    assert huge.text.startswith(f"{2**31} is too large")
    assert len(seen) == before
