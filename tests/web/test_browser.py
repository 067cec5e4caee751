"""A real headless Chromium uses the dashboard as an organiser would (#17.5).

One browser for the whole module (starting Chromium is the slow part). Selenium is
synchronous and the dashboard is served from this test's event loop, so every browser
call runs in a thread.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urljoin

import pytest

from bot.app import App
from bot.core.clock import FixedClock
from tests.harness import Chat
from tests.web.conftest import link_from_bot

pytestmark = pytest.mark.browser
# Debian's packages; the variables only point elsewhere (or at nothing, to check the CI rule).
CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
DRIVER = os.environ.get("TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
T = TypeVar("T")


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    """Debian's chromium, headless, phone-sized; mandatory under CI=true."""
    missing = [p for p in (CHROMIUM, DRIVER) if not shutil.which(p)]
    if missing:
        reason = f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (mandatory under CI=true)")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=390,844", "--disable-extensions", "--no-first-run"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(DRIVER), options=options)
    browser.set_page_load_timeout(60)
    browser.implicitly_wait(10)  # a form's answer page may still be loading
    try:
        yield browser
    finally:
        browser.quit()


async def act(call: Callable[..., T], *args: Any) -> T:
    """Run one blocking Selenium call off the event loop that serves the pages."""
    return await asyncio.to_thread(call, *args)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_organiser_logs_in_creates_an_event_approves_a_reward_and_reads_the_figures(
        driver: Any, chat: Chat, app: App, clock: FixedClock, site: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as expected
    from selenium.webdriver.support.ui import WebDriverWait

    def text(selector: str) -> str:
        return str(driver.find_element(By.CSS_SELECTOR, selector).text)

    def fill_and_send(fields: dict[str, str], button: str) -> None:
        for name, value in fields.items():
            box = driver.find_element(By.NAME, name)
            box.clear()
            box.send_keys(value)
        driver.find_element(By.CSS_SELECTOR, button).click()

    for who in ("maya", "lena"):
        await chat.say("hello", who=who)
    await chat.say("/points give maya 100 welcome", who="tomas", admin=True)
    await chat.say('/reward add "sticker pack" 40', who="tomas", admin=True)
    await chat.say("/redeem sticker pack", who="maya")
    await app.interactions.flush()
    clock.advance(timedelta(days=1))

    await act(driver.get, urljoin(site, await link_from_bot(chat)))
    await act(driver.find_element(By.ID, "login").click)
    await act(WebDriverWait(driver, 20).until, expected.title_contains("Overview"))

    await act(driver.get, urljoin(site, "/events/new"))
    await act(fill_and_send, {"title": "Async Python", "start": "tomorrow 18:00",
                              "duration": "90m", "capacity": "30"}, "#create")
    created = await act(text, "#message")
    [view] = await app.features.events.upcoming()
    assert f"Created #{view.id}" in created
    assert "Async Python" in await act(text, "#events")
    assert (view.title, view.capacity) == ("Async Python", 30)

    await act(driver.get, urljoin(site, "/rewards"))
    assert "sticker pack" in await act(text, "#redemptions")
    [waiting] = await app.features.rewards.pending()
    await act(fill_and_send, {"note": "enjoy"}, f"#approve-{waiting.id}")
    assert "approved" in (await act(text, "#message")).lower()
    assert await app.features.rewards.pending() == []

    await act(driver.get, urljoin(site, "/"))
    said = await chat.text("/stats community", who="tomas", admin=True, dm=True)
    figures = await act(text, "#community")
    for line in said.splitlines():
        assert line in figures, (line, figures)
    await act(driver.get, urljoin(site, f"/events/{view.id}"))
    assert "Async Python" in await act(text, "h1")

    await act(driver.get, urljoin(site, "/members?q=maya"))
    await act(driver.find_element(By.CSS_SELECTOR, "#found a").click)
    shown_points = await act(text, "#points")
    said_points = await chat.text("/points show maya", who="tomas", admin=True)
    assert said_points.splitlines()[0] in shown_points
    for page, heading in (("/outbox", "Outbox"), ("/analytics", "Analytics"),
                          ("/settings", "Settings")):
        await act(driver.get, urljoin(site, page))
        assert await act(text, "h1") == heading
    # A phone-sized window never scrolls sideways on the overview.
    await act(driver.get, urljoin(site, "/"))
    widest = await act(driver.execute_script, """
        const wide = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1);
        return [document.documentElement.scrollWidth, window.innerWidth,
                wide.slice(0, 3).map(e => e.tagName + '.' + e.className)];""")
    assert widest[0] <= widest[1], widest
