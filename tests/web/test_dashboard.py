"""The dashboard's pages over a real uvicorn: reads and changes, each through its command (#17).

Every change goes through the admin command it mirrors, so the tests compare the web's
answers with what the bot says for the same command.
"""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
from pydantic import SecretStr

from bot.app import App
from bot.core.clock import FixedClock
from bot.core.model import Attachment, Platform, UserRef
from bot.services.dashboard import texts as say
from bot.services.outbox import OutboxKind, Outgoing
from tests.edge import RecordingMessenger
from tests.harness import Chat, snapshot
from tests.services.challenges.conftest import json_tests
from tests.web.conftest import log_in, shown


async def test_creating_an_event_runs_event_create_and_is_audited(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    csrf = await log_in(chat, browser)
    made = await browser.post("/events/new", data={
        "csrf": csrf, "title": "Async  Python", "start": "tomorrow 18:00",
        "duration": "90m", "capacity": "30", "tags": "python,async"})
    assert made.status_code == 200, shown(made)
    [view] = await app.features.events.upcoming()
    assert f"Created #{view.id}" in shown(made)
    assert (view.title, view.capacity, view.duration) == ("Async Python", 30,
                                                          timedelta(minutes=90))
    async with app.db.unit() as unit:
        [entry, *_] = await unit.audit.recent()
    assert (entry.command, entry.platform) == ("event create", "web")
    assert "web" in await chat.text("/audit", who="ana", admin=True, dm=True)
    page = await browser.get("/events")
    assert "Async Python" in shown(page)
    one = await browser.get(f"/events/{view.id}")
    assert "Async Python" in shown(one) and "Going (0)" in shown(one)


async def test_a_malformed_field_is_422_with_the_commands_own_sentence(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    csrf = await log_in(chat, browser)
    cases = (("capacity", "lots"), ("start", "yesterday 10:00"), ("duration", "forever"))
    sentences = {}
    for field, value in cases:  # what the command says, asked first: it is logged
        words = {"title": "T", "start": "tomorrow 18:00", field: value}
        line = "/event create " + " ".join(f'{k}="{v}"' for k, v in words.items())
        sentences[field] = (await chat.text(line, who="tomas", admin=True)).splitlines()[0]
    await app.interactions.flush()  # the commands' own log rows land before the snapshot
    before = await snapshot(app.db)
    for field, value in cases:
        form = {"csrf": csrf, "title": "T", "start": "tomorrow 18:00", field: value}
        refused = await browser.post("/events/new", data=form)
        assert refused.status_code == 422, (field, shown(refused))
        assert sentences[field] in shown(refused), (field, sentences[field])
    assert await snapshot(app.db) == before


async def test_editing_cancelling_and_announcing_use_the_commands(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    await chat.say('/event create "Rust night" "tomorrow 18:00"', who="tomas", admin=True)
    [view] = await app.features.events.upcoming()
    at = f"/events/{view.id}"
    csrf = await log_in(chat, browser)
    edited = await browser.post(f"{at}/edit", data={"csrf": csrf, "capacity": "12"})
    assert edited.status_code == 200
    assert (await app.features.events.get(view.id)).capacity == 12
    refused = await browser.post(f"{at}/announce", data={"csrf": csrf})
    assert refused.status_code == 422 and "No announcements channel" in shown(refused)
    gone = await browser.post(f"{at}/cancel", data={"csrf": csrf, "reason": "ill"})
    assert gone.status_code == 200
    assert (await app.features.events.get(view.id)).status == "cancelled"
    async with app.db.unit() as unit:
        commands = [row.command for row in await unit.audit.recent() if row.platform == "web"]
    assert commands == ["event cancel", "event edit"]


async def test_approving_a_reward_from_the_queue(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    await chat.say("hi", who="maya")
    await chat.say("/points give maya 100 welcome", who="tomas", admin=True)
    await chat.say('/reward add "sticker pack" 40', who="tomas", admin=True)
    await chat.say("/redeem sticker pack", who="maya")
    [waiting] = await app.features.rewards.pending()
    csrf = await log_in(chat, browser)
    queue = await browser.get("/rewards")
    assert "sticker pack" in shown(queue) and "maya" in shown(queue)
    done = await browser.post(f"/rewards/{waiting.id}", data={"csrf": csrf, "decision": "approve",
                                                  "note": "enjoy"})
    assert done.status_code == 200
    assert "Nothing is waiting." in shown(done)
    assert await app.features.rewards.pending() == []
    bad = await browser.post(f"/rewards/{waiting.id}", data={"csrf": csrf, "decision": "approve"})
    assert bad.status_code == 422 and "already approved" in shown(bad)


async def test_the_overview_shows_the_figures_of_stats_community(
        chat: Chat, app: App, clock: FixedClock, browser: httpx.AsyncClient):
    for who in ("maya", "lena", "omar"):
        await chat.say("hello", who=who)
    await app.interactions.flush()
    clock.advance(timedelta(days=1))
    await log_in(chat, browser)
    page = await browser.get("/")
    assert page.status_code == 200
    said = await chat.text("/stats community", who="tomas", admin=True, dm=True)
    assert "Active members: 3" in said
    for line in said.splitlines():
        assert line in shown(page), shown(page)[-1500:]
    assert "<svg" in shown(page)


async def test_outbox_and_settings_pages_show_queue_and_mask_secrets(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    await chat.say('/event create "Rust night" "in 3d"', who="tomas", admin=True)
    [view] = await app.features.events.upcoming()
    await chat.say(f"/rsvp {view.id} going", who="maya")
    report = await app.features.outbox.report()
    assert report.pending  # maya's reminders
    app.settings.telegram.token = SecretStr("123:very-secret-token")
    await log_in(chat, browser)
    queue = await browser.get("/outbox")
    assert queue.status_code == 200
    for row_id, kind, *_ in report.pending:
        assert f"<td>{row_id}</td><td>{kind}</td>" in queue.text
    for status, count in report.counts.items():
        assert f"{status}: {count}" in shown(queue)
    page = await browser.get("/settings")
    assert page.status_code == 200
    assert "very-secret-token" not in page.text and "********" in shown(page)
    assert "[web]" in shown(page) and "links_per_hour" in shown(page)


async def test_members_search_profile_and_give_points_like_the_command(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    maya = await app.directory.identify(UserRef(Platform.CONSOLE, "maya", "maya", "maya"))
    csrf = await log_in(chat, browser)
    found = await browser.get("/members", params={"q": "@maya"})
    assert f'href="/members/{maya.member_id}"' in found.text
    nobody = await browser.get("/members", params={"q": "nobody"})
    assert "No member matches “nobody”." in shown(nobody)
    given = await browser.post(f"/members/{maya.member_id}/points", data={
        "csrf": csrf, "decision": "give", "amount": "30", "reason": "helped out"})
    assert given.status_code == 200, shown(given)
    assert (await app.features.points.standing(maya)).points == 30
    said = await chat.text("/points show maya", who="tomas", admin=True)
    assert said.splitlines()[0] in shown(given)
    accounts = await app.features.links.accounts(maya)
    assert accounts and "Accounts: " + " · ".join(f"{p} {n}" for p, n in accounts) in shown(
        given)
    await app.interactions.flush()  # the /points show above is logged in the background
    before = await snapshot(app.db)
    refused = await browser.post(f"/members/{maya.member_id}/points", data={
        "csrf": csrf, "decision": "take", "amount": "-5", "reason": "x"})
    assert refused.status_code == 422
    assert await snapshot(app.db) == before
    async with app.db.unit() as unit:
        [entry, *_] = await unit.audit.recent()
    assert (entry.command, entry.platform) == ("points give", "web")
    assert json.loads(entry.args) == {"amount": 30, "member": {"member_id": maya.member_id},
                                      "reason": "helped out"}
    missing = await browser.get("/members/999999")
    assert missing.status_code == 404 and "There is no member #999999." in shown(missing)


async def test_one_event_shows_attendance_feedback_and_exports_csv(
        chat: Chat, app: App, clock: FixedClock, browser: httpx.AsyncClient):
    await chat.say('/event create "Rust night" "in 2h" 60m capacity=1 code=ROOM42',
                   who="tomas", admin=True)
    [view] = await app.features.events.upcoming()
    await chat.say(f"/rsvp {view.id} going", who="maya")
    await chat.say(f"/rsvp {view.id} going", who="=cmd")
    clock.advance(timedelta(hours=2, minutes=5))
    await chat.say(f"/checkin {view.id} ROOM42", who="maya")
    clock.advance(timedelta(hours=1))
    await chat.say(f"/feedback {view.id} 5 loved <the> live coding", who="maya")
    await log_in(chat, browser)
    page = await browser.get(f"/events/{view.id}")
    assert page.status_code == 200
    said = await chat.text(f"/stats event {view.id}", who="tomas", admin=True, dm=True)
    for line in said.splitlines()[1:]:
        assert line.strip() in shown(page), line
    assert "“loved <the> live coding” — maya" in shown(page)
    assert "&lt;the&gt;" in page.text  # escaped, never markup
    assert "Waitlist (1)" in shown(page) and "Checked in (1)" in shown(page)
    csv_file = await browser.get(f"/events/{view.id}/attendees.csv")
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.text.splitlines() == ["name,status,checked_in", "maya,going,yes",
                                          "'=cmd,waitlist,no"]
    overview = await browser.get("/")
    assert "Satisfaction: 5.00/5 from 1 rating in the last 90 days." in shown(overview)


async def test_analytics_page_takes_a_period_and_tag_and_refuses_a_bad_one(
        chat: Chat, browser: httpx.AsyncClient):
    await log_in(chat, browser)
    page = await browser.get("/analytics", params={"days": "30", "tag": "rust"})
    assert page.status_code == 200
    said = await chat.text("/stats funnel 30d tag=rust", who="tomas", admin=True, dm=True)
    assert said.splitlines()[0] in shown(page)
    best = await chat.text("/stats besttime", who="tomas", admin=True, dm=True)
    assert best.splitlines()[0] in shown(page)
    for bad in ("0", "abc", "9999"):
        refused = await browser.get("/analytics", params={"days": bad})
        assert refused.status_code == 422
        assert say.bad_days(730) in shown(refused)


async def test_challenges_created_with_an_uploaded_tests_file_then_closed(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    csrf = await log_in(chat, browser)
    tests = json_tests()
    made = await browser.post("/challenges", data={
        "csrf": csrf, "title": "Sum", "difficulty": "easy",
        "statement": "Read two integers and print their sum."},
        files={"tests": (tests.filename, tests.data, tests.content_type)})
    assert made.status_code == 200, shown(made)
    [found] = await app.features.challenges.open_challenges()
    assert f"Created challenge #{found.id}" in shown(made)
    assert f'href="/challenges/{found.id}"' in made.text
    stats = await browser.get(f"/challenges/{found.id}")
    said = await chat.text(f"/challenge stats {found.id}", who="ada", admin=True)
    assert said.splitlines()[0] in shown(stats)
    before = await snapshot(app.db)
    broken = await browser.post("/challenges", data={
        "csrf": csrf, "title": "Broken", "statement": "x"},
        files={"tests": ("tests.json", b"not json", "application/json")})
    assert broken.status_code == 422
    command = await chat.text('/challenge create title="Broken" statement=x', who="ada",
                              admin=True, attachments=(Attachment("tests.json", b"not json"),))
    assert command.splitlines()[0] in shown(broken)
    huge = await browser.post("/challenges", data={
        "csrf": csrf, "title": "Huge", "statement": "x"},
        files={"tests": ("tests.json", b"[" + b" " * 2_000_000 + b"]", "application/json")})
    assert huge.status_code == 422 and "is too big" in shown(huge)
    assert await snapshot(app.db) == before
    closed = await browser.post(f"/challenges/{found.id}/close", data={"csrf": csrf})
    assert closed.status_code == 200
    assert await app.features.challenges.open_challenges() == []


async def test_a_series_session_lists_every_session_of_its_series(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    await chat.say('/event create "Study group" "tomorrow 18:00" recurrence=weekly',
                   who="tomas", admin=True)
    sessions = await app.features.events.upcoming(50)
    assert len(sessions) > 2
    first, second = sessions[0], sessions[1]
    await chat.say(f"/event cancel {second.id} holiday", who="tomas", admin=True)
    await log_in(chat, browser)
    page = await browser.get(f"/events/{first.id}")
    assert f"Series ({len(sessions)} sessions)" in shown(page)
    assert f'href="/events/{second.id}"' in page.text
    assert "cancelled" in shown(page)


async def test_the_events_list_filters_by_tag_and_shows_past_events(
        chat: Chat, app: App, clock: FixedClock, browser: httpx.AsyncClient):
    await chat.say('/event create "Old rust" "in 1h" tags=rust', who="tomas", admin=True)
    await chat.say('/event create "New rust" "in 3d" tags=rust,wasm', who="tomas", admin=True)
    await chat.say('/event create "Go night" "in 4d" tags=go', who="tomas", admin=True)
    await chat.say('/event create "Percent" "in 5d" tags=r_st', who="tomas", admin=True)
    clock.advance(timedelta(hours=2))
    await log_in(chat, browser)
    upcoming = shown(await browser.get("/events", params={"tag": "Rust"}))
    assert "New rust" in upcoming and "Old rust" not in upcoming and "Go night" not in upcoming
    assert "Percent" not in upcoming  # _ is a letter here, not a wildcard
    past = shown(await browser.get("/events", params={"when": "past"}))
    assert "Old rust" in past and "New rust" not in past
    everything = shown(await browser.get("/events"))
    assert all(t in everything for t in ("New rust", "Go night", "Percent"))


async def test_a_failed_message_is_sent_again_from_the_outbox_page(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    telegram = RecordingMessenger(Platform.TELEGRAM)
    app.platforms.add_messenger(telegram)
    ghost = await app.directory.identify(UserRef(Platform.TELEGRAM, "600", "ghost", "ghost"))
    telegram.unknown("600")
    async with app.db.unit() as unit:
        await app.outbox.put(unit, [Outgoing("ghost:1", OutboxKind.REMINDER, "hello?",
                                             app.clock.now(), member_id=ghost.member_id)])
    await app.outbox.sweep()
    async with app.db.unit() as unit:
        [row] = await unit.outbox.all()
    assert row.status == "undeliverable"
    csrf = await log_in(chat, browser)
    page = await browser.get("/outbox")
    assert f'id="retry-{row.id}"' in page.text and "unknown_recipient" in page.text
    before = await snapshot(app.db)
    refused = await browser.post(f"/outbox/{row.id + 1}/retry", data={"csrf": csrf})
    assert refused.status_code == 422
    assert f"There is no failed message #{row.id + 1} to send again." in shown(refused)
    assert await snapshot(app.db) == before
    again = await browser.post(f"/outbox/{row.id}/retry", data={"csrf": csrf})
    assert again.status_code == 200
    assert f"Message #{row.id} will be sent again now." in shown(again)
    async with app.db.unit() as unit:
        [row] = await unit.outbox.all()
    assert (row.status, row.attempts) == ("pending", 0)
    said = await chat.text(f"/outbox retry={row.id}", who="tomas", admin=True, dm=True)
    assert said == f"There is no failed message #{row.id} to send again."
