"""The overview's figures are kept a minute, said so, and dropped by a dashboard change."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from bot.app import App
from bot.core.clock import FixedClock
from bot.web.figure_cache import FigureCache
from tests.harness import Chat
from tests.web.conftest import log_in, shown

ACTIVE = re.compile(r"Active members: (\d+)")


async def active(browser: httpx.AsyncClient) -> tuple[int, str]:
    page = shown(await browser.get("/"))
    found = ACTIVE.search(page)
    assert found, page[-2000:]
    return int(found.group(1)), page.split('id="as-of">', 1)[1].split(";", 1)[0]


async def test_overview_figures_are_kept_then_recomputed_after_a_minute_or_a_change(
        chat: Chat, app: App, clock: FixedClock, browser: httpx.AsyncClient):
    await chat.say("hello", who="maya")
    await app.interactions.flush()
    clock.advance(timedelta(minutes=1))  # figures count what happened before now
    csrf = await log_in(chat, browser)  # tomas's /dashboard counts from the next minute
    first, as_of = await active(browser)
    assert (first, as_of) == (1, "Figures as of Mon 23 Nov 2026 10:01 UTC")
    await chat.say("hello", who="lena")
    await app.interactions.flush()
    clock.advance(timedelta(seconds=30))
    assert await active(browser) == (1, as_of)  # kept: the page says since when
    clock.advance(timedelta(minutes=10))
    second, later = await active(browser)
    assert (second, later) == (3, "Figures as of Mon 23 Nov 2026 10:11 UTC")
    await chat.say("hello", who="omar")
    await app.interactions.flush()
    clock.advance(timedelta(seconds=30))
    assert (await active(browser))[0] == 3
    made = await browser.post("/events/new", data={"csrf": csrf, "title": "Talk",
                                                   "start": "tomorrow 18:00"})
    assert made.status_code == 200
    assert (await active(browser))[0] == 4  # a change made here drops them at once


async def test_stale_figures_are_served_while_newer_ones_are_computed(clock: FixedClock):
    cache = FigureCache(clock)
    calls: list[int] = []

    async def compute() -> dict[str, object]:
        calls.append(1)
        return {"n": len(calls)}

    assert (await cache.get("k", compute))[0] == {"n": 1}
    assert (await cache.get("k", compute))[0] == {"n": 1} and len(calls) == 1
    clock.advance(timedelta(minutes=2))
    assert (await cache.get("k", compute))[0] == {"n": 1}  # stale, refresh under way
    await cache.idle()
    assert (await cache.get("k", compute))[0] == {"n": 2}
    clock.advance(timedelta(minutes=10))  # too old to show: computed before answering
    assert (await cache.get("k", compute))[0] == {"n": 3}
    cache.clear()
    assert (await cache.get("k", compute))[0] == {"n": 4}
