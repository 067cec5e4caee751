"""Analytics for organisers: events, community activity, segments, turnout, funnel, best times.

Everything is computed from the tables the other features already keep (interactions,
RSVPs with check-ins, feedback, challenge solves), so there is no rollup to keep in step
and nothing personal is copied: ``/forgetme`` removes a member from every figure at once.
Reads (storage.repos.analytics) stream only the period asked for; the maths lives in
:mod:`recommender` (pure); each job is its own module here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.offload import off_loop
from bot.services.analytics import best_times as best
from bot.services.analytics import community as activity
from bot.services.analytics import funnel as funnels
from bot.services.analytics import segments as segmenting
from bot.services.analytics.event_stats import event_stats
from bot.services.analytics.turnout import show_up
from bot.services.analytics.views import (
    BestTimes,
    CommunityStats,
    EventStats,
    Funnel,
    Prediction,
    SegmentReport,
    Window,
)
from config.settings import AnalyticsSettings
from recommender import segments as seg
from recommender import turnout as tm
from storage import Database

MAX_PERIOD = timedelta(days=730)


class AnalyticsService:
    """Reads the community's history and answers organisers' questions."""

    def __init__(self, db: Database, clock: Clock,
                 settings: AnalyticsSettings | None = None) -> None:
        self._db = db
        self._clock = clock
        self.settings = settings or AnalyticsSettings()

    def now(self) -> datetime:
        """The analytics clock's time (a report may be built as of a past moment)."""
        return self._clock.now()

    async def event_ids(self, since: datetime, until: datetime) -> list[int]:
        """Events (not cancelled) that started in [since, until), by start."""
        async with self._db.unit() as unit:
            return await unit.analytics.event_ids(since, until)

    async def event(self, event_id: int) -> EventStats:
        """RSVPs, attendance, no-shows, waitlist, satisfaction and predicted turnout."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            return await event_stats(unit, self.settings, now, event_id)

    async def predict(self, event_id: int) -> Prediction | None:
        """Predicted turnout of an event from its RSVPs; None while history is too thin."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            event = await unit.analytics.event(event_id)
            if event is None:
                return None
            going = await unit.analytics.going(event_id)
            model, _ = await show_up(unit, self.settings, before=min(now, event.starts_at))
        if model is None:
            return None
        return Prediction(model.predict(going), model.community_rate)

    async def show_up_model(self, before: datetime | None = None) -> tm.ShowUpModel:
        """The fitted show-up model from events that ended before ``before`` (default now)."""
        async with self._db.unit() as unit:
            model, note = await show_up(unit, self.settings, before or self._clock.now())
        if model is None:
            raise UserError(note)
        return model

    def window(self, since: datetime, until: datetime) -> Window:
        """A chosen period, checked: it has begun, is at most two years, ends by now.

        A period reaching past now ends now (there is no activity there yet, and a funnel
        must not count future weeks as "did not come back").
        """
        now = self._clock.now()
        if since >= now:
            raise UserError("The start date is in the future; pick a date up to today.")
        if until <= since:
            raise UserError("The start date must be on or before the end date.")
        if until - since > MAX_PERIOD + timedelta(days=1):
            raise UserError("A date range can be at most two years (730 days).")
        return Window(since, min(until, now))

    async def community(self, period: timedelta, window: Window | None = None
                        ) -> CommunityStats:
        """Active members, new vs returning, messages, events, solves and retention."""
        since, now = self._span(period, window)
        async with self._db.unit() as unit:
            return await activity.community(unit, self.settings, since, now)

    async def features(self, window: Window | None = None
                       ) -> tuple[datetime, list[seg.MemberFeatures]]:
        """Each member's engagement over the segment window (or the chosen one)."""
        now = window.until if window else self._clock.now()
        async with self._db.unit() as unit:
            return await segmenting.features(unit, self.settings, now,
                                             window.since if window else None)

    async def segments(self, window: Window | None = None) -> SegmentReport:
        """K-means segments with k by silhouette, named from their centroids."""
        since, members = await self.features(window)
        # K-means over k = 2..max_k plus silhouettes: seconds of CPU for 10,000 members.
        report = await off_loop(segmenting.segment, self.settings, since, members)
        return replace(report, until=window.until) if window else report

    async def funnel(self, period: timedelta, tag: str | None = None,
                     window: Window | None = None) -> Funnel:
        """RSVP → attended → solved the linked challenge → came back within 30 days."""
        since, now = self._span(period, window)
        async with self._db.unit() as unit:
            result = await funnels.funnel(unit, self.settings, since, now, tag)
        return replace(result, until=window.until) if window else result

    async def export(self, period: timedelta) -> bytes:
        """The funnel's rows (one per member and event) as CSV."""
        return funnels.to_csv(await self.funnel(period))

    async def best_times(self, duration: timedelta = timedelta(hours=1),
                         window: Window | None = None) -> BestTimes:
        """Three weekly slots reaching the most members, from their local activity hours."""
        best.check_duration(duration)
        now = window.until if window else self._clock.now()
        async with self._db.unit() as unit:
            found = await best.best_times(unit, self.settings, now, duration,
                                          window.since if window else None)
        return replace(found, until=window.until) if window else found

    def _span(self, period: timedelta, window: Window | None) -> tuple[datetime, datetime]:
        if window is not None:
            return window.since, window.until
        now = self._clock.now()
        return self._since(period, now), now

    def _since(self, period: timedelta, now: datetime) -> datetime:
        if period < timedelta(days=1):
            raise UserError("The period must be at least a day, e.g. 7d, 4w or 90d.")
        if period > MAX_PERIOD:
            raise UserError("The period can be at most two years (730d).")
        return now - period
