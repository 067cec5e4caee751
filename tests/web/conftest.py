"""A real uvicorn serving the dashboard on 127.0.0.1 over the test app, and logins."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from bot.app import App
from bot.web import create_app, serving
from tests.harness import Chat

LINK = re.compile(r"https?://\S+/login/\S+")


@pytest.fixture
async def site(app: App) -> AsyncIterator[str]:
    """The dashboard's address (a free port)."""
    async with serving(create_app(app), "127.0.0.1", 0) as address:
        yield address


@pytest.fixture
async def browser(site: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that keeps cookies, like a browser."""
    async with httpx.AsyncClient(base_url=site, follow_redirects=False, timeout=30) as client:
        yield client


async def link_from_bot(chat: Chat, who: str = "tomas") -> str:
    """The login link ``/dashboard`` sends an admin, as a path on the test server."""
    text = await chat.text("/dashboard", who=who, admin=True, dm=True)
    found = LINK.search(text)
    assert found, text
    return urlsplit(found.group(0)).path


async def log_in(chat: Chat, client: httpx.AsyncClient, who: str = "tomas") -> str:
    """Log ``client`` in as the admin ``who``; returns the CSRF token of its forms."""
    path = await link_from_bot(chat, who)
    assert (await client.get(path)).status_code == 200  # a preview fetch uses nothing
    response = await client.post(path)
    assert response.status_code == 303, response.text
    page = await client.get("/events/new")
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found, page.text
    return found.group(1)


def shown(response: httpx.Response) -> str:
    """The page's text as a reader sees it (entities decoded)."""
    return html.unescape(response.text)
