"""A challenge's page: every submission with its verdict, paged, and the edit form (#17).

Submissions are written with their verdicts through the challenges repository (judging
has its own tests); the edit form runs ``/challenge edit`` and answers in its words.
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from bot.app import App
from bot.core.clock import FixedClock
from bot.core.model import Platform
from bot.services.challenges import ChallengeView
from storage.rows.challenges import SubmissionRow
from tests.harness import Chat, snapshot
from tests.services.challenges.conftest import json_tests
from tests.web.conftest import log_in, shown


async def _challenge(chat: Chat, app: App) -> ChallengeView:
    await chat.text('/challenge create title="Sum" points=10 statement=Add two numbers.',
                    who="tomas", admin=True, attachments=(json_tests(),))
    [found] = await app.features.challenges.open_challenges()
    return found


async def test_submissions_are_listed_newest_first_with_verdicts_and_paged(
        chat: Chat, app: App, clock: FixedClock, browser: httpx.AsyncClient):
    found = await _challenge(chat, app)
    for who in ("maya", "lena"):
        await chat.say("hi", who=who)
    maya = await app.directory.resolve(Platform.CONSOLE, "maya")
    lena = await app.directory.resolve(Platform.CONSOLE, "lena")
    assert maya is not None and lena is not None
    ids = []
    async with app.db.unit() as unit:
        for n in range(27):  # one more than a page: 25 newest, then 2 older
            member = (maya, lena)[n % 2]
            row = await unit.challenges.add_submission(SubmissionRow(
                challenge_id=found.id, member_id=member.member_id, language="python",
                source="print(1)", platform="console", place_id="dm",
                created_at=clock.now() + timedelta(minutes=n)))
            ids.append(row.id)
            accepted = n == 26
            await unit.challenges.record_verdict(
                row.id, judged_at=clock.now() + timedelta(minutes=n),
                verdict="AC" if accepted else "WA", tests_passed=3 if accepted else 1,
                failed_test=None if accepted else 2, cpu_ms=40, memory_kib=9000)
    await log_in(chat, browser)
    first = await browser.get(f"/challenges/{found.id}")
    assert first.status_code == 200
    page = shown(first)
    newest, oldest = ids[-1], ids[0]
    # Newest first: the accepted one leads, then wrong answers on test 2.
    assert page.index(f'id="submission-{newest}"') < page.index(f'id="submission-{ids[-2]}"')
    row = page[page.index(f'id="submission-{newest}"'):].split("</tr>")[0]
    assert "maya" in row and "python" in row and "Accepted, 3/3 tests" in row
    assert "3/3" in row and "0.04 s" in row and "Mon 23 Nov 2026 10:26" in row
    wrong = page[page.index(f'id="submission-{ids[-2]}"'):].split("</tr>")[0]
    assert "lena" in wrong and "Wrong answer on test 2" in wrong and "(failed test 2)" in wrong
    assert f'id="submission-{oldest}"' not in page and "?page=2" in page
    older = shown(await browser.get(f"/challenges/{found.id}", params={"page": "2"}))
    assert f'id="submission-{oldest}"' in older and f'id="submission-{ids[1]}"' in older
    assert f'id="submission-{newest}"' not in older and "?page=1" in older
    refused = await browser.get(f"/challenges/{found.id}", params={"page": "two"})
    assert refused.status_code == 422


async def test_the_edit_form_runs_challenge_edit_with_its_rules_and_audit(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    found = await _challenge(chat, app)
    csrf = await log_in(chat, browser)
    page = await browser.get(f"/challenges/{found.id}")
    assert f'action="/challenges/{found.id}/edit"' in page.text
    assert 'placeholder="Sum"' in page.text and 'placeholder="10"' in page.text
    edited = await browser.post(f"/challenges/{found.id}/edit", data={
        "csrf": csrf, "title": "Sum of two", "points": "25", "statement": ""})
    assert edited.status_code == 200, shown(edited)
    said = await chat.text(f"/challenge edit {found.id} points=25", who="tomas", admin=True)
    assert said in shown(edited)  # the command's own reply
    view = await app.features.challenges.show(found.id, is_admin=True)
    assert (view.title, view.points, view.statement) == ("Sum of two", 25, "Add two numbers.")
    async with app.db.unit() as unit:
        [entry] = [r for r in await unit.audit.recent() if r.platform == "web"]
    assert entry.command == "challenge edit" and "Sum of two" in entry.args
    bad = (("points", "lots"), ("cpu", "99"), ("difficulty", "brutal"))
    words = [await chat.text(f"/challenge edit {found.id} {field}={value}", who="tomas",
                             admin=True) for field, value in bad]
    await app.interactions.flush()
    before = await snapshot(app.db)
    for (field, value), command in zip(bad, words, strict=True):
        refused = await browser.post(f"/challenges/{found.id}/edit",
                                     data={"csrf": csrf, field: value})
        assert refused.status_code == 422, field
        assert command.splitlines()[0] in shown(refused), (field, command)
    forged = await browser.post(f"/challenges/{found.id}/edit", data={"title": "Hacked"})
    assert forged.status_code == 403
    assert await snapshot(app.db) == before
