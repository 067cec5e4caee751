"""``/challenges``, ``/challenge …``, ``/submit`` and ``/submissions``."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core import values
from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.errors import UserError
from bot.core.model import Attachment, Reply
from bot.services.challenges import (
    DIFFICULTIES,
    LANGUAGES,
    MAX_SOURCE_BYTES,
    MAX_STATEMENT,
    ChallengeFields,
    ChallengeService,
    SubmissionPlace,
    extract_code,
    texts,
)

_ID = Option("id", OptionKind.INTEGER, "Challenge number", required=True, min_value=1)


def _field_options(*, title_required: bool) -> tuple[Option, ...]:
    return (
        Option("title", OptionKind.TEXT, "Short title", required=title_required,
               max_length=200),
        Option("difficulty", OptionKind.CHOICE, "How hard it is", choices=DIFFICULTIES),
        Option("points", OptionKind.INTEGER, "Points for a solve (default 10)",
               min_value=0, max_value=1000),
        Option("bonus", OptionKind.INTEGER, "Extra points for the first solver (default 5)",
               min_value=0, max_value=1000),
        Option("cpu", OptionKind.INTEGER, "CPU seconds per test (default 2)",
               min_value=1, max_value=10),
        Option("memory", OptionKind.INTEGER, "Memory in MiB (default 256)",
               min_value=32, max_value=1024),
        Option("language", OptionKind.CHOICE, "Language of submissions", choices=LANGUAGES),
        Option("tags", OptionKind.TEXT, "Comma-separated tags", max_length=300),
        Option("opens", OptionKind.DATETIME, "When submissions open (default now)"),
        Option("closes", OptionKind.DATETIME, "When submissions close (default never)"),
        Option("event", OptionKind.INTEGER, "The workshop (event id) it belongs to",
               min_value=1),
        Option("examples", OptionKind.TEXT, "Tests shown as examples, e.g. 1,2 or none",
               max_length=100),
        Option("statement", OptionKind.TEXT, "The problem statement (last)", rest=True,
               max_length=MAX_STATEMENT),
    )


TESTS = Option("tests", OptionKind.FILE, "The tests file (.json list or .zip of 1.in/1.out)")
QUEUE = Option("queue", OptionKind.BOOLEAN, "Hold it for the scheduled rotation (yes/no)",
               keyword=True)


def _fields(ctx: Context) -> ChallengeFields:
    return ChallengeFields(
        title=ctx.get("title", str), statement=ctx.get("statement", str),
        language=ctx.get("language", str), difficulty=ctx.get("difficulty", str),
        tags=ctx.get("tags", str), points=ctx.get("points", int), bonus=ctx.get("bonus", int),
        cpu_s=ctx.get("cpu", int), memory_mib=ctx.get("memory", int),
        opens_at=ctx.get("opens", datetime), closes_at=ctx.get("closes", datetime),
        event_id=ctx.get("event", int), examples=ctx.get("examples", str),
        queued=ctx.get("queue", bool, False),
    )


def commands(challenges: ChallengeService) -> list[Command]:
    """The challenge commands."""

    async def list_open(ctx: Context) -> Reply:
        return Reply(texts.open_list(await challenges.open_challenges(), _zone(ctx)))

    async def show(ctx: Context) -> Reply:
        view = await challenges.show(ctx.require("id", int), is_admin=ctx.is_admin)
        return Reply(texts.challenge(view, _zone(ctx), ctx.now))

    async def create(ctx: Context) -> Reply:
        view = await challenges.create(ctx.member, _fields(ctx), _tests_file(ctx))
        return Reply(texts.created(view, _zone(ctx)))

    async def edit(ctx: Context) -> Reply:
        view = await challenges.edit(ctx.require("id", int), _fields(ctx), _tests_file(ctx))
        return Reply(texts.edited(view))

    async def close(ctx: Context) -> Reply:
        return Reply(texts.closed(await challenges.close(ctx.require("id", int))))

    async def rejudge(ctx: Context) -> Reply:
        challenge_id = ctx.require("id", int)
        count = await challenges.rejudge(challenge_id)
        return Reply(texts.rejudging(challenge_id, count))

    async def stats(ctx: Context) -> Reply:
        return Reply(texts.stats(await challenges.stats(ctx.require("id", int)), _zone(ctx)))

    async def similar(ctx: Context) -> Reply:
        challenge_id = ctx.require("id", int)
        pairs = await challenges.similar(challenge_id)
        return Reply(texts.similar(challenge_id, pairs), private=True)

    async def submit(ctx: Context) -> Reply:
        challenge_id = ctx.require("id", int)
        attached = ctx.get("file", Attachment)
        source = extract_code(ctx.get("code", str, ""), (attached,) if attached else ())
        place = ctx.incoming.place
        receipt = await challenges.submit(
            ctx.member, challenge_id, source,
            SubmissionPlace(ctx.incoming.author.platform, place.place_id, place.is_direct,
                            ctx.incoming.source_id),
        )
        return Reply(texts.receipt(receipt, is_direct=place.is_direct), private=True)

    async def submissions(ctx: Context) -> Reply:
        found = await challenges.submissions(ctx.member, ctx.get("id", int))
        return Reply(texts.submissions(found, _zone(ctx)), private=True)

    return [
        Command("challenges", "List the open coding challenges", list_open),
        Command(
            "challenge", "Read a coding challenge; admins create and manage them",
            subcommands=(
                Command("show", "Show a challenge with its examples", show, options=(_ID,),
                        example="/challenge 3"),
                Command("create", "Create a challenge (attach the tests file)", create,
                        options=(*_field_options(title_required=True)[:-1], QUEUE, TESTS,
                                 _field_options(title_required=True)[-1]), admin=True,
                        example='/challenge create title="Sum" difficulty=easy cpu=2 '
                                'statement=Read two numbers, print their sum.'),
                Command("edit", "Change a challenge (attach new tests to replace them)", edit,
                        options=(_ID, *_field_options(title_required=False)[:-1], TESTS,
                                 _field_options(title_required=False)[-1]), admin=True,
                        example="/challenge edit 3 points=20"),
                Command("close", "Stop accepting submissions", close, options=(_ID,),
                        admin=True, example="/challenge close 3"),
                Command("rejudge", "Judge every submission again", rejudge, options=(_ID,),
                        admin=True, example="/challenge rejudge 3"),
                Command("stats", "Attempts, solves, verdicts and leaderboard", stats,
                        options=(_ID,), admin=True, example="/challenge stats 3"),
                Command("similar", "Pairs of near-identical accepted submissions", similar,
                        options=(_ID,), admin=True, example="/challenge similar 3"),
            ),
            default="show",
        ),
        Command(
            "submit", "Submit code for a challenge (code block or attached file)", submit,
            options=(_ID,
                     Option("file", OptionKind.FILE, "A .py file with your code"),
                     Option("code", OptionKind.TEXT, "Your code in a ``` block",
                            rest=True, max_length=MAX_SOURCE_BYTES, form=True)),
            example="/submit 3 ```print(sum(map(int, input().split())))```",
            conceal=True,  # code posted in a group is removed so nobody copies it
        ),
        Command(
            "submissions", "Your submissions and their verdicts", submissions,
            options=(Option("id", OptionKind.INTEGER, "Only this challenge", min_value=1),),
            example="/submissions 3",
        ),
    ]


def _tests_file(ctx: Context) -> Attachment | None:
    return ctx.get("tests", Attachment)


def _zone(ctx: Context) -> ZoneInfo:
    try:
        return values.zone(ctx.member.timezone)
    except UserError:
        return ZoneInfo("UTC")
