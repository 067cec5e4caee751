"""Analytics for organisers: events, community activity, segments, turnout, funnel, best times.

Everything is computed from the tables the other features already keep (interactions,
RSVPs with check-ins, feedback, challenge solves), so there is no rollup to keep in step
and nothing personal is copied: ``/forgetme`` removes a member from every figure at once.
Reads stream only the period asked for; the maths lives in :mod:`recommender` (pure).

Attendance means a check-in, or, for a member who said "going", being in a voice channel
during the event (from 15 minutes before it starts until it ends): that is how online
sessions on Discord are attended.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.services.charts import Charts
from recommender import segments as seg
from recommender import slots as slot_math
from recommender import turnout as tm
from storage import Database, Unit
from storage.rows.activity import InteractionRow
from storage.rows.challenges import ChallengeRow, ChallengeSolveRow
from storage.rows.events import EventRow, FeedbackRow, RsvpRow
from storage.rows.members import MemberRow

Progress = Callable[[str, int, int], None]
ACTIVE_KINDS = ("message", "command", "reaction", "checkin", "submission", "voice")
MAX_PERIOD = timedelta(days=730)


@dataclass(frozen=True, slots=True)
class AnalyticsOptions:
    """Windows and thresholds."""

    segment_days: int = 90
    besttime_weeks: int = 12
    history_days: int = 365
    comeback_days: int = 30
    voice_grace_minutes: int = 15
    max_k: int = 8
    min_segment_members: int = seg.MIN_MEMBERS
    min_turnout_history: int = tm.MIN_HISTORY
    maybe_weight: float = 0.0


# -- values handlers render -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comment:
    """A rating with its comment."""

    name: str
    rating: int
    text: str


@dataclass(frozen=True, slots=True)
class EventStats:
    """One event's figures."""

    id: int
    title: str
    start: datetime
    end: datetime
    status: str
    tags: tuple[str, ...]
    capacity: int | None
    answers: dict[str, int]
    going: int
    attended: int
    checked_in: int
    by_voice: int
    ended: bool
    ratings: tuple[int, ...]
    comments: tuple[Comment, ...]
    prediction: tm.Turnout | None
    prediction_note: str
    community_rate: float | None

    @property
    def rsvps(self) -> int:
        """Every answer given (going, maybe, no, waitlist, offered, expired)."""
        return sum(self.answers.values())

    @property
    def waitlist(self) -> int:
        """Members waiting for a seat."""
        return self.answers.get("waitlist", 0)

    @property
    def attendance_rate(self) -> float | None:
        """Attended among those going (known once the event has ended)."""
        return self.attended / self.going if self.ended and self.going else None

    @property
    def no_show_rate(self) -> float | None:
        """Going but did not come, among those going."""
        if not self.ended or not self.going:
            return None
        return max(0, self.going - self.attended_going) / self.going

    @property
    def attended_going(self) -> int:
        """Attendees who had said going (everyone checked in is going, so all of them)."""
        return min(self.attended, self.going)

    @property
    def rating_mean(self) -> float | None:
        """The mean rating, or None without ratings."""
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    @property
    def distribution(self) -> list[int]:
        """How many gave 1, 2, 3, 4 and 5."""
        counts = Counter(self.ratings)
        return [counts.get(r, 0) for r in range(1, 6)]


@dataclass(frozen=True, slots=True)
class Prediction:
    """Predicted turnout of an upcoming event (for ``/event attendees``)."""

    turnout: tm.Turnout
    community_rate: float


@dataclass(frozen=True, slots=True)
class CommunityStats:
    """Community activity over a period (days are UTC days)."""

    since: datetime
    until: datetime
    days: list[date]
    daily_active: list[int]
    daily_messages: list[int]
    weeks: list[date]
    weekly_active: list[int]
    weekly_new: list[int]
    weekly_returning: list[int]
    members_active: int
    messages: int
    events_held: int
    avg_attendance: float | None
    challenges_solved: int
    solvers: int
    retention_weeks: list[date]
    retention: list[list[float | None]]  # [cohort week][k-1] share active in week N+k


@dataclass(frozen=True, slots=True)
class SegmentReport:
    """Named segments over the analysed window."""

    since: datetime
    members: int
    result: seg.Segmentation


