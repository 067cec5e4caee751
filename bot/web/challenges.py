"""The challenges pages: open ones, create, stats, submissions, edit, close, rejudge.

Each change is the admin command itself (same rules, same words, same audit log).
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from bot.core import values
from bot.core.errors import UserError
from bot.core.model import Attachment
from bot.services.challenges import texts as challenge_texts
from bot.services.dashboard import WebSession
from bot.web.context import Web
from bot.web.guard import admin_page

ACTIONS = ("close", "rejudge")
PAGE_SIZE = 25


async def _form(request: Request) -> tuple[dict[str, str], dict[str, Attachment]]:
    """Text fields and uploaded files of a multipart form (the CSRF field left out)."""
    fields: dict[str, str] = {}
    files: dict[str, Attachment] = {}
    for name, value in (await request.form()).multi_items():
        if isinstance(value, UploadFile):
            if value.filename:
                files[name] = Attachment(value.filename, await value.read(),
                                         value.content_type or "application/octet-stream")
        elif name != "csrf":
            fields[name] = value
    return fields, files


@admin_page
async def challenges(request: Request, web: Web, who: WebSession) -> Response:
    """Open challenges, and ``/challenge create`` with the tests file uploaded."""
    message = None
    if request.method == "POST":
        fields, files = await _form(request)
        reply = await web.runner.run(who, await web.member(who), "challenge create", fields,
                                     files=files)
        message = reply.text
    found = await web.features.challenges.open_challenges()
    listing = challenge_texts.open_list(found, values.zone(who.timezone))
    return web.render(request, "challenges.html", {"who": who, "found": found,
                                                   "listing": listing, "message": message})


@admin_page
async def challenge(request: Request, web: Web, who: WebSession) -> Response:
    """One challenge: attempts, solves, verdicts and leaderboard (``/challenge stats``)."""
    return await _page(request, web, who, request.path_params["challenge_id"], None)


async def _page(request: Request, web: Web, who: WebSession, challenge_id: int,
                message: str | None) -> Response:
    try:
        page = max(1, min(10_000, int(request.query_params.get("page", "1"))))
    except ValueError:
        raise UserError("The page must be a whole number, e.g. 2.") from None
    zone = values.zone(who.timezone)
    stats = await web.features.challenges.stats(challenge_id)
    entries, more = await web.features.challenges.judged(challenge_id, page, PAGE_SIZE)
    rows = [(e, challenge_texts.render_verdict(e.submission),
             web.local(e.submission.created_at, who.timezone)) for e in entries]
    view = stats.challenge
    return web.render(request, "challenge.html", {
        "who": who, "challenge_id": challenge_id, "view": view, "message": message,
        "stats": challenge_texts.stats(stats, zone), "rows": rows, "page": page,
        "more": more, "opens": challenge_texts.when(view.opens_at, zone),
        "closes": challenge_texts.when(view.closes_at, zone) if view.closes_at else ""})


@admin_page
async def edit_challenge(request: Request, web: Web, who: WebSession) -> Response:
    """``/challenge edit``: the fields filled in (blank ones stay), new tests optional."""
    challenge_id = request.path_params["challenge_id"]
    fields, files = await _form(request)
    fields["id"] = str(challenge_id)
    reply = await web.runner.run(who, await web.member(who), "challenge edit", fields,
                                 files=files)
    return await _page(request, web, who, challenge_id, reply.text)


@admin_page
async def manage_challenge(request: Request, web: Web, who: WebSession) -> Response:
    """``/challenge close`` or ``/challenge rejudge``."""
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise UserError("Choose close or rejudge.")
    challenge_id = request.path_params["challenge_id"]
    reply = await web.runner.run(who, await web.member(who), f"challenge {action}",
                                 {"id": str(challenge_id)})
    return await _page(request, web, who, challenge_id, reply.text)
