"""The dashboard's pages: events, one event, rewards, outbox, members, settings.

Reads go to the services the commands use; changes go through :class:`CommandRunner`, so
they are the admin commands themselves (same rules, same words, same audit log).
"""

from __future__ import annotations

import csv
import hmac
import io

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.core.errors import UserError
from bot.core.model import Member, Platform
from bot.services.analytics.texts import render_event
from bot.services.analytics.views import Comment
from bot.services.dashboard import WebSession
from bot.services.dashboard import texts as say
from bot.services.events import texts as event_texts
from bot.services.points import texts as points_texts
from bot.web.context import Web
from bot.web.guard import COOKIE, admin_page, refuse

PAGE_SIZE = 25


async def login(request: Request) -> Response:
    """Swap a single-use link for a session cookie, on the button press only.

    Opening the link (GET) only shows the button: Discord and Telegram fetch links to
    preview them, and that fetch must not use up the link.
    """
    web: Web = request.app.state.web
    if request.method == "GET":
        return web.render(request, "login.html", {})
    token = await web.access.open(request.path_params["token"])
    if token is None:
        return refuse(web, request, 401, say.BAD_LINK)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token, max_age=int(web.settings.web.session_hours * 3600),
                        httponly=True, samesite="lax", secure=web.access.secure, path="/")
    return response


@admin_page
async def events(request: Request, web: Web, who: WebSession) -> Response:
    """Upcoming events, a page at a time."""
    return await _events_page(request, web, who, None)


async def _events_page(request: Request, web: Web, who: WebSession,
                       message: str | None) -> Response:
    try:
        page = max(1, min(1000, int(request.query_params.get("page", "1"))))
    except ValueError:
        raise UserError("The page must be a whole number, e.g. 2.") from None
    past = request.query_params.get("when") == "past"
    tag = request.query_params.get("tag", "").strip()[:30]
    views, more = await web.features.events.listing(PAGE_SIZE, page, past=past, tag=tag)
    rows = [(v, web.local(v.start, who.timezone)) for v in views]
    return web.render(request, "events.html", {"who": who, "rows": rows, "page": page,
                                               "more": more, "message": message,
                                               "past": past, "tag": tag})


@admin_page
async def create_event(request: Request, web: Web, who: WebSession) -> Response:
    """The create form, and ``/event create`` when it is sent."""
    if request.method == "GET":
        return web.render(request, "event_form.html", {"who": who, "form": {}})
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf"}
    reply = await web.runner.run(who, await web.member(who), "event create", form)
    return await _events_page(request, web, who, reply.text)


async def _change(request: Request, web: Web, who: WebSession, path: str) -> Response:
    event_id = request.path_params["event_id"]
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf"}
    form["id"] = str(event_id)
    reply = await web.runner.run(who, await web.member(who), path, form)
    return await _event_page(request, web, who, event_id, reply.text)


@admin_page
async def edit_event(request: Request, web: Web, who: WebSession) -> Response:
    """``/event edit`` from the event page."""
    return await _change(request, web, who, "event edit")


@admin_page
async def cancel_event(request: Request, web: Web, who: WebSession) -> Response:
    """``/event cancel`` from the event page."""
    return await _change(request, web, who, "event cancel")


@admin_page
async def announce_event(request: Request, web: Web, who: WebSession) -> Response:
    """``/event announce`` from the event page."""
    return await _change(request, web, who, "event announce")


@admin_page
async def event(request: Request, web: Web, who: WebSession) -> Response:
    """One event: details, attendees, waitlist, check-ins, predicted turnout."""
    return await _event_page(request, web, who, request.path_params["event_id"], None)


async def _event_page(request: Request, web: Web, who: WebSession, event_id: int,
                      message: str | None) -> Response:
    report = await web.features.events.attendees(event_id)
    view = report.event
    now = web.clock.now()
    figures: list[str] = []
    comments: list[Comment] = []
    if web.features.analytics is not None:
        # /stats event's own text: answers, attendance, predicted turnout, satisfaction.
        stats = await web.features.analytics.event(view.id)
        figures = render_event(stats, who.timezone, now).splitlines()[1:]
        comments = list(stats.comments)
    series = []
    if view.series_id is not None:
        series = [(v, web.local(v.start, who.timezone))
                  for v in await web.features.events.series_sessions(view.series_id)]
    return web.render(request, "event.html", {
        "who": who, "view": view, "report": report, "message": message, "series": series,
        "when": web.local(view.start, who.timezone), "figures": figures,
        "comments": comments, "details": event_texts.details(view, who.timezone, now)})


