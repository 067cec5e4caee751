"""Dashboard access over a real uvicorn: login links, sessions, CSRF, refusals (#17.2).

Every change goes through the admin command it mirrors, so the tests compare the web's
answers with what the bot says for the same command.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from bot.app import App
from bot.core.clock import FixedClock
from bot.core.model import Platform, UserRef
from bot.services.dashboard import texts as say
from tests.harness import Chat, snapshot
from tests.web.conftest import link_from_bot, log_in, shown


async def test_a_login_link_works_once_and_sets_a_safe_session_cookie(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    path = await link_from_bot(chat)
    for _ in range(2):  # link previews (GET) show the button and use nothing
        preview = await browser.get(path)
        assert preview.status_code == 200 and "set-cookie" not in preview.headers
    first = await browser.post(path)
    assert first.status_code == 303
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert (await browser.get("/")).status_code == 200
    await app.interactions.flush()  # /dashboard's interaction is written in the background
    async with httpx.AsyncClient(base_url=str(browser.base_url)) as other:
        before = await snapshot(app.db)
        again = await other.post(path)
        assert again.status_code == 401
        assert say.BAD_LINK in shown(again)
        assert await snapshot(app.db) == before


async def test_an_expired_link_is_refused_with_a_sentence(
        chat: Chat, clock: FixedClock, browser: httpx.AsyncClient):
    path = await link_from_bot(chat)
    clock.advance(timedelta(minutes=10, seconds=1))
    refused = await browser.post(path)
    assert refused.status_code == 401
    assert say.BAD_LINK in shown(refused)
    assert (await browser.get("/")).status_code == 401


async def test_no_session_is_401_and_a_members_session_is_403(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    anonymous = await browser.get("/events")
    assert anonymous.status_code == 401 and say.LOGIN_NEEDED in shown(anonymous)
    maya = await app.directory.identify(UserRef(Platform.CONSOLE, "maya", "maya", "maya"))
    access = app.features.dashboard
    assert access is not None
    url = await access.issue(maya, admin=False)
    assert (await browser.post(url.split("8080", 1)[1])).status_code == 303
    refused = await browser.get("/rewards")
    assert refused.status_code == 403 and say.ADMINS_ONLY in shown(refused)


async def test_sessions_expire_and_logout_all_revokes_them(
        chat: Chat, clock: FixedClock, browser: httpx.AsyncClient):
    await log_in(chat, browser)
    assert (await browser.get("/")).status_code == 200
    assert "Logged out 1 dashboard session." in await chat.text(
        "/dashboard logout-all", who="ana", admin=True, dm=True)
    assert (await browser.get("/")).status_code == 401
    await log_in(chat, browser)
    clock.advance(timedelta(hours=12, seconds=1))
    assert (await browser.get("/")).status_code == 401


async def test_login_links_are_rate_limited(chat: Chat, app: App):
    for _ in range(5):
        await link_from_bot(chat)
    before = await snapshot(app.db)
    refused = await chat.text("/dashboard", who="tomas", admin=True, dm=True)
    assert refused == say.rate_limited(5)
    after = await snapshot(app.db)
    assert after["web_logins"] == before["web_logins"]


async def test_dashboard_is_for_admins_only(chat: Chat):
    assert "admins only" in await chat.text("/dashboard", who="maya", dm=True)


async def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(
        chat: Chat, app: App, browser: httpx.AsyncClient, caplog: pytest.LogCaptureFixture):
    csrf = await log_in(chat, browser)
    caplog.set_level(logging.INFO, logger="bot.web.guard")
    before = await snapshot(app.db)
    for token in ("", "0" * len(csrf)):
        refused = await browser.post("/events/new", data={
            "csrf": token, "title": "Async Python", "start": "tomorrow 18:00"})
        assert refused.status_code == 403
        assert say.BAD_CSRF in shown(refused)
    assert await snapshot(app.db) == before
    assert [r.getMessage() for r in caplog.records if r.name == "bot.web.guard"] == [
        f"dashboard POST /events/new refused (403): {say.BAD_CSRF}"] * 2


async def test_unknown_pages_are_404_sentences(browser: httpx.AsyncClient):
    missing = await browser.get("/nope")
    assert missing.status_code == 404 and say.NOT_FOUND in shown(missing)


async def test_cookies_are_secure_behind_an_https_public_url(chat: Chat, app: App,
                                                             browser: httpx.AsyncClient):
    app.settings.web.public_url = "https://cohort.example.org"
    text = await chat.text("/dashboard", who="tomas", admin=True, dm=True)
    assert "https://cohort.example.org/login/" in text
    token = text.split("/login/", 1)[1].split()[0]
    opened = await browser.post(f"/login/{token}")
    assert "secure" in opened.headers["set-cookie"].lower()


async def test_every_answer_reports_its_server_time(browser: httpx.AsyncClient):
    answer = await browser.get("/")
    spent = float(answer.headers["server-timing"].split("app;dur=", 1)[1])
    assert 0 <= spent < 10_000


async def test_log_out_needs_the_csrf_token_and_ends_only_this_session(
        chat: Chat, browser: httpx.AsyncClient):
    csrf = await log_in(chat, browser)
    async with httpx.AsyncClient(base_url=str(browser.base_url)) as other:
        await log_in(chat, other)
        forged = await browser.post("/logout", data={"csrf": "0" * len(csrf)})
        assert forged.status_code == 403 and say.BAD_CSRF in shown(forged)
        assert (await browser.get("/")).status_code == 200
        kept = browser.cookies["cohort_session"]
        assert (await browser.post("/logout", data={"csrf": csrf})).status_code == 303
        browser.cookies.set("cohort_session", kept)  # a copied cookie is dead too
        assert (await browser.get("/")).status_code == 401
        assert (await other.get("/")).status_code == 200


async def test_the_served_app_carries_the_calendar_feeds(chat, browser):
    """`cohort run` serves the feeds that /calendar hands out, next to the dashboard."""
    public = await browser.get("/ics/community.ics")
    assert public.status_code == 200, public.text
    assert public.headers["content-type"].startswith("text/calendar")
    assert public.text.startswith("BEGIN:VCALENDAR")
    text = await chat.text("/calendar", who="maya", dm=True)
    found = re.search(r"https?://\S+/ics/\S+\.ics", text)
    assert found, text
    mine = await browser.get(urlsplit(found.group(0)).path)
    assert mine.status_code == 200 and mine.text.startswith("BEGIN:VCALENDAR")
    assert (await browser.get("/ics/not-a-token.ics")).status_code == 404
