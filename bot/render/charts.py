"""Charts as PNG bytes (matplotlib, Agg canvas, drawn in a worker thread).

Only matplotlib's object API is used (``Figure`` + ``FigureCanvasAgg``), never ``pyplot``:
pyplot keeps global figure state and picks a GUI backend, neither of which belongs in a
server. Drawing takes tens of milliseconds of CPU, so it runs in a thread; one lock keeps
two charts from drawing at once because matplotlib's text and font caches are shared.
matplotlib is imported on first use, so the bot starts without paying for it.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypeVar

from bot.core import values
from bot.core.offload import off_loop
from bot.render import fonts
from bot.services.analytics.texts import DAYS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from bot.services.analytics.views import (
        BestTimes,
        CommunityStats,
        EventStats,
        Funnel,
        SegmentReport,
    )

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
T = TypeVar("T")


class Charts:
    """Draws the analytics figures."""

    def __init__(self, dpi: int = 100) -> None:
        self._dpi = dpi
        self._lock = threading.Lock()

    async def _render(self, draw: Callable[[T], Figure], data: T) -> bytes:
        return await off_loop(self._png, draw, data)

    def _png(self, draw: Callable[[T], Figure], data: T) -> bytes:
        from matplotlib import rc_context
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        # Titles and labels carry members' words: every script and emoji, from the font
        # chain of bot.render.fonts, so no glyph is missing (and nothing warns).
        with self._lock, rc_context({"font.family": fonts.matplotlib_families()}):
            figure = draw(data)
            FigureCanvasAgg(figure)
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=self._dpi)
        return buffer.getvalue()

    async def event(self, stats: EventStats) -> bytes:
        """Answers and attendance, and the rating distribution when there are ratings."""
        return await self._render(draw_event, stats)

    async def community(self, stats: CommunityStats) -> bytes:
        """Active members, new vs returning, messages and retention on one sheet."""
        return await self._render(draw_community, stats)

    async def segments(self, report: SegmentReport) -> bytes:
        """Segment sizes and what sets each apart."""
        return await self._render(draw_segments, report)

    async def funnel(self, funnel: Funnel) -> bytes:
        """The funnel overall and per tag."""
        return await self._render(draw_funnel, funnel)

    async def best_times(self, best: BestTimes, timezone: str) -> bytes:
        """Reach by hour of the week in the reader's zone, with the best slots marked."""
        return await self._render(lambda b: draw_best_times(b, timezone), best)


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def draw_event(stats: EventStats) -> Figure:
    """Bars of the answers and of attendance; a rating histogram beside them."""
    ratings = bool(stats.ratings)
    figure = _figure(10 if ratings else 6, 4)
    axes = figure.subplots(1, 2 if ratings else 1, squeeze=False)[0]
    labels = ["going", "maybe", "waitlist", "no"]
    counts = [stats.going, stats.answers.get("maybe", 0), stats.waitlist,
              stats.answers.get("no", 0)]
    colors = ["#4c72b0", "#8da0cb", "#dd8452", "#bbbbbb"]
    if stats.ended:
        labels += ["attended", "no-show"]
        counts += [stats.attended, stats.going - stats.attended_going]
        colors += ["#55a868", "#c44e52"]
    ax = axes[0]
    bars = ax.bar(labels, counts, color=colors)
    ax.bar_label(bars)
    if stats.prediction is not None and not stats.ended:
        ax.axhline(stats.prediction.expected, color="#55a868", linestyle="--",
                   label=f"predicted turnout {stats.prediction.expected:.1f}")
        ax.legend(loc="upper right")
    ax.set_title(f"#{stats.id} {stats.title[:40]}")
    ax.set_ylabel("members")
    if ratings:
        ax2 = axes[1]
        bars = ax2.bar([str(r) for r in range(1, 6)], stats.distribution, color="#937860")
        ax2.bar_label(bars)
        ax2.set_title(f"satisfaction: mean {stats.rating_mean:.2f} of 5 "
                      f"({len(stats.ratings)} ratings)")
        ax2.set_xlabel("rating")
    return figure


def draw_community(stats: CommunityStats) -> Figure:
    """Daily active and messages, weekly new vs returning, weekly active, retention."""
    figure = _figure(12, 8)
    (a, b), (c, d) = figure.subplots(2, 2)
    a.plot(stats.days, stats.daily_active, color="#4c72b0", label="active members")
    a.set_title("daily active members and messages")
    a.set_ylabel("members")
    twin = a.twinx()
    twin.bar(stats.days, stats.daily_messages, color="#8da0cb", alpha=0.35,
             label="messages")
    twin.set_ylabel("messages")
    _dates(a)
    weeks = [w.strftime("%d %b") for w in stats.weeks]
    b.bar(weeks, stats.weekly_returning, color="#4c72b0", label="returning")
    b.bar(weeks, stats.weekly_new, bottom=stats.weekly_returning, color="#dd8452",
          label="new")
    b.set_title("weekly active: new vs returning")
    b.legend()
    b.tick_params(axis="x", rotation=45)
    c.plot(weeks, stats.weekly_active, marker="o", color="#55a868")
    c.set_title(f"weekly active members · {stats.events_held} events held · "
                f"{stats.challenges_solved} challenges solved")
    c.tick_params(axis="x", rotation=45)
    c.set_ylim(bottom=0)
    _retention(d, stats.retention_weeks, stats.retention)
    return figure