@admin_page
async def attendees_csv(request: Request, web: Web, who: WebSession) -> Response:
    """The attendee list as CSV (name, answer, checked in)."""
    del who
    report = await web.features.events.attendees(request.path_params["event_id"])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "status", "checked_in"])
    for group in (report.going, report.offered, report.waitlist, report.maybe):
        for person in group:
            writer.writerow([_cell(person.name), person.status,
                             "yes" if person.checked_in else "no"])
    return Response(out.getvalue(), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="event-{report.event.id}.csv"'})


def _cell(text: str) -> str:
    """Keep a spreadsheet from running a name as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@admin_page
async def rewards(request: Request, web: Web, who: WebSession) -> Response:
    """The redemption approval queue."""
    return await _rewards_page(request, web, who, None)


async def _rewards_page(request: Request, web: Web, who: WebSession,
                        message: str | None) -> Response:
    pending = await web.features.rewards.pending()
    rows = [(r, web.local(r.created_at, who.timezone)) for r in pending]
    return web.render(request, "rewards.html", {"who": who, "rows": rows, "message": message})


@admin_page
async def decide_reward(request: Request, web: Web, who: WebSession) -> Response:
    """``/reward approve`` or ``/reward reject`` with a note."""
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf"}
    verb = form.pop("decision", "")
    if verb not in ("approve", "reject"):
        raise UserError("Choose approve or reject.")
    form["id"] = str(request.path_params["redemption_id"])
    reply = await web.runner.run(who, await web.member(who), f"reward {verb}", form)
    return await _rewards_page(request, web, who, reply.text)


async def logout(request: Request) -> Response:
    """End this browser's session (``/dashboard logout-all`` ends every session)."""
    web: Web = request.app.state.web
    token = request.cookies.get(COOKIE)
    who = await web.access.session(token)
    if who is not None:
        given = str((await request.form()).get("csrf", ""))
        if not hmac.compare_digest(given, who.csrf):
            return refuse(web, request, 403, say.BAD_CSRF)
        await web.access.logout(token or "")
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


async def not_found(request: Request, exc: Exception) -> Response:
    """Unknown paths: a page, not a stack trace."""
    del exc
    return refuse(request.app.state.web, request, 404, say.NOT_FOUND)


@admin_page
async def outbox(request: Request, web: Web, who: WebSession) -> Response:
    """Pending and failed messages with their reasons (what ``/outbox`` says)."""
    return await _outbox_page(request, web, who, None)


async def _outbox_page(request: Request, web: Web, who: WebSession,
                       message: str | None) -> Response:
    report = await web.features.outbox.report()
    pending = [(row_id, kind, web.local(due, who.timezone), attempts, error,
                report.about.get(row_id, ""))
               for row_id, kind, due, attempts, error in report.pending]
    failed = [(row_id, kind, status, error, report.about.get(row_id, ""))
              for row_id, kind, status, error in report.failed]
    return web.render(request, "outbox.html", {"who": who, "counts": dict(report.counts),
                                               "pending": pending, "failed": failed,
                                               "message": message})


@admin_page
async def retry_message(request: Request, web: Web, who: WebSession) -> Response:
    """``/outbox retry=<id>`` from the outbox page."""
    row_id = request.path_params["row_id"]
    reply = await web.runner.run(who, await web.member(who), "outbox", {"retry": str(row_id)})
    return await _outbox_page(request, web, who, reply.text)


@admin_page
async def settings(request: Request, web: Web, who: WebSession) -> Response:
    """The effective settings, read-only, secrets masked (as ``cohort config show``)."""
    masked = web.settings.masked()
    sections = [(name, value) for name, value in masked.items() if isinstance(value, dict)]
    top = [(name, value) for name, value in masked.items() if not isinstance(value, dict)]
    return web.render(request, "settings.html", {"who": who, "top": top,
                                                 "sections": sections})


@admin_page
async def members(request: Request, web: Web, who: WebSession) -> Response:
    """Find members by @handle, platform id, display name or #number."""
    query = request.query_params.get("q", "").strip()[:100]
    found: dict[int, Member] = {}
    if query:
        number = query.removeprefix("#")
        if number.isdigit():
            by_id = await web.directory.get(int(number))
            if by_id is not None:
                found[by_id.member_id] = by_id
        for platform in Platform:
            match = await web.directory.resolve(platform, query)
            if match is not None:
                found[match.member_id] = match
    return web.render(request, "members.html", {"who": who, "query": query,
                                                "found": list(found.values())})


@admin_page
async def member(request: Request, web: Web, who: WebSession) -> Response:
    """One member: points, level, recent ledger, and give/take."""
    return await _member_page(request, web, who, request.path_params["member_id"], None)


async def _member_page(request: Request, web: Web, who: WebSession, member_id: int,
                       message: str | None) -> Response:
    target = await web.directory.get(member_id)
    if target is None:
        return refuse(web, request, 404, f"There is no member #{member_id}.")
    standing = await web.features.points.standing(target)
    history = await web.features.points.history(member_id, 20)
    summary = points_texts.points_summary(standing, history)
    accounts = await web.features.links.accounts(target)
    return web.render(request, "member.html", {"who": who, "member": target,
                                               "summary": summary, "message": message,
                                               "accounts": accounts})


@admin_page
async def correct_points(request: Request, web: Web, who: WebSession) -> Response:
    """``/points give`` or ``/points take`` for the member shown."""
    member_id = request.path_params["member_id"]
    target = await web.directory.get(member_id)
    if target is None:
        return refuse(web, request, 404, f"There is no member #{member_id}.")
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf"}
    verb = form.pop("decision", "")
    if verb not in ("give", "take"):
        raise UserError("Choose give or take.")
    reply = await web.runner.run(who, await web.member(who), f"points {verb}", form,
                                 chosen={"member": target})
    return await _member_page(request, web, who, member_id, reply.text)
