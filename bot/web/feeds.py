"""The calendar feed routes: ``/ics/community.ics`` and a member's ``/ics/<token>.ics``.

Mounted into the web app by the composition root; the rules live in the calendar service.
Conditional GETs let calendar apps poll cheaply: every answer carries an ETag (and a
Last-Modified), and ``If-None-Match`` naming the current ETag is answered 304 with no body.
``If-Modified-Since`` alone is not trusted for a 304: a session dropped from a feed leaves
no newer date behind, while the ETag always changes with the body.
"""

from __future__ import annotations

import logging
from email.utils import format_datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.services.calendar import CalendarService, Feed, UnknownFeed, texts

logger = logging.getLogger(__name__)

_TYPE = "text/calendar; charset=utf-8"


def _matches(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (a list, ``*``, weak tags compare weakly)."""
    if header is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


def _answer(request: Request, feed: Feed, *, public: bool = False) -> Response:
    # A member's feed is theirs alone: shared caches must not keep it.
    headers = {"ETag": feed.etag,
               "Cache-Control": f"{'public' if public else 'private'}, max-age=300"}
    if feed.modified is not None:
        headers["Last-Modified"] = format_datetime(feed.modified, usegmt=True)
    if _matches(request.headers.get("if-none-match"), feed.etag):
        return Response(status_code=304, headers=headers)
    return Response(feed.body, media_type=_TYPE, headers=headers)


def routes(calendar: CalendarService) -> list[Route]:
    """The feed routes, the community feed first so its name is never taken for a token."""

    async def community(request: Request) -> Response:
        return _answer(request, await calendar.community_feed(), public=True)

    async def member(request: Request) -> Response:
        try:
            feed = await calendar.member_feed(request.path_params["token"])
        except UnknownFeed:
            logger.info("calendar feed: unknown or reset token from %s",
                        request.client.host if request.client else "?")
            return PlainTextResponse(texts.UNKNOWN_FEED, status_code=404)
        return _answer(request, feed)

    return [
        Route("/ics/community.ics", community, methods=["GET"]),
        Route("/ics/{token}.ics", member, methods=["GET"]),
    ]