@dataclass(slots=True)
class FunnelGroup:
    """Funnel counts of one group (all, a tag, an organiser)."""

    name: str
    events: int = 0
    rsvp: int = 0
    attended: int = 0
    challenge_attended: int = 0
    solved: int = 0
    closed_attended: int = 0
    came_back: int = 0

    def stages(self) -> list[tuple[str, int, int]]:
        """(stage, count, base) in funnel order."""
        return [("RSVP going", self.rsvp, self.rsvp), ("attended", self.attended, self.rsvp),
                ("solved the challenge", self.solved, self.challenge_attended),
                ("came back ≤30 d", self.came_back, self.closed_attended)]


@dataclass(frozen=True, slots=True)
class FunnelRow:
    """One member at one event: the export's rows."""

    event_id: int
    title: str
    starts_at: datetime
    tags: tuple[str, ...]
    organiser: str
    member_id: int
    member: str
    status: str
    attended: bool
    checked_in_at: datetime | None
    has_challenge: bool
    solved: bool
    window_closed: bool
    came_back: bool
    rating: int | None


@dataclass(frozen=True, slots=True)
class Funnel:
    """The learning funnel overall, per tag and per organiser."""

    since: datetime
    tag: str | None
    total: FunnelGroup
    by_tag: list[FunnelGroup]
    by_organiser: list[FunnelGroup]
    rows: list[FunnelRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BestTimes:
    """The best weekly slots and how they were found."""

    since: datetime
    now: datetime
    duration: timedelta
    slots: list[slot_math.Slot]
    members: int
    reach_by_hour: list[float]


# -- the service ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Attendance:
    going: set[int] = field(default_factory=set)
    attended: set[int] = field(default_factory=set)
    checked_in: dict[int, datetime] = field(default_factory=dict)


class AnalyticsService:
    """Reads the community's history and answers organisers' questions."""

    def __init__(self, db: Database, clock: Clock, settings: AnalyticsOptions | None = None,
                 charts: Charts | None = None) -> None:
        self._db = db
        self._clock = clock
        self.settings = settings or AnalyticsOptions()
        self.charts = charts or Charts()

    def now(self) -> datetime:
        """The analytics clock's time (a report may be built as of a past moment)."""
        return self._clock.now()

    async def event_ids(self, since: datetime, until: datetime) -> list[int]:
        """Events (not cancelled) that started in [since, until), by start."""
        async with self._db.unit() as unit:
            return list((await unit.session.execute(
                select(EventRow.id).where(EventRow.status != "cancelled",
                                          EventRow.starts_at >= since,
                                          EventRow.starts_at < until)
                .order_by(EventRow.starts_at, EventRow.id))).scalars())

    # -- one event ------------------------------------------------------------------------

    async def event(self, event_id: int) -> EventStats:
        """RSVPs, attendance, no-shows, waitlist, satisfaction and predicted turnout."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            event = await unit.session.get(EventRow, event_id)
            if event is None:
                raise UserError(f"There is no event #{event_id}. Send /events to see them.")
            end = _end(event)
            answers: Counter[str] = Counter()
            going: list[int] = []
            maybe: list[int] = []
            rows = (await unit.session.execute(
                select(RsvpRow.member_id, RsvpRow.status).where(RsvpRow.event_id == event_id)
            )).all()
            for member_id, status in rows:
                answers[status] += 1
                if status == "going":
                    going.append(member_id)
                elif status == "maybe":
                    maybe.append(member_id)
            attendance = (await self._attendance(unit, [event])).get(event_id, _Attendance())
            feedback = (await unit.session.execute(
                select(FeedbackRow.rating, FeedbackRow.comment, MemberRow.display_name)
                .join(MemberRow, MemberRow.id == FeedbackRow.member_id)
                .where(FeedbackRow.event_id == event_id).order_by(FeedbackRow.created_at)
            )).all()
            model, note = await self._model(unit, before=min(now, event.starts_at))
        prediction = (model.predict(going, maybe, self.settings.maybe_weight)
                      if model is not None else None)
        checked = len(attendance.checked_in)
        return EventStats(
            id=event.id, title=event.title, start=event.starts_at, end=end,
            status=event.status, tags=_tags(event.tags), capacity=event.capacity,
            answers=dict(answers), going=len(going), attended=len(attendance.attended),
            checked_in=checked, by_voice=len(attendance.attended) - checked,
            ended=end <= now, ratings=tuple(int(r) for r, _, _ in feedback),
            comments=tuple(Comment(n, int(r), c) for r, c, n in feedback if c.strip()),
            prediction=prediction, prediction_note=note,
            community_rate=model.community_rate if model is not None else None,
        )

    async def predict(self, event_id: int) -> Prediction | None:
        """Predicted turnout of an event from its RSVPs; None while history is too thin."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            event = await unit.session.get(EventRow, event_id)
            if event is None:
                return None
            going = list((await unit.session.execute(
                select(RsvpRow.member_id).where(RsvpRow.event_id == event_id,
                                                RsvpRow.status == "going"))).scalars())
            model, _ = await self._model(unit, before=min(now, event.starts_at))
        if model is None:
            return None
        return Prediction(model.predict(going), model.community_rate)

    async def show_up_model(self, before: datetime | None = None) -> tm.ShowUpModel:
        """The fitted show-up model from events that ended before ``before`` (default now)."""
        async with self._db.unit() as unit:
            model, note = await self._model(unit, before=before or self._clock.now())
        if model is None:
            raise UserError(note)
        return model

    async def _model(self, unit: Unit, before: datetime) -> tuple[tm.ShowUpModel | None, str]:
        since = before - timedelta(days=self.settings.history_days)
        events = await self._ended_events(unit, since, before)
        attendance = await self._attendance(unit, events)
        said: Counter[int] = Counter()
        came: Counter[int] = Counter()
        for record in attendance.values():
            for member_id in record.going:
                said[member_id] += 1
                came[member_id] += member_id in record.attended
        records = [tm.Record(m, said[m], came[m]) for m in said]
        try:
            return tm.fit(records, min_history=self.settings.min_turnout_history), ""
        except tm.NotEnoughHistory as exc:
            return None, f"No prediction yet: {exc}."

    # -- the community --------------------------------------------------------------------

    async def community(self, period: timedelta) -> CommunityStats:
        """Active members, new vs returning, messages, events, solves and retention."""
        now = self._clock.now()
        since = self._since(period, now)
        first_day = since.date()
        days = [first_day + timedelta(days=i) for i in range((now.date() - first_day).days + 1)]
        weeks = sorted({_monday(d) for d in days})
        async with self._db.unit() as unit:
            active_days: dict[date, set[int]] = defaultdict(set)
            active_weeks: dict[date, set[int]] = defaultdict(set)
            messages: Counter[date] = Counter()
            async for member_id, kind, at in self._interactions(unit, since, now):
                day = at.date()
                active_days[day].add(member_id)
                active_weeks[_monday(day)].add(member_id)
                if kind == "message":
                    messages[day] += 1
            if not active_days:
                raise UserError(f"No activity between {since:%Y-%m-%d} and {now:%Y-%m-%d}: "
                                "nothing to chart yet. Try a longer period.")
            first_seen = await self._first_seen(unit)
            events = await self._ended_events(unit, since, now)
            attendance = await self._attendance(unit, events)
            solved = (await unit.session.execute(
                select(ChallengeSolveRow.member_id).where(ChallengeSolveRow.solved_at >= since,
                                                          ChallengeSolveRow.solved_at < now)
            )).scalars().all()
        rates = [len(a.attended) / len(a.going) for a in attendance.values() if a.going]
        new, returning = [], []
        for week in weeks:
            members = active_weeks.get(week, set())
            fresh = {m for m in members if _monday(first_seen[m].date()) == week}
            new.append(len(fresh))
            returning.append(len(members) - len(fresh))
        cohorts = weeks[-8:]
        retention: list[list[float | None]] = []
        for week in cohorts:
            base = active_weeks.get(week, set())
            row: list[float | None] = []
            for k in range(1, 5):
                later = week + timedelta(weeks=k)
                # Only weeks that have fully ended count; the current one is still filling.
                if not base or later + timedelta(days=7) > now.date():
                    row.append(None)
                else:
                    row.append(len(base & active_weeks.get(later, set())) / len(base))
            retention.append(row)
        everyone = set().union(*active_days.values())
        return CommunityStats(
            since=since, until=now, days=days,
            daily_active=[len(active_days.get(d, ())) for d in days],
            daily_messages=[messages.get(d, 0) for d in days],
            weeks=weeks, weekly_active=[len(active_weeks.get(w, ())) for w in weeks],
            weekly_new=new, weekly_returning=returning, members_active=len(everyone),
            messages=sum(messages.values()), events_held=len(events),
            avg_attendance=sum(rates) / len(rates) if rates else None,
            challenges_solved=len(solved), solvers=len(set(solved)),
            retention_weeks=cohorts, retention=retention,
        )

    # -- segments -------------------------------------------------------------------------

    async def features(self) -> tuple[datetime, list[seg.MemberFeatures]]:
        """Each active member's engagement over the segment window."""
        now = self._clock.now()
        since = now - timedelta(days=self.settings.segment_days)
        async with self._db.unit() as unit:
            last_seen: dict[int, datetime] = _pairs((await unit.session.execute(
                select(InteractionRow.member_id, func.max(InteractionRow.created_at))
                .group_by(InteractionRow.member_id))).all())
            joined: dict[int, datetime] = _pairs((await unit.session.execute(
                select(MemberRow.id, MemberRow.created_at))).all())
            messages: Counter[int] = Counter()
            async for member_id, kind, _at in self._interactions(unit, since, now):
                if kind == "message":
                    messages[member_id] += 1
            attended: Counter[int] = Counter()
            for record in (await self._attendance(
                    unit, await self._ended_events(unit, since, now))).values():
                attended.update(record.attended)
            solves = Counter((await unit.session.execute(
                select(ChallengeSolveRow.member_id).where(ChallengeSolveRow.solved_at >= since)
            )).scalars().all())
            ratings = Counter((await unit.session.execute(
                select(FeedbackRow.member_id).where(FeedbackRow.created_at >= since)
            )).scalars().all())
        out = []
        for member_id, seen in last_seen.items():
            if member_id not in joined or seen is None:
                continue
            out.append(seg.MemberFeatures(
                member_id=member_id, messages=messages[member_id], events=attended[member_id],
                solves=solves[member_id], feedback=ratings[member_id],
                recency_days=max(0.0, (now - seen) / timedelta(days=1)),
                tenure_days=max(0.0, (now - joined[member_id]) / timedelta(days=1)),
            ))
        return since, out

    async def segments(self) -> SegmentReport:
        """K-means segments with k by silhouette, named from their centroids."""
        since, members = await self.features()
        try:
            result = seg.segment(members, max_k=self.settings.max_k,
                                 min_members=self.settings.min_segment_members)
        except seg.TooLittleData as exc:
            raise UserError(f"Not enough data for segments: {exc}.") from None
        return SegmentReport(since, len(members), result)

    # -- funnel and export ----------------------------------------------------------------

    async def funnel(self, period: timedelta, tag: str | None = None) -> Funnel:
        """RSVP → attended → solved the linked challenge → came back within 30 days."""
        now = self._clock.now()
        since = self._since(period, now)
        wanted = tag.strip().lower() if tag else None
        comeback = timedelta(days=self.settings.comeback_days)
        async with self._db.unit() as unit:
            events = await self._ended_events(unit, since, now)
            if wanted:
                events = [e for e in events if wanted in _tags(e.tags)]
            if not events:
                what = f" tagged `{wanted}`" if wanted else ""
                raise UserError(f"No event{what} ended between {since:%Y-%m-%d} and "
                                f"{now:%Y-%m-%d}: the funnel needs at least one.")
            # Coming back looks at every later event, tagged or not.
            later = await self._ended_events(unit, events[0].starts_at, now)
            attendance = await self._attendance(unit, later)
            starts = sorted((e.starts_at, e.id) for e in later)
            challenges: dict[int, set[int]] = defaultdict(set)
            for challenge_id, event_id in (await unit.session.execute(
                    select(ChallengeRow.id, ChallengeRow.event_id)
                    .where(ChallengeRow.event_id.in_([e.id for e in events])))).all():
                if event_id is not None:
                    challenges[int(event_id)].add(int(challenge_id))
            solvers: dict[int, set[int]] = defaultdict(set)
            linked = {c for ids in challenges.values() for c in ids}
            if linked:
                for challenge_id, member_id in (await unit.session.execute(
                        select(ChallengeSolveRow.challenge_id, ChallengeSolveRow.member_id)
                        .where(ChallengeSolveRow.challenge_id.in_(linked)))).all():
                    solvers[int(challenge_id)].add(int(member_id))
            names = await self._names(unit)
            ratings = {(e, m): int(r) for e, m, r in (await unit.session.execute(
                select(FeedbackRow.event_id, FeedbackRow.member_id, FeedbackRow.rating)
                .where(FeedbackRow.event_id.in_([e.id for e in events])))).all()}
        rows: list[FunnelRow] = []
        for event in events:
            record = attendance.get(event.id, _Attendance())
            end = _end(event)
            closed = end + comeback <= now
            linked_solvers = set().union(*(solvers[c] for c in challenges.get(event.id, ())))
            organiser = names.get(event.created_by or -1, "unknown")
            for member_id in sorted(record.going | record.attended):
                attended = member_id in record.attended
                came_back = attended and any(
                    member_id in attendance[other].attended for start, other in starts
                    if end < start <= end + comeback and other != event.id)
                rows.append(FunnelRow(
                    event_id=event.id, title=event.title, starts_at=event.starts_at,
                    tags=_tags(event.tags), organiser=organiser, member_id=member_id,
                    member=names.get(member_id, f"member {member_id}"),
                    status="going", attended=attended,
                    checked_in_at=record.checked_in.get(member_id),
                    has_challenge=bool(challenges.get(event.id)),
                    solved=attended and member_id in linked_solvers, window_closed=closed,
                    came_back=came_back, rating=ratings.get((event.id, member_id)),
                ))
        return _funnel(since, wanted, events, rows, names)

    async def export(self, period: timedelta) -> bytes:
        """The funnel's rows (one per member and event) as CSV."""
        funnel = await self.funnel(period)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["event_id", "title", "starts_at", "tags", "organiser", "member_id",
                         "member", "rsvp", "attended", "checked_in_at", "has_challenge",
                         "solved_challenge", "comeback_window_closed",
                         "came_back_within_30d", "rating"])
        for r in funnel.rows:
            writer.writerow([
                r.event_id, _cell(r.title), r.starts_at.isoformat(), " ".join(r.tags),
                _cell(r.organiser), r.member_id, _cell(r.member), r.status, int(r.attended),
                r.checked_in_at.isoformat() if r.checked_in_at else "", int(r.has_challenge),
                int(r.solved), int(r.window_closed), int(r.came_back),
                "" if r.rating is None else r.rating,
            ])
        return out.getvalue().encode("utf-8")

    # -- best time ------------------------------------------------------------------------

    async def best_times(self, duration: timedelta = timedelta(hours=1)) -> BestTimes:
        """Three weekly slots reaching the most members, from their local activity hours."""
        if not timedelta(minutes=5) <= duration <= timedelta(hours=24):
            raise UserError("The duration must be between 5 minutes and 24 hours.")
        now = self._clock.now()
        since = now - timedelta(weeks=self.settings.besttime_weeks)
        async with self._db.unit() as unit:
            members = {m: (tz, joined) for m, tz, joined in (await unit.session.execute(
                select(MemberRow.id, MemberRow.timezone, MemberRow.created_at))).all()}
            activity: dict[int, list[datetime]] = defaultdict(list)
            async for member_id, _kind, at in self._interactions(unit, since, now,
                                                                 ACTIVE_KINDS):
                activity[member_id].append(at)
        habits = [slot_math.Habit(m, members[m][0], members[m][1], times)
                  for m, times in activity.items() if m in members]
        try:
            slots = slot_math.best_slots(habits, since, now, duration=duration)
        except slot_math.NotEnoughActivity as exc:
            raise UserError(f"Not enough activity to find a best time: {exc}.") from None
        share, _ = slot_math.presence(habits, since, now, slots[0].hours)
        return BestTimes(since, now, duration, slots, slots[0].members,
                         [float(x) for x in share.sum(axis=0)])

    # -- reading ----------------------------------------------------------------------------

    def _since(self, period: timedelta, now: datetime) -> datetime:
        if period < timedelta(days=1):
            raise UserError("The period must be at least a day, e.g. 7d, 4w or 90d.")
        if period > MAX_PERIOD:
            raise UserError("The period can be at most two years (730d).")
        return now - period

    async def _interactions(self, unit: Unit, since: datetime, until: datetime,
                            kinds: Sequence[str] | None = None,
                            ) -> AsyncIterator[tuple[int, str, datetime]]:
        statement = (select(InteractionRow.member_id, InteractionRow.kind,
                            InteractionRow.created_at)
                     .where(InteractionRow.created_at >= since,
                            InteractionRow.created_at < until)
                     .execution_options(yield_per=5000))
        if kinds is not None:
            statement = statement.where(InteractionRow.kind.in_(list(kinds)))
        result = await unit.session.stream(statement)
        async for member_id, kind, at in result:
            yield int(member_id), str(kind), at

    async def _first_seen(self, unit: Unit) -> dict[int, datetime]:
        return _pairs((await unit.session.execute(
            select(InteractionRow.member_id, func.min(InteractionRow.created_at))
            .group_by(InteractionRow.member_id))).all())

    async def _names(self, unit: Unit) -> dict[int, str]:
        return _pairs((await unit.session.execute(
            select(MemberRow.id, MemberRow.display_name))).all())

    async def _ended_events(self, unit: Unit, since: datetime,
                            until: datetime) -> list[EventRow]:
        """Events that were held (not cancelled) and ended in [since, until), by start."""
        rows = (await unit.session.execute(
            select(EventRow).where(EventRow.status != "cancelled",
                                   EventRow.starts_at >= since - timedelta(days=1),
                                   EventRow.starts_at < until)
            .order_by(EventRow.starts_at, EventRow.id))).scalars().all()
        return [r for r in rows if since <= _end(r) <= until]

    async def _attendance(self, unit: Unit,
                          events: Sequence[EventRow]) -> dict[int, _Attendance]:
        """Who was going to each event and who attended (check-in or voice)."""
        if not events:
            return {}
        out = {e.id: _Attendance() for e in events}
        for ids in _chunks([e.id for e in events], 500):
            for event_id, member_id, status, checked in (await unit.session.execute(
                    select(RsvpRow.event_id, RsvpRow.member_id, RsvpRow.status,
                           RsvpRow.checked_in_at).where(RsvpRow.event_id.in_(ids)))).all():
                record = out[int(event_id)]
                if status == "going":
                    record.going.add(int(member_id))
                if checked is not None:
                    record.attended.add(int(member_id))
                    record.checked_in[int(member_id)] = checked
        grace = timedelta(minutes=self.settings.voice_grace_minutes)
        first = min(e.starts_at for e in events) - grace
        last = max(_end(e) for e in events)
        voice: dict[int, list[datetime]] = defaultdict(list)
        async for member_id, _kind, at in self._interactions(unit, first, last, ("voice",)):
            voice[member_id].append(at)
        if voice:
            for event in events:
                start, end = event.starts_at - grace, _end(event)
                record = out[event.id]
                for member_id in record.going - record.attended:
                    if any(start <= at <= end for at in voice.get(member_id, ())):
                        record.attended.add(member_id)
        return out


