import pytest

from bot.core.commands import Command, Option, OptionKind, Where
from bot.core.model import Reply


async def _noop(ctx: object) -> Reply:
    return Reply("ok")


def test_a_command_name_must_fit_discord_and_telegram():
    with pytest.raises(ValueError, match="must match"):
        Command("Event-Create", "x", _noop)
    with pytest.raises(ValueError, match="must match"):
        Command("a" * 33, "x", _noop)


def test_help_must_fit_discords_description_limit():
    with pytest.raises(ValueError, match="help must be"):
        Command("x", "h" * 101, _noop)
    with pytest.raises(ValueError, match="help must be"):
        Command("x", "", _noop)


def test_required_options_come_first_and_rest_comes_last():
    with pytest.raises(ValueError, match="required option after optional"):
        Command("x", "x", _noop, options=(Option("a", OptionKind.TEXT, "a"),
                                          Option("b", OptionKind.TEXT, "b", required=True)))
    with pytest.raises(ValueError, match="rest option must come last"):
        Command("x", "x", _noop, options=(Option("a", OptionKind.TEXT, "a", rest=True),
                                          Option("b", OptionKind.TEXT, "b")))
    with pytest.raises(ValueError, match="only text options"):
        Option("n", OptionKind.INTEGER, "n", rest=True)
    with pytest.raises(ValueError, match="choices go with CHOICE"):
        Option("n", OptionKind.CHOICE, "n")


def test_groups_hold_subcommands_only():
    create = Command("create", "Create", _noop)
    show = Command("show", "Show", _noop, options=(Option("id", OptionKind.INTEGER, "Id"),))
    group = Command("event", "Events", subcommands=(create, show), default="show")
    assert group.sub("create") is create
    assert group.usage() == "/event <create|show>"
    with pytest.raises(ValueError, match="takes no handler"):
        Command("event", "Events", _noop, subcommands=(create,))
    with pytest.raises(ValueError, match="unknown default"):
        Command("event", "Events", subcommands=(create,), default="nope")
    with pytest.raises(ValueError, match="needs a handler"):
        Command("lonely", "No handler")
    assert Command("dmonly", "x", _noop, where=Where.DM).where is Where.DM
