from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.commands import Command, Option, OptionKind
from bot.core.errors import UserError
from bot.core.model import Reply
from bot.core.parsing import MemberToken, UsageError, parse_text, tokenize
from bot.core.values import format_duration, parse_datetime, parse_duration, zone

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday
BERLIN = ZoneInfo("Europe/Berlin")


async def _noop(ctx: object) -> Reply:
    return Reply("ok")


EVENT = Command(
    "create", "Create an event", _noop,
    options=(
        Option("title", OptionKind.TEXT, "Title", required=True),
        Option("start", OptionKind.DATETIME, "Start", required=True),
        Option("duration", OptionKind.DURATION, "Length"),
        Option("capacity", OptionKind.INTEGER, "Seats", min_value=1, max_value=500),
        Option("online", OptionKind.BOOLEAN, "Online?"),
        Option("kind", OptionKind.CHOICE, "Kind", choices=("talk", "workshop")),
        Option("host", OptionKind.MEMBER, "Host"),
    ),
)
NOTE = Command(
    "note", "Leave a note", _noop,
    options=(Option("who", OptionKind.MEMBER, "Who", required=True),
             Option("text", OptionKind.TEXT, "The note", required=True, rest=True)),
)


def parse(line: str, command: Command = EVENT, tz: ZoneInfo = BERLIN) -> dict[str, object]:
    return parse_text(command, line, tz, NOW)


def test_positional_options_fill_in_declared_order():
    args = parse('"Hack night" "2026-12-01 18:00" 90m 30 on workshop @maya')
    assert args == {
        "title": "Hack night",
        "start": datetime(2026, 12, 1, 17, 0, tzinfo=UTC),  # 18:00 Berlin is 17:00 UTC
        "duration": timedelta(minutes=90),
        "capacity": 30,
        "online": True,
        "kind": "workshop",
        "host": MemberToken("@maya"),
    }


def test_keyword_options_in_any_order_with_quotes():
    args = parse('capacity=12 title="Rust for Pythonistas" start="tomorrow 18:00" kind=TALK')
    assert args["title"] == "Rust for Pythonistas"
    assert args["capacity"] == 12
    assert args["kind"] == "talk"
    assert args["start"] == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


def test_unquoted_date_and_time_are_read_together():
    assert parse("Demo 2026-12-01 18:00 1h")["start"] == datetime(2026, 12, 1, 17, tzinfo=UTC)
    assert parse("title=Demo start=2026-12-01 18:00")["start"] == datetime(
        2026, 12, 1, 17, tzinfo=UTC)


def test_relative_start():
    assert parse("Soon in 3h 30m")["start"] == NOW + timedelta(hours=3)
    assert parse_datetime("in 2d", BERLIN, NOW) == NOW + timedelta(days=2)


def test_mixing_keyword_then_positional():
    args = parse('start="2026-12-01 09:30" Breakfast')
    assert args["title"] == "Breakfast"
    assert args["start"] == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def test_rest_option_keeps_the_line_verbatim():
    code = "```python\nprint('hi')\n\nx  =  1\n```"
    args = parse_text(NOTE, f"@lin {code}", BERLIN, NOW)
    assert args == {"who": MemberToken("@lin"), "text": code}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "`title` is missing"),
        ("Talk", "`start` is missing"),
        ('Talk "2026-12-01 18:00" capacity=0', "too small"),
        ('Talk "2026-12-01 18:00" capacity=many', "not a whole number"),
        ('Talk "2026-12-01 18:00" online=maybe', "not on/off"),
        ('Talk "2026-12-01 18:00" kind=party', "not one of: talk, workshop"),
        ('Talk "2026-12-01 18:00" duration=90', "not a duration"),
        ('Talk "2026-13-01 18:00"', "not a real date"),
        ('Talk "2026-12-01"', "needs a time too"),
        ('Talk "someday 18:00"', "not a date"),
        ('"Talk', "quote is not closed"),
        ("Talk title=Other", "given twice"),
        ('Talk "2026-12-01 18:00" 1h 3 on talk @x extra', "don't know what to do"),
    ],
)
def test_malformed_options_are_refused_with_a_reason(line, message):
    with pytest.raises(UserError, match=message):
        parse(line)


def test_tokenizer_splits_quotes_mid_token_and_escapes():
    tokens = [t.text for t in tokenize('a title="x y" "say \\"hi\\""')]
    assert tokens == ["a", "title=x y", 'say "hi"']


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90m", timedelta(minutes=90)), ("1h30m", timedelta(minutes=90)), ("2h", timedelta(hours=2)),
     ("1d", timedelta(days=1)), ("1w", timedelta(weeks=1)), ("45s", timedelta(seconds=45)),
     ("1h 30m", timedelta(minutes=90))],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("text", ["", "0m", "abc", "5", "m", "400d"])
def test_bad_durations(text):
    with pytest.raises(UserError):
        parse_duration(text)


def test_datetimes_are_read_in_the_members_zone():
    tokyo = ZoneInfo("Asia/Tokyo")
    assert parse_datetime("tomorrow 09:00", tokyo, NOW) == datetime(2026, 11, 24, 0, tzinfo=UTC)
    assert parse_datetime("2026-12-01T18:00", BERLIN, NOW) == datetime(2026, 12, 1, 17,
                                                                        tzinfo=UTC)
    assert parse_datetime("fri 6pm", BERLIN, NOW) == datetime(2026, 11, 27, 17, tzinfo=UTC)
    # A bare time is its next occurrence: 09:00 Berlin has passed at 11:00 Berlin.
    assert parse_datetime("09:00", BERLIN, NOW) == datetime(2026, 11, 24, 8, tzinfo=UTC)
    assert parse_datetime("12:00", BERLIN, NOW) == datetime(2026, 11, 23, 11, tzinfo=UTC)


def test_daylight_saving_is_respected_and_skipped_hours_refused():
    summer = parse_datetime("2027-07-01 18:00", BERLIN, NOW)
    assert summer == datetime(2027, 7, 1, 16, tzinfo=UTC)  # CEST is UTC+2
    with pytest.raises(UserError, match="does not exist"):
        parse_datetime("2027-03-28 02:30", BERLIN, NOW)


def test_unknown_time_zone_is_named():
    with pytest.raises(UserError, match="Unknown time zone `Mars/Olympus`"):
        zone("Mars/Olympus")
    with pytest.raises(UserError, match="Unknown time zone"):
        zone("../../etc/passwd")
    assert zone("America/Sao_Paulo").key == "America/Sao_Paulo"


def test_usage_error_is_a_user_error():
    assert issubclass(UsageError, UserError)


@pytest.mark.parametrize(("line", "closest"), [
    ('Talk "2026-12-01 18:00" capacty=5', "capacity"),
    ('Talk "2026-12-01 18:00" 1h durration=2h', "duration"),
    ("Talk strat=tomorrow", "start"),
])
def test_a_misspelt_option_name_is_refused_with_the_closest_name(line, closest):
    with pytest.raises(UsageError) as raised:
        parse(line)
    name = line.rsplit(" ", 1)[1].split("=")[0]
    assert str(raised.value) == (f"`{name}` is not an option here; did you mean `{closest}=`? "
                                 "(A value that contains = can be quoted.)")


def test_a_quoted_value_may_contain_an_equals_sign():
    assert parse('"x=1 talk" "2026-12-01 18:00"')["title"] == "x=1 talk"
    assert parse('Talk "2026-12-01 18:00" kind=talk')["kind"] == "talk"


def test_rest_text_keeps_equals_signs_verbatim():
    assert parse("@maya x=1 and y=2", NOTE)["text"] == "x=1 and y=2"