def _funnel(since: datetime, tag: str | None, events: Sequence[EventRow],
            rows: Sequence[FunnelRow], names: dict[int, str]) -> Funnel:
    total = FunnelGroup("all events")
    by_tag: dict[str, FunnelGroup] = {}
    by_organiser: dict[str, FunnelGroup] = {}
    per_event: dict[int, list[FunnelRow]] = defaultdict(list)
    for row in rows:
        per_event[row.event_id].append(row)
    for event in events:
        groups = [total, by_organiser.setdefault(
            names.get(event.created_by or -1, "unknown"),
            FunnelGroup(names.get(event.created_by or -1, "unknown")))]
        groups += [by_tag.setdefault(t, FunnelGroup(t)) for t in _tags(event.tags)]
        for group in groups:
            group.events += 1
            for row in per_event.get(event.id, ()):
                group.rsvp += 1
                group.attended += row.attended
                if row.attended and row.has_challenge:
                    group.challenge_attended += 1
                    group.solved += row.solved
                if row.attended and row.window_closed:
                    group.closed_attended += 1
                    group.came_back += row.came_back
    order = sorted(by_tag.values(), key=lambda g: (-g.rsvp, g.name))
    return Funnel(since, tag, total, order,
                  sorted(by_organiser.values(), key=lambda g: (-g.rsvp, g.name)), list(rows))


def _pairs(rows: Iterable[Any]) -> dict[Any, Any]:
    """``{key: value}`` from two-column result rows."""
    return {key: value for key, value in rows}


def _end(event: EventRow) -> datetime:
    return event.starts_at + timedelta(minutes=event.duration_minutes)


def _tags(text: str) -> tuple[str, ...]:
    return tuple(t.strip().lower() for t in text.split(",") if t.strip())


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _chunks(items: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def _cell(text: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
