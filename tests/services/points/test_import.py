"""`cohort points import`: points from another bot's export through the bulk ledger path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bot.cli import cli
from bot.core.errors import UserError
from bot.core.model import Platform, UserRef
from bot.services.points import Award
from tests.services.points.conftest import ledger_and_totals, member

GOOD = (
    "platform,user_id,points,name,reason,at\n"
    "discord,1001,150,Maya,MEE6 level 2,2026-10-01T12:00+00:00\n"
    "telegram,2002,40,Tomas,,\n"
    "discord,1001,30,Maya,MEE6 bonus,2026-11-20T09:00+02:00\n"
)


async def role_tasks(app) -> list[tuple[int, str, bool]]:
    async with app.db.engine.connect() as c:
        rows = (await c.execute(text(
            'SELECT member_id, role, "grant" FROM role_tasks ORDER BY id'))).all()
    return [(int(m), str(r), bool(g)) for m, r, g in rows]


async def test_an_import_adds_points_once_with_totals_boards_and_level_roles(app):
    points = app.features.points
    report = await points.import_points(GOOD.encode(), app.directory.identify)
    assert (report.lines, report.added, report.members) == (3, 3, 2)
    maya = await app.directory.identify(UserRef(Platform.DISCORD, "1001", "x"))
    tomas = await app.directory.identify(UserRef(Platform.TELEGRAM, "2002", "x"))
    assert maya.display_name == "Maya"
    assert await ledger_and_totals(app) == (220, 220, 220)
    board = await points.leaderboard("all")
    assert [(r.member_id, r.value) for r in board.rows] == [(maya.member_id, 180),
                                                            (tomas.member_id, 40)]
    # The November line counts in November's board; the October one does not.
    month = await points.leaderboard("month")
    assert [(r.member_id, r.value) for r in month.rows] == [(tomas.member_id, 40),
                                                            (maya.member_id, 30)]
    # 180 points is level 1 (100 needed): the role is queued, no level-up is announced.
    assert await role_tasks(app) == [(maya.member_id, "regular", True)]
    again = await points.import_points(GOOD.encode(), app.directory.identify)
    assert (again.lines, again.added) == (3, 0)
    assert await ledger_and_totals(app) == (220, 220, 220)
    assert len(await role_tasks(app)) == 1


@pytest.mark.parametrize(("body", "said"), [
    ("user_id,points\n1,5\n", "missing: platform"),
    ("platform,user_id,points,colour\ndiscord,1,5,red\n", "Unknown column(s): colour"),
    ("platform,user_id,points\n", "no lines"),
    (GOOD + "slack,3,5,,,\n", "line 5: platform must be one of discord, telegram"),
    (GOOD + "discord,abc,5,,,\n", "line 5: a Discord user_id is a number"),
    (GOOD + "discord,3,0,,,\n", "line 5: points must be from 1"),
    (GOOD + "discord,3,many,,,\n", "line 5: points must be a whole number"),
    (GOOD + "discord,3,5,,,2026-11-01 10:00\n", "line 5: at needs a UTC offset"),
    (GOOD + "discord,3,5,,,2027-01-01T00:00+00:00\n", "line 5: at is in the future"),
    (GOOD + "discord,3,5,,,yesterday\n", "line 5: at must be a date and time"),
    (GOOD + "discord,3,5,,,,extra\n", "line 5: more fields than the header names"),
])
async def test_a_bad_file_is_refused_by_line_and_changes_nothing(app, body, said):
    with pytest.raises(UserError) as caught:
        await app.features.points.import_points(body.encode(), app.directory.identify)
    assert said in str(caught.value)
    assert await ledger_and_totals(app) == (0, 0, 0)
    async with app.db.engine.connect() as c:
        assert (await c.execute(text("SELECT COUNT(*) FROM members"))).scalar_one() == 0


async def test_errors_name_every_bad_line_up_to_ten(app):
    body = "platform,user_id,points\n" + "discord,1,0\n" * 12
    with pytest.raises(UserError) as caught:
        await app.features.points.import_points(body.encode(), app.directory.identify)
    message = str(caught.value)
    assert "line 2:" in message and "line 11:" in message and "line 12:" not in message
    assert "and 2 more" in message


async def test_a_batch_of_chat_awards_leaves_other_counters_alone(app):
    """Totals SET only the counters a batch can move; the others keep their values."""
    points = app.features.points
    maya = await member(app, "maya")
    at = datetime(2026, 11, 20, tzinfo=UTC)
    await points.award_many([Award(maya.member_id, 7, "challenge", "solved", "c", at),
                             Award(maya.member_id, 3, "attendance", "came", "a", at)])
    await points.award_many([Award(maya.member_id, 2, "message", "chat", "m", at)])
    async with app.db.engine.connect() as c:
        row = (await c.execute(text(
            "SELECT points, challenges, events FROM point_totals "
            "WHERE member_id = :m AND period = 'all'"), {"m": maya.member_id})).one()
    assert tuple(row) == (12, 1, 1)


def test_the_command_imports_a_file_and_refuses_a_bad_one(tmp_path: Path, database_url: str,
                                                          db: object,
                                                          monkeypatch: pytest.MonkeyPatch):
    del db  # migrated and wiped
    monkeypatch.setenv("COHORT_DATABASE_URL", database_url)
    monkeypatch.setenv("COHORT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no cohort.toml here
    good, bad = tmp_path / "mee6.csv", tmp_path / "bad.csv"
    good.write_text(GOOD.replace("2026-11-20T09:00", "2025-11-20T09:00"))
    bad.write_text("platform,user_id,points\ndiscord,1,-4\n")
    runner = CliRunner()
    first = runner.invoke(cli, ["points", "import", str(good)])
    assert first.exit_code == 0, first.output
    assert "3 lines: 3 awards added for 2 members" in first.output
    second = runner.invoke(cli, ["points", "import", str(good)])
    assert "0 awards added" in second.output and "imported before" in second.output
    refused = runner.invoke(cli, ["points", "import", str(bad)])
    assert refused.exit_code == 1
    assert "line 2: points must be from 1" in refused.output
    missing = runner.invoke(cli, ["points", "import", str(tmp_path / "absent.csv")])
    assert missing.exit_code == 2 and "cannot read" in missing.output
