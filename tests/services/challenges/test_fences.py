"""Code fences are read as Discord and Telegram render them (#13.4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.core.errors import UserError
from bot.core.model import Platform
from bot.services.challenges import extract_code
from storage.rows.challenges import SubmissionRow
from tests.harness import Chat, snapshot
from tests.services.challenges.conftest import SUM_OK, create_sum


@pytest.mark.parametrize(("text", "code"), [
    ("```print(1)```", "print(1)"),  # one line: all of it is code, no language tag
    ("```print(sum(map(int, input().split())))```", SUM_OK),
    ("```python print(1)```", "python print(1)"),
    ("```python\nprint(1)\n```", "print(1)\n"),  # an info string, then a newline
    ("```py \nprint(1)```", "print(1)"),
    ("```\nprint(1)\n```", "print(1)\n"),
    ("```x = 1\nprint(x)```", "x = 1\nprint(x)"),  # a first line that is code, not a tag
    ("```c++\nint main(){}```", "int main(){}"),
    ("before ```print(2)``` after", "print(2)"),
    ("print(3)", "print(3)"),  # no fence: the text itself
])
def test_fences_read_like_the_chat_apps_render_them(text: str, code: str):
    assert extract_code(text, ()) == code


@pytest.mark.parametrize("text", ["```print(1)", "```python\nprint(1)\n", "x ```"])
def test_an_unclosed_fence_is_refused(text: str):
    with pytest.raises(UserError, match=r"^Your code block is not closed: end it with ``` "):
        extract_code(text, ())


def test_the_help_example_of_submit_is_the_whole_program(app: App):
    [submit] = [c for c in app.dispatcher.commands if c.name == "submit"]
    assert extract_code(submit.example.split(" ", 2)[2], ()) == SUM_OK


async def test_an_unclosed_fence_stores_nothing_and_is_no_attempt(chat: Chat, app: App):
    challenge = await create_sum(chat)
    await chat.say("/challenges", who="maya")
    await app.interactions.flush()
    before = await snapshot(app.db)
    reply = await chat.text(f"/submit {challenge} ```python\n{SUM_OK}\n", who="maya")
    assert reply == "Your code block is not closed: end it with ``` and send it again."
    await app.interactions.flush()
    assert await snapshot(app.db) == before


async def test_only_judged_submissions_count_as_attempts(chat: Chat, app: App):
    challenge = await create_sum(chat)
    await chat.say("/challenges", who="maya")
    maya = await app.directory.resolve(Platform.CONSOLE, "maya")
    assert maya is not None
    now = app.clock.now()
    rows = [("done", "WA"), ("done", "IE"), ("queued", None), ("done", "AC")]
    async with app.db.unit() as unit:
        for i, (status, verdict) in enumerate(rows):
            await unit.challenges.add_submission(SubmissionRow(
                challenge_id=challenge, member_id=maya.member_id, language="python",
                source=SUM_OK, platform="console", place_id="general", status=status,
                verdict=verdict, created_at=now + timedelta(seconds=i)))
    async with app.db.engine.connect() as connection:
        ids = list((await connection.execute(
            select(SubmissionRow.id).order_by(SubmissionRow.id))).scalars())
        assert await connection.scalar(select(func.count(SubmissionRow.id))) == 4
    async with app.db.unit() as unit:
        assert await unit.challenges.attempts_until(challenge, maya.member_id, ids[-1]) == 2
        assert await unit.challenges.attempt_counts(challenge) == (2, 1)


@pytest.mark.sandbox
async def test_the_help_example_gets_accepted_by_the_judge(chat: Chat, app: App):
    challenge = await create_sum(chat)
    [submit] = [c for c in app.dispatcher.commands if c.name == "submit"]
    code = submit.example.split(" ", 2)[2]
    reply = await chat.text(f"/submit {challenge} {code}", who="maya")
    assert f"to challenge #{challenge} (Sum): Accepted" in reply
