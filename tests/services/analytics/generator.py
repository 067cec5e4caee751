"""A community history with known structure, written straight into the database.

Planted truths (the tests check the analytics find them):

- four segments: 24 **regulars** (chat weekly, go to events, rate them), 16 **challenge
  solvers** (solve many challenges, rarely come), 30 **lurkers** (a message or two),
  14 **newcomers** (joined in the last 12 days);
- show-up rates: regulars come to 80% of the events they say "going" to, solvers to 25%;
- habits in local time: regulars chat on Tuesdays 19:00-20:00 in Berlin, or 13:00-14:00
  in New York, which this (winter) week are both Tuesday 18:00 UTC; solvers chat and submit
  on Wednesdays 21:00 in Tokyo (12:00 UTC). History spans the end of summer time, so a
  plain UTC histogram would smear the Tuesday habit over two hours.
- weekly events on Tuesday 18:00 UTC (tags alternate python/rust; Ada organised the first
  six, Grace the rest); four python workshops have a linked challenge; one upcoming event
  tomorrow with 20 regulars and 10 solvers going (planted expected turnout 18.5).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from storage import Database
from storage.rows.activity import InteractionRow
from storage.rows.challenges import ChallengeRow, ChallengeSolveRow, SubmissionRow
from storage.rows.events import EventRow, FeedbackRow, RsvpRow
from storage.rows.members import AccountRow, MemberRow

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WEEKS = 12
START = NOW - timedelta(weeks=WEEKS)
REGULAR_RATE = 0.8
SOLVER_RATE = 0.25
BEST_SLOT = 1 * 24 + 18  # Tuesday 18:00 UTC
SECOND_SLOT = 2 * 24 + 12  # Wednesday 12:00 UTC


@dataclass
class Truth:
    """What was planted, by member and event id."""

    segment: dict[int, str] = field(default_factory=dict)
    rate: dict[int, float] = field(default_factory=dict)
    past_events: list[int] = field(default_factory=list)
    upcoming: int = 0
    going: dict[int, set[int]] = field(default_factory=dict)
    attended: dict[int, set[int]] = field(default_factory=dict)
    solved_linked: dict[int, set[int]] = field(default_factory=dict)
    linked: dict[int, int] = field(default_factory=dict)  # event id -> challenge id
    names: dict[str, int] = field(default_factory=dict)

    def ids(self, segment: str) -> list[int]:
        """Member ids planted in a segment."""
        return [m for m, s in self.segment.items() if s == segment]


def _local(tz: str, day: datetime, hour: int, minute: int) -> datetime:
    """``hour:minute`` local time in ``tz`` on the local date of ``day``."""
    zone = ZoneInfo(tz)
    local = day.astimezone(zone)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0).astimezone(UTC)


def _weekday_on_or_after(moment: datetime, weekday: int) -> datetime:
    return moment + timedelta(days=(weekday - moment.weekday()) % 7)


async def generate(db: Database, seed: int = 7) -> Truth:
    """Write the planted community into ``db`` and return the truth."""
    rng = random.Random(seed)
    truth = Truth()
    members: list[dict[str, Any]] = []
    plan: list[tuple[str, str, str]] = []  # (name, segment, tz)
    plan += [("ada", "organiser", "Europe/Berlin"), ("grace", "organiser", "America/New_York")]
    plan += [(f"reg{i}", "regulars", ("Europe/Berlin", "America/New_York")[i % 2])
             for i in range(24)]
    plan += [(f"sol{i}", "challenge solvers", "Asia/Tokyo") for i in range(16)]
    lurker_zones = ("Europe/London", "America/Sao_Paulo", "Asia/Kolkata", "Australia/Sydney")
    plan += [(f"lurk{i}", "lurkers", lurker_zones[i % 4]) for i in range(30)]
    plan += [(f"new{i}", "newcomers", "Europe/Berlin") for i in range(14)]
    for name, segment, tz in plan:
        tenure = {"organiser": 400, "regulars": 300, "challenge solvers": 250,
                  "lurkers": 200}.get(segment, rng.uniform(3, 12))
        members.append({"display_name": name, "timezone": tz,
                        "created_at": NOW - timedelta(days=tenure)})
    interactions: list[dict[str, Any]] = []

    def act(member_id: int, kind: str, at: datetime, place: str = "general") -> None:
        interactions.append({"member_id": member_id, "platform": "console", "place_id": place,
                             "kind": kind, "created_at": at,
                             "source_key": f"gen:{len(interactions)}"})

    async with db.engine.begin() as c:
        ids = list((await c.execute(insert(MemberRow).returning(
            MemberRow.id, sort_by_parameter_order=True), members)).scalars())
        await c.execute(insert(AccountRow), [
            {"member_id": i, "platform": "console", "user_id": p[0], "display_name": p[0],
             "handle": p[0], "created_at": m["created_at"]}
            for i, p, m in zip(ids, plan, members, strict=True)])
        by_name = {p[0]: i for i, p in zip(ids, plan, strict=True)}
        truth.names = by_name
        for i, (name, segment, tz) in zip(ids, plan, strict=True):
            if segment != "organiser":
                truth.segment[i] = segment
            del name, tz
        # Events: weekly on Tuesdays at 18:00 UTC, twelve past and one tomorrow.
        first_tuesday = _weekday_on_or_after(START, 1).replace(hour=18, minute=0)
        event_rows = []
        for week in range(WEEKS + 1):
            starts = first_tuesday + timedelta(weeks=week)
            event_rows.append({
                "title": f"{'Python' if week % 2 == 0 else 'Rust'} night {week + 1}",
                "tags": "python,workshop" if week % 2 == 0 else "rust",
                "starts_at": starts, "duration_minutes": 90,
                "created_by": by_name["ada"] if week < 6 else by_name["grace"],
                "created_at": starts - timedelta(days=14), "checkin_code": "CODE42",
                "online_url": "https://meet.example.org/night"})
        event_ids = list((await c.execute(insert(EventRow).returning(
            EventRow.id, sort_by_parameter_order=True), event_rows)).scalars())
        truth.past_events = event_ids[:-1]
        truth.upcoming = event_ids[-1]
        # Challenges: one linked to each of four python workshops, eight standalone.
        challenge_rows = []
        for n in range(12):
            linked = event_ids[n * 2] if n < 4 else None
            opens = START + timedelta(days=7 * n)
            challenge_rows.append({"title": f"Challenge {n}", "statement": "Sum two numbers.",
                                   "opens_at": opens, "created_at": opens,
                                   "event_id": linked})
        challenge_ids = list((await c.execute(insert(ChallengeRow).returning(
            ChallengeRow.id, sort_by_parameter_order=True), challenge_rows)).scalars())
        for n in range(4):
            truth.linked[event_ids[n * 2]] = challenge_ids[n]
        solves: list[tuple[int, int, datetime]] = []

        regulars = truth.ids("regulars")
        solvers = truth.ids("challenge solvers")
        rsvps: list[dict[str, Any]] = []
        feedback: list[dict[str, Any]] = []
        for index, event_id in enumerate(truth.past_events):
            row = event_rows[index]
            starts = row["starts_at"]
            going, came = set(), set()
            for m in regulars:
                if rng.random() < 0.85:
                    going.add(m)
            for m in solvers:
                if rng.random() < 0.6:
                    going.add(m)
            truth.going[event_id] = going
            for m in sorted(going):
                rate = REGULAR_RATE if m in regulars else SOLVER_RATE
                truth.rate[m] = rate
                answered = starts - timedelta(days=2, hours=rng.randint(0, 40))
                act(m, "rsvp", answered, str(event_id))
                showed = rng.random() < rate
                checked = None
                if showed:
                    came.add(m)
                    at = starts + timedelta(minutes=rng.randint(0, 20))
                    # The last event was attended online: voice presence, no check-in.
                    if index == len(truth.past_events) - 1 and m % 2 == 0:
                        act(m, "voice", at, "voice-room")
                    else:
                        checked = at
                        act(m, "checkin", at, str(event_id))
                    if rng.random() < 0.6:
                        feedback.append({"event_id": event_id, "member_id": m,
                                         "rating": rng.choice((4, 4, 5, 5, 3)),
                                         "comment": rng.choice(("", "great", "=SUM(A1)")),
                                         "created_at": starts + timedelta(hours=3),
                                         "updated_at": starts + timedelta(hours=3)})
                rsvps.append({"event_id": event_id, "member_id": m, "status": "going",
                              "queued_at": answered, "created_at": answered,
                              "updated_at": checked or answered, "checked_in_at": checked})
            truth.attended[event_id] = came
            if event_id in truth.linked:
                solved = {m for m in sorted(came) if rng.random() < 0.5}
                truth.solved_linked[event_id] = solved
                for m in sorted(solved):
                    solves.append((truth.linked[event_id], m, starts + timedelta(days=1)))
        # Tomorrow's event: 20 regulars and 10 solvers going, a maybe and a waitlist.
        upcoming_going = regulars[:20] + solvers[:10]
        for m in upcoming_going:
            rsvps.append({"event_id": truth.upcoming, "member_id": m, "status": "going",
                          "queued_at": NOW - timedelta(days=1),
                          "created_at": NOW - timedelta(days=1),
                          "updated_at": NOW - timedelta(days=1), "checked_in_at": None})
        truth.going[truth.upcoming] = set(upcoming_going)
        for m, status in ((regulars[20], "maybe"), (regulars[21], "waitlist")):
            rsvps.append({"event_id": truth.upcoming, "member_id": m, "status": status,
                          "queued_at": NOW - timedelta(hours=5),
                          "created_at": NOW - timedelta(hours=5),
                          "updated_at": NOW - timedelta(hours=5), "checked_in_at": None})
        await c.execute(insert(RsvpRow), rsvps)
        await c.execute(insert(FeedbackRow), feedback)

        # Habits: chat (and submissions) at planted local hours.
        for week in range(WEEKS):
            monday = START + timedelta(weeks=week)
            tuesday = _weekday_on_or_after(monday, 1)
            wednesday = _weekday_on_or_after(monday, 2)
            for m in regulars:
                tz = members[ids.index(m)]["timezone"]
                hour = 19 if tz == "Europe/Berlin" else 13
                for _ in range(4):
                    act(m, "message", _local(tz, tuesday.replace(hour=12), hour,
                                             rng.randint(0, 59)))
            for m in solvers:
                act(m, "message", _local("Asia/Tokyo", wednesday.replace(hour=12), 21,
                                         rng.randint(0, 59)))
        for n in range(4, 12):  # standalone challenges: solvers solve most of them
            for m in solvers:
                if rng.random() < 0.8:
                    opens = challenge_rows[n]["opens_at"]
                    wednesday = _weekday_on_or_after(opens, 2).replace(hour=12)
                    at = _local("Asia/Tokyo", wednesday, 21, rng.randint(0, 59))
                    if at >= NOW:
                        at -= timedelta(weeks=1)
                    solves.append((challenge_ids[n], m, at))
        for m in truth.ids("lurkers"):
            last = NOW - timedelta(days=rng.uniform(3, 40))
            for _ in range(rng.randint(1, 3)):
                act(m, "message", last - timedelta(days=rng.uniform(0, 40)))
            act(m, "reaction", last)
        for m in truth.ids("newcomers"):
            joined = members[ids.index(m)]["created_at"]
            for _ in range(rng.randint(4, 8)):
                act(m, "message", joined + (NOW - joined) * rng.random())

        submissions = [{"challenge_id": ch, "member_id": m, "language": "python3",
                        "source": "print(sum(map(int, input().split())))",
                        "platform": "console", "place_id": "general", "status": "done",
                        "verdict": "AC", "created_at": at, "judged_at": at}
                       for ch, m, at in solves]
        sub_ids = list((await c.execute(insert(SubmissionRow).returning(
            SubmissionRow.id, sort_by_parameter_order=True), submissions)).scalars())
        await c.execute(insert(ChallengeSolveRow), [
            {"challenge_id": ch, "member_id": m, "submission_id": s, "attempts": 1,
             "solved_at": at} for (ch, m, at), s in zip(solves, sub_ids, strict=True)])
        for _challenge, m, at in solves:
            act(m, "submission", at)
        await c.execute(insert(InteractionRow), [r for r in interactions if r["created_at"] < NOW])
    return truth
