"""Frozen figures the analytics service returns (texts.py words them, bot.render draws them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from recommender import segments as seg
from recommender import slots as slot_math
from recommender import turnout as tm

Progress = Callable[[str, int, int], None]


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
class Window:
    """A chosen period [since, until): reports over it read as if ``until`` were now."""

    since: datetime
    until: datetime


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
    until: datetime | None = None  # set when a window was chosen


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
    until: datetime | None = None  # set when a window was chosen


@dataclass(frozen=True, slots=True)
class BestTimes:
    """The best weekly slots and how they were found."""

    since: datetime
    now: datetime
    duration: timedelta
    slots: list[slot_math.Slot]
    members: int
    reach_by_hour: list[float]
    until: datetime | None = None  # set when a window was chosen
