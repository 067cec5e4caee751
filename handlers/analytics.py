"""Analytics commands for admins: ``/stats event|community|segments|funnel|export|besttime``.

Each answer is text an organiser can read at a glance plus, where a picture says more, a
PNG chart. Missing data is said plainly (by the service, as a UserError), never drawn as an
empty chart.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.model import FileOut, Reply
from bot.render.charts import Charts
from bot.services.analytics import AnalyticsService
from bot.services.analytics.texts import (
    export_note,
    render_best_times,
    render_community,
    render_event,
    render_funnel,
    render_segments,
)

PERIOD = Option("period", OptionKind.DURATION, "How far back, e.g. 7d, 4w or 90d (default 30d)")
DEFAULT_PERIOD = timedelta(days=30)


def commands(analytics: AnalyticsService, charts: Charts | None = None) -> list[Command]:
    """The /stats group (the service returns figures; ``charts`` draws them)."""
    charts = charts or Charts()

    async def event(ctx: Context) -> Reply:
        stats = await analytics.event(ctx.require("id", int))
        png = await charts.event(stats)
        return Reply(render_event(stats, ctx.member.timezone, ctx.now), private=True,
                     file=FileOut(f"event-{stats.id}.png", png, "image/png"))

    async def community(ctx: Context) -> Reply:
        stats = await analytics.community(ctx.get("period", timedelta, DEFAULT_PERIOD))
        png = await charts.community(stats)
        return Reply(render_community(stats), private=True,
                     file=FileOut("community.png", png, "image/png"))

    async def segments(ctx: Context) -> Reply:
        report = await analytics.segments()
        png = await charts.segments(report)
        return Reply(render_segments(report), private=True,
                     file=FileOut("segments.png", png, "image/png"))

    async def funnel(ctx: Context) -> Reply:
        result = await analytics.funnel(ctx.get("period", timedelta, timedelta(days=90)),
                                        ctx.get("tag", str))
        png = await charts.funnel(result)
        return Reply(render_funnel(result), private=True,
                     file=FileOut("funnel.png", png, "image/png"))

    async def export(ctx: Context) -> Reply:
        period = ctx.get("period", timedelta, timedelta(days=90))
        data = await analytics.export(period)
        rows = data.count(b"\n") - 1
        return Reply(export_note(rows, ctx.now - period), private=True,
                     file=FileOut(f"cohort-funnel-{ctx.now:%Y%m%d}.csv", data, "text/csv"))

    async def besttime(ctx: Context) -> Reply:
        best = await analytics.best_times(ctx.get("duration", timedelta, timedelta(hours=1)))
        png = await charts.best_times(best, ctx.member.timezone)
        return Reply(render_best_times(best, ctx.member.timezone), private=True,
                     file=FileOut("besttime.png", png, "image/png"))

    return [Command(
        "stats", "Analytics for organisers: events, community, segments, funnel", admin=True,
        subcommands=(
            Command("event", "One event: RSVPs, attendance, no-shows, ratings, turnout", event,
                    options=(Option("id", OptionKind.INTEGER, "The event's number",
                                    required=True, min_value=1),), example="/stats event 12"),
            Command("community", "Active members, new vs returning, retention", community,
                    options=(PERIOD,), example="/stats community 8w"),
            Command("segments", "Member segments from engagement (K-means)", segments),
            Command("funnel", "RSVP → attended → solved → came back, per tag and organiser",
                    funnel, options=(
                        Option("period", OptionKind.DURATION,
                               "How far back, e.g. 90d (default 90d)"),
                        Option("tag", OptionKind.TEXT, "Only events with this tag",
                               max_length=30)),
                    example="/stats funnel 90d python"),
            Command("export", "The funnel's rows as a CSV file", export,
                    options=(Option("period", OptionKind.DURATION,
                                    "How far back, e.g. 90d (default 90d)"),)),
            Command("besttime", "Three weekly slots that reach the most members", besttime,
                    options=(Option("duration", OptionKind.DURATION,
                                    "Length of the session, e.g. 90m (default 1h)"),),
                    example="/stats besttime 90m"),
        ),
    )]
