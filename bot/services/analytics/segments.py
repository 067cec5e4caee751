"""Member segments: engagement features over a window, clustered by the recommender."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from bot.core.errors import UserError
from bot.services.analytics.attendance import attendance, ended_events
from bot.services.analytics.views import SegmentReport
from config.settings import AnalyticsSettings
from recommender import segments as seg
from storage import Unit


async def features(unit: Unit, settings: AnalyticsSettings, now: datetime,
                   since: datetime | None = None) -> tuple[datetime, list[seg.MemberFeatures]]:
    """Each member's engagement over [since, now) (default: the segment window)."""
    since = since or now - timedelta(days=settings.segment_days)
    last_seen = await unit.analytics.last_seen()
    joined = await unit.analytics.joined()
    messages: Counter[int] = Counter()
    async for member_id, kind, _at in unit.analytics.interactions(since, now):
        if kind == "message":
            messages[member_id] += 1
    attended: Counter[int] = Counter()
    grace = timedelta(minutes=settings.voice_grace_minutes)
    for record in (await attendance(unit, await ended_events(unit, since, now),
                                    grace)).values():
        attended.update(record.attended)
    solves = Counter(await unit.analytics.solvers_between(since))
    ratings = Counter(await unit.analytics.raters_since(since))
    out = []
    for member_id, seen in last_seen.items():
        if member_id not in joined or seen is None or joined[member_id] > now:
            continue  # a member who joined after the window was not one then
        out.append(seg.MemberFeatures(
            member_id=member_id, messages=messages[member_id], events=attended[member_id],
            solves=solves[member_id], feedback=ratings[member_id],
            recency_days=max(0.0, (now - seen) / timedelta(days=1)),
            tenure_days=max(0.0, (now - joined[member_id]) / timedelta(days=1)),
        ))
    return since, out


def segment(settings: AnalyticsSettings, since: datetime,
            members: list[seg.MemberFeatures]) -> SegmentReport:
    """K-means segments with k by silhouette, named from their centroids."""
    try:
        result = seg.segment(members, max_k=settings.max_segments,
                             min_members=settings.min_segment_members)
    except seg.TooLittleData as exc:
        raise UserError(f"Not enough data for segments: {exc}.") from None
    return SegmentReport(since, len(members), result)