def _dates(ax: Axes) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _retention(ax: Axes, weeks: Sequence[date], table: Sequence[Sequence[float | None]]) -> None:
    import numpy as np

    grid = np.array([[np.nan if v is None else v for v in row] for row in table], dtype=float)
    image = ax.imshow(grid, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [f"+{k} wk" for k in range(1, grid.shape[1] + 1)])
    ax.set_yticks(range(len(weeks)), [f"week of {w:%d %b}" for w in weeks])
    for (row, col), value in np.ndenumerate(grid):
        if not np.isnan(value):
            ax.text(col, row, f"{value:.0%}", ha="center", va="center",
                    color="white" if value < 0.6 else "black", fontsize=8)
    ax.set_title("retention: of those active in a week, share active k weeks later")
    ax.figure.colorbar(image, ax=ax)


def draw_segments(report: SegmentReport) -> Figure:
    """Segment sizes, and each segment's features in standard units."""
    import numpy as np

    from recommender.segments import FEATURES

    segments = report.result.segments
    figure = _figure(12, 4.5)
    a, b = figure.subplots(1, 2, width_ratios=(1, 1.4))
    names = [f"{s.name} ({s.size})" for s in segments]
    a.barh(names, [s.size for s in segments], color="#4c72b0")
    a.invert_yaxis()
    a.set_title(f"{report.members} members in {report.result.k} segments "
                f"(silhouette {report.result.silhouette:.2f})")
    grid = np.array([[s.zscores[f] for f in FEATURES] for s in segments])
    limit = max(1.0, float(np.abs(grid).max()))
    image = b.imshow(grid, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    b.set_xticks(range(len(FEATURES)), [f.replace("_days", " (d)") for f in FEATURES],
                 rotation=30)
    b.set_yticks(range(len(segments)), [s.name for s in segments])
    for (row, col), _value in np.ndenumerate(grid):
        b.text(col, row, f"{segments[row].medians[FEATURES[col]]:.0f}", ha="center",
               va="center", fontsize=8)
    b.set_title("centroids (colour: standard units; numbers: medians)")
    figure.colorbar(image, ax=b)
    return figure


def draw_funnel(funnel: Funnel) -> Figure:
    """The overall funnel as bars, and stage rates per tag."""
    groups = funnel.by_tag[:8]
    figure = _figure(12 if groups else 6, 4.5)
    axes = figure.subplots(1, 2 if groups else 1, squeeze=False)[0]
    stages = funnel.total.stages()
    ax = axes[0]
    bars = ax.barh([s for s, _, _ in stages], [n for _, n, _ in stages],
                   color=["#4c72b0", "#55a868", "#dd8452", "#8172b3"])
    ax.bar_label(bars, labels=[f"{n} / {base}" if base else "n/a" for _, n, base in stages])
    ax.invert_yaxis()
    ax.set_title(f"learning funnel · {funnel.total.events} events")
    if groups:
        import numpy as np

        b = axes[1]
        width = 0.8 / 3
        x = np.arange(len(groups))
        for i, (label, color) in enumerate((("attended", "#55a868"), ("solved", "#dd8452"),
                                            ("came back", "#8172b3"))):
            rates = [_rate(g.stages()[i + 1][1], g.stages()[i + 1][2]) for g in groups]
            b.bar(x + i * width, rates, width, label=label, color=color)
        b.set_xticks(x + width, [g.name for g in groups], rotation=30)
        b.set_ylim(0, 1)
        b.set_ylabel("share of the previous stage")
        b.set_title("per tag")
        b.legend()
    return figure


def _rate(count: int, base: int) -> float:
    return count / base if base else 0.0


def draw_best_times(best: BestTimes, timezone: str) -> Figure:
    """Reach by local day and hour; the chosen slots outlined."""
    import numpy as np
    from matplotlib.patches import Rectangle

    offset = _offset_hours(best, timezone)
    reach = np.roll(np.array(best.reach_by_hour), offset).reshape(7, 24)
    figure = _figure(12, 4)
    ax = figure.subplots()
    image = ax.imshow(reach, cmap="magma", aspect="auto")
    ax.set_yticks(range(7), list(DAYS))
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel(f"hour of the day ({timezone})")
    for rank, slot in enumerate(best.slots, 1):
        start = (slot.start_hour + offset) % 168
        day, hour = divmod(start, 24)
        ax.add_patch(Rectangle((hour - 0.5, day - 0.5), min(slot.hours, 24 - hour), 1,
                               fill=False, edgecolor="#00d0ff", linewidth=2))
        ax.text(hour, day, str(rank), color="#00d0ff", ha="left", va="center",
                fontweight="bold")
    ax.set_title(f"members usually around, by weekly slot of {slot_label(best)}")
    figure.colorbar(image, ax=ax, label="members")
    return figure


def slot_label(best: BestTimes) -> str:
    """The slot length as ``90m``."""
    return values.format_duration(best.duration)


def _offset_hours(best: BestTimes, timezone: str) -> int:
    if not best.slots:
        return 0
    zone = values.zone(timezone)
    start = best.slots[0].next_start(best.now)
    offset = start.astimezone(zone).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 3600)
