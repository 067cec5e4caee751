"""The figures pages: the overview and analytics, over the last N days or a chosen range.

A range is two dates in the organiser's time zone (From and To, both included); the
analytics service checks it and every figure is the one ``/stats`` computes for it.
Figures are kept for up to a minute (:class:`bot.web.figure_cache.FigureCache`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta

from starlette.requests import Request
from starlette.responses import Response

from bot.core import values
from bot.core.errors import UserError
from bot.services.analytics import AnalyticsService, Window
from bot.services.analytics.texts import (
    render_best_times,
    render_community,
    render_funnel,
    render_segments,
    span,
)
from bot.services.dashboard import WebSession
from bot.services.dashboard import texts as say
from bot.web import charts
from bot.web.context import Web
from bot.web.guard import admin_page, refuse

PERIOD = timedelta(days=30)
FUNNEL_PERIOD = timedelta(days=90)
MAX_DAYS = 730


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise UserError(say.BAD_DATE) from None


def chosen_window(request: Request, service: AnalyticsService,
                  who: WebSession) -> Window | None:
    """The From/To range of the query in the organiser's zone, or None when not given."""
    first = request.query_params.get("from", "").strip()[:20]
    last = request.query_params.get("to", "").strip()[:20]
    if not first and not last:
        return None
    if not first:
        raise UserError(say.TO_WITHOUT_FROM)
    zone = values.zone(who.timezone)
    since = datetime.combine(_day(first), time(0), zone)
    end_day = _day(last) if last else service.now().astimezone(zone).date()
    until = datetime.combine(end_day + timedelta(days=1), time(0), zone)
    return service.window(since, until)


def _range_fields(request: Request) -> dict[str, str]:
    return {"start": request.query_params.get("from", "").strip()[:20],
            "end": request.query_params.get("to", "").strip()[:20]}


def _key(request: Request, who: WebSession) -> tuple[str, ...]:
    return (request.url.path, *sorted(f"{k}={v}" for k, v in request.query_params.items()),
            who.timezone)


@admin_page
async def overview(request: Request, web: Web, who: WebSession) -> Response:
    """Community figures with charts beside them (the same figures as /stats)."""
    analytics = web.features.analytics
    data: dict[str, object] = {"who": who, **_range_fields(request)}
    if analytics is not None:
        window = chosen_window(request, analytics, who)
        figures, at = await web.figures.get(
            _key(request, who), lambda: _overview(analytics, window, who.timezone))
        data.update(figures, as_of=web.local(at, who.timezone))
    return web.render(request, "overview.html", data)


async def _overview(analytics: AnalyticsService, window: Window | None,
                    timezone: str) -> dict[str, object]:
    data: dict[str, object] = {}
    try:
        stats = await analytics.community(PERIOD, window)
        data["community_lines"] = render_community(
            stats, timezone if window else None).splitlines()
        data["weekly"] = charts.bars([f"{w:%d %b}" for w in stats.weeks],
                                     stats.weekly_active, "Active members per week")
        data["retention"] = [(f"{w:%d %b}", row) for w, row in
                             zip(stats.retention_weeks, stats.retention, strict=False)]
    except UserError as exc:
        data["community_missing"] = str(exc)
    try:
        funnel = await analytics.funnel(FUNNEL_PERIOD, window=window)
        data["funnel"] = render_funnel(funnel, timezone).splitlines()
        ratings = [row.rating for row in funnel.rows if row.rating is not None]
        data["satisfaction"] = say.satisfaction(
            ratings, span(window.since, window.until, timezone) if window
            else FUNNEL_PERIOD.days)
        data["funnel_chart"] = charts.bars(
            [stage for stage, _, _ in funnel.total.stages()],
            [count for _, count, _ in funnel.total.stages()], "Learning funnel")
    except UserError as exc:
        data["funnel_missing"] = str(exc)
    return data


@admin_page
async def analytics(request: Request, web: Web, who: WebSession) -> Response:
    """Funnel per tag, best time slots and segments over a chosen period (as /stats)."""
    service = web.features.analytics
    if service is None:
        return refuse(web, request, 404, say.NOT_FOUND)
    raw = request.query_params.get("days", "90")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise UserError(say.bad_days(MAX_DAYS))
    days = int(raw)
    tag = request.query_params.get("tag", "").strip()[:30] or None
    window = chosen_window(request, service, who)
    figures, at = await web.figures.get(
        _key(request, who), lambda: _analytics(service, days, tag, window, who.timezone))
    return web.render(request, "analytics.html", {
        "who": who, "days": days, "tag": tag or "", **figures,
        "window": span(window.since, window.until, who.timezone) if window else None,
        "as_of": web.local(at, who.timezone), **_range_fields(request)})


async def _analytics(service: AnalyticsService, days: int, tag: str | None,
                     window: Window | None, timezone: str) -> dict[str, object]:
    async def funnel() -> str:
        return render_funnel(await service.funnel(timedelta(days=days), tag, window),
                             timezone)

    async def best() -> str:
        return render_best_times(await service.best_times(window=window), timezone)

    async def segments() -> str:
        return render_segments(await service.segments(window), timezone)

    sections: list[tuple[str, list[str]]] = []
    makers: tuple[tuple[str, Callable[[], Awaitable[str]]], ...] = (
        ("Funnel", funnel), ("Best time slots", best), ("Segments", segments))
    for title, make in makers:
        try:
            sections.append((title, (await make()).splitlines()))
        except UserError as exc:
            sections.append((title, [str(exc)]))
    return {"sections": sections}
