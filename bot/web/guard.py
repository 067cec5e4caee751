"""Who may see a page: the session cookie, the admin flag and the CSRF token of forms.

Every refusal is a small page with one human sentence, the right status, and one log line;
nothing is changed by a refused request.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from bot.core.errors import UserError
from bot.services.dashboard import WebSession
from bot.services.dashboard import texts as say
from bot.web.context import Web

logger = logging.getLogger(__name__)

COOKIE = "cohort_session"
Page = Callable[[Request, Web, WebSession], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def refuse(web: Web, request: Request, status: int, sentence: str) -> Response:
    """The error page, logged once."""
    logger.info("dashboard %s %s refused (%d): %s", request.method, request.url.path, status,
                sentence)
    return web.render(request, "error.html", {"error": sentence}, status=status)


def admin_page(page: Page) -> Endpoint:
    """Wrap a page: a live admin session, and on POST the session's CSRF token."""

    async def endpoint(request: Request) -> Response:
        web: Web = request.app.state.web
        who = await web.access.session(request.cookies.get(COOKIE))
        if who is None:
            return refuse(web, request, 401, say.LOGIN_NEEDED)
        if not who.admin:
            return refuse(web, request, 403, say.ADMINS_ONLY)
        if request.method == "POST":
            form = await request.form()
            given = str(form.get("csrf", ""))
            if not given or not hmac.compare_digest(given, who.csrf):
                return refuse(web, request, 403, say.BAD_CSRF)
        try:
            return await page(request, web, who)
        except UserError as exc:
            return refuse(web, request, 422, str(exc))

    return endpoint
