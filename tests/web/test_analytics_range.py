"""The overview and analytics pages over a chosen From/To range (#17).

The generated community (tests/services/analytics/generator.py) holds weekly events on
Tuesdays at 18:00 UTC from 1 September to 17 November 2026: a range sees only its own.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx

from bot.app import App
from bot.services.analytics import AnalyticsService
from bot.services.analytics.texts import render_best_times, render_funnel, render_segments
from bot.services.dashboard import texts as say
from tests.harness import Chat, snapshot
from tests.services.analytics.generator import generate
from tests.web.conftest import log_in, shown

ZONE = "Pacific/Auckland"  # UTC+13 in October: local days are not UTC days
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}


def service(app: App) -> AnalyticsService:
    assert app.features.analytics is not None
    return app.features.analytics


def local_midnight(day: str) -> datetime:
    return datetime.combine(datetime.fromisoformat(day).date(), time(0), ZoneInfo(ZONE))


async def test_a_range_shows_only_the_figures_inside_it(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    await generate(app.db)
    await chat.say(f"/profile timezone={ZONE}", who="tomas")
    await log_in(chat, browser)
    analytics = service(app)
    window = analytics.window(local_midnight("2026-10-01"),
                              local_midnight("2026-10-31") + timedelta(days=1))
    page = shown(await browser.get("/analytics", params=OCTOBER))
    assert "Showing from 2026-10-01 to 2026-10-31." in page
    # The same figures /stats computes, over the window: the four October Tuesdays only.
    funnel = render_funnel(await analytics.funnel(timedelta(days=90), window=window), ZONE)
    assert "all events (4 events)" in funnel
    best = render_best_times(await analytics.best_times(window=window), ZONE)
    segments = render_segments(await analytics.segments(window), ZONE)
    for line in (funnel + "\n" + best + "\n" + segments).splitlines():
        assert line in page, line
    whole = shown(await browser.get("/analytics"))
    assert "all events (12 events)" in whole and "all events (4 events)" not in whole
    # A local day is a local day: 1 Oct in Auckland begins at 11:00 UTC on 30 September.
    assert window.since == datetime(2026, 9, 30, 11, 0, tzinfo=ZoneInfo("UTC"))
    # Before any history: nothing to show, said in words.
    empty = shown(await browser.get("/analytics", params={"from": "2026-01-01",
                                                          "to": "2026-02-01"}))
    assert "No event ended between" in empty and "Not enough activity" in empty
    overview = shown(await browser.get("/", params=OCTOBER))
    assert "Community, 2026-10-01 to 2026-10-31" in overview
    assert "Events held: 4" in overview and "all events (4 events)" in overview
    assert "Satisfaction:" in overview and "from 2026-10-01 to 2026-10-31." in overview


async def test_a_bad_range_is_422_with_a_sentence_and_changes_nothing(
        chat: Chat, app: App, browser: httpx.AsyncClient):
    await log_in(chat, browser)
    await app.interactions.flush()  # /dashboard's own interaction row lands first
    before = await snapshot(app.db)
    today = app.clock.now().date()
    for params, sentence in (
            ({"from": "2026-13-01"}, say.BAD_DATE),
            ({"from": "1st October"}, say.BAD_DATE),
            ({"to": "2026-10-31"}, say.TO_WITHOUT_FROM),
            ({"from": "2026-10-31", "to": "2026-10-01"}, "on or before the end date"),
            ({"from": str(today + timedelta(days=2))}, "The start date is in the future"),
            ({"from": "2020-01-01", "to": "2026-10-01"}, "at most two years")):
        for path in ("/analytics", "/"):
            refused = await browser.get(path, params=params)
            assert refused.status_code == 422, (path, params)
            assert sentence in shown(refused), (path, params)
    assert await snapshot(app.db) == before
