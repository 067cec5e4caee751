"""Build the dashboard's Starlette app from the running bot's parts."""

from __future__ import annotations

import time
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.app import App
from bot.web import challenges, feeds, figures, pages
from bot.web.context import HERE, Web, environment
from bot.web.figure_cache import FigureCache
from bot.web.runner import CommandRunner


def create_app(app: App, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The dashboard and the calendar feeds over ``app``'s services (``extra_routes``: more).

    Admin changes run the dispatcher's own admin commands (:class:`CommandRunner`).
    """
    access = app.features.dashboard
    assert access is not None, "the dashboard needs Features.dashboard"
    kept = FigureCache(app.clock)
    web = Web(settings=app.settings, clock=app.clock, features=app.features, access=access,
              directory=app.directory,
              runner=CommandRunner(app.dispatcher.available(True), access, app.clock,
                                   app.settings.limits.max_attachment_bytes,
                                   changed=kept.clear),
              templates=environment(), figures=kept)
    routes: list[BaseRoute] = [
        Route("/", figures.overview),
        Route("/login/{token}", pages.login, methods=["GET", "POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/events", pages.events),
        Route("/events/new", pages.create_event, methods=["GET", "POST"]),
        Route("/events/{event_id:int}", pages.event),
        Route("/events/{event_id:int}/edit", pages.edit_event, methods=["POST"]),
        Route("/events/{event_id:int}/cancel", pages.cancel_event, methods=["POST"]),
        Route("/events/{event_id:int}/announce", pages.announce_event, methods=["POST"]),
        Route("/events/{event_id:int}/attendees.csv", pages.attendees_csv),
        Route("/rewards", pages.rewards),
        Route("/rewards/{redemption_id:int}", pages.decide_reward, methods=["POST"]),
        Route("/members", pages.members),
        Route("/members/{member_id:int}", pages.member),
        Route("/members/{member_id:int}/points", pages.correct_points, methods=["POST"]),
        Route("/analytics", figures.analytics),
        Route("/challenges", challenges.challenges, methods=["GET", "POST"]),
        Route("/challenges/{challenge_id:int}", challenges.challenge),
        Route("/challenges/{challenge_id:int}/edit", challenges.edit_challenge,
              methods=["POST"]),
        Route("/challenges/{challenge_id:int}/{action:str}", challenges.manage_challenge,
              methods=["POST"]),
        Route("/outbox", pages.outbox),
        Route("/outbox/{row_id:int}/retry", pages.retry_message, methods=["POST"]),
        Route("/settings", pages.settings),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        *(feeds.routes(app.features.calendar) if app.features.calendar is not None else ()),
        *extra_routes,
    ]
    starlette = Starlette(routes=routes, exception_handlers={404: pages.not_found},
                          middleware=[Middleware(ServerTiming)])
    starlette.state.web = web
    return starlette


class ServerTiming:
    """Adds ``Server-Timing: app;dur=<ms>`` to every answer (G13 measures server time)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time one request up to the start of its answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                spent = (time.perf_counter() - started) * 1000
                headers = [*message.get("headers", []),
                           (b"server-timing", f"app;dur={spent:.1f}".encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed)
