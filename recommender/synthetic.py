"""Synthetic communities shaped like real ones, for tests, demos, benchmarks and evaluation.

What real community data looks like, and what each knob of `Shape` plants: groups
(organisers) with a topic and a home slot run recurring series whose occurrences reuse their
text; members join over time, stay within a few groups, keep to their time-of-week habits and
a few favourite series; sessions differ in appeal (a series keeps its appeal); RSVPs arrive
between a session's announcement and its start, so popularity builds after announcement.
Interactions carry the session start as `timestamp` and the RSVP time as `created`; a
session's `created` is its announcement.
Group joins are logged as a platform logs membership: a member joins their groups when they
arrive and the new one when they move; some join groups they never come to (`idle_joins`);
nobody's leaving or quietly drifting away is logged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from recommender.dataset import Dataset, DatasetInteraction, DatasetItem, DatasetJoin

TOPICS: dict[str, tuple[str, ...]] = {
    "python": (
        "asyncio event loops and concurrency in Python",
        "writing async web services with Python and aiohttp",
        "typing Python code with mypy and protocols",
        "profiling slow Python programs and speeding them up",
    ),
    "rust": (
        "ownership and borrowing in Rust explained",
        "building command line tools in Rust",
        "async Rust with tokio for network services",
        "unsafe Rust and foreign function interfaces",
    ),
    "ml": (
        "training neural networks with PyTorch",
        "sentence embeddings for semantic search",
        "evaluating recommender systems offline",
        "gradient boosting on tabular data",
    ),
    "pottery": (
        "wheel throwing for beginners: centring clay",
        "glazing and firing stoneware in a kiln",
        "hand building bowls with coil and slab techniques",
        "decorating ceramics with slip and sgraffito",
    ),
    "photo": (
        "street photography composition walk",
        "editing raw photos in darktable",
        "night sky and astrophotography basics",
        "portrait lighting with a single flash",
    ),
    "security": (
        "capture the flag practice: web exploitation",
        "threat modelling for small teams",
        "reverse engineering binaries with Ghidra",
        "securing Linux servers and SSH hardening",
    ),
}
START = datetime(2025, 1, 6, 18, 0, tzinfo=UTC)
GROUP_KINDS = ("Guild", "Circle", "Club", "Lab", "Collective", "Society", "Crew", "Forum")
FORMATS = (
    "Weekly meetup, bring questions.",
    "Talk night with pizza and lightning talks.",
    "Hands-on session, bring a laptop.",
    "Study group working through exercises together.",
)
FORMAT_NAMES = ("meetup", "talks", "hack night", "study group")
HOURS = (10, 13, 18, 19, 20)


@dataclass(frozen=True, slots=True)
class Shape:
    """How a generated community behaves; different shapes keep us from tuning to one."""

    users: int = 120
    weeks: int = 16
    groups: int = 8  # organisers; group g covers topic g mod 6
    series_per_group: int = 2
    biweekly: float = 0.3  # share of series that meet every other week
    one_offs_per_week: int = 4
    groups_per_member: tuple[int, int] = (1, 3)  # inclusive range
    loyal: float = 0.6  # share of members who keep returning to one of their series
    appeal_spread: float = 0.8  # lognormal sigma of a session's (or series') appeal
    habit: float = 0.8  # how strictly members keep to their weekdays and hours
    join_spread: float = 0.5  # members join over the first `join_spread` of the period
    churn: float = 0.2  # share of members who stop coming at a random point
    rate: float = 0.12  # base chance to RSVP a session of one's group
    outside: float = 0.06  # affinity for sessions outside one's groups and topics
    announce_days: tuple[float, float] = (5.0, 21.0)
    early: float = 0.5  # share of RSVPs made in a burst right after the announcement
    drift: float = 0.3  # share of members who move to other groups (and series) midway
    named: float = 0.5  # share of groups whose name appears in their sessions' texts
    idle_joins: float = 0.5  # mean groups a member joins but has no more affinity for


SHAPES: dict[str, Shape] = {
    # A city meetup scene: a few groups, weekly series, members loyal to one or two.
    "meetups": Shape(),
    # A campus/makerspace: more groups and one-offs, more casual members, weaker loyalty,
    # stronger hits, members who join late and leave early.
    "campus": Shape(
        users=200,
        weeks=14,
        groups=12,
        series_per_group=1,
        biweekly=0.5,
        one_offs_per_week=8,
        groups_per_member=(1, 2),
        loyal=0.35,
        appeal_spread=1.1,
        habit=0.6,
        join_spread=0.7,
        churn=0.35,
        rate=0.16,
        outside=0.1,
        announce_days=(3.0, 14.0),
        early=0.35,
        drift=0.45,
        named=0.3,
        idle_joins=1.0,
    ),
}


@dataclass(frozen=True, slots=True)
class SyntheticCommunity:
    """The dataset plus the planted truth (favourite topics per user) for assertions."""

    dataset: Dataset
    favourite_topics: dict[str, tuple[str, ...]]
    topic_of_item: dict[str, str]
    # (items, users) the chance each member had to RSVP each session (user n is f"u{n}"):
    # ranking by it is the ceiling no observable signal can pass.
    chance: np.ndarray


@dataclass(frozen=True, slots=True)
class _Session:
    item_id: str
    text: str
    start: datetime
    group: int
    series: int  # -1 for a one-off
    appeal: float


def synthetic_community(
    *,
    users: int | None = None,
    weeks: int | None = None,
    seed: int = 0,
    shape: Shape | str = "meetups",
) -> SyntheticCommunity:
    """Generate a community of `shape` (a `Shape` or a name in `SHAPES`), seeded."""
    base = SHAPES[shape] if isinstance(shape, str) else shape
    s = replace(base, users=users or base.users, weeks=weeks or base.weeks)
    rng = np.random.default_rng(seed)
    topics = list(TOPICS)
    group_topic = [topics[g % len(topics)] for g in range(s.groups)]
    group_name = [
        f"{group_topic[g].title()} {GROUP_KINDS[(g // len(topics) + g) % len(GROUP_KINDS)]}"
        for g in range(s.groups)
    ]
    group_day = rng.integers(0, 7, size=s.groups)
    group_hour = rng.choice(HOURS, size=s.groups)
    # Bigger groups draw more members (Zipf-like), as real communities do.
    group_size = 1.0 / np.arange(1, s.groups + 1) ** 0.7
    rng.shuffle(group_size)
    shown = [name if rng.random() < s.named else "" for name in group_name]
    sessions = _sessions(s, rng, group_topic, shown, group_day, group_hour)
    n_series = s.groups * s.series_per_group

    span = s.weeks * 7.0
    joined = rng.uniform(0, s.join_spread * span, s.users) - 7.0
    left = np.where(rng.random(s.users) < s.churn, rng.uniform(0.3 * span, span, s.users), 1e9)
    activity = rng.lognormal(0.0, 0.5, s.users)
    days_free = rng.random((s.users, 7)) < rng.uniform(0.3, 0.8, (s.users, 1))
    evening = rng.random(s.users) < 0.7
    member_groups = np.zeros((s.users, s.groups), dtype=bool)
    later_groups = np.zeros((s.users, s.groups), dtype=bool)
    loyal_to = np.full(s.users, -1)
    later_loyal = np.full(s.users, -1)
    moves = np.where(rng.random(s.users) < s.drift, rng.uniform(0.2 * span, 0.8 * span,
                                                                 s.users), 1e9)
    favourites: dict[str, tuple[str, ...]] = {}
    lo, hi = s.groups_per_member
    for u in range(s.users):
        count = int(rng.integers(lo, hi + 1))
        picked = rng.choice(s.groups, size=min(count, s.groups), replace=False,
                            p=group_size / group_size.sum())
        member_groups[u, picked] = True
        favourites[f"u{u}"] = tuple(dict.fromkeys(group_topic[int(g)] for g in picked))
        if rng.random() < s.loyal:
            g = int(rng.choice(picked))
            loyal_to[u] = g * s.series_per_group + int(rng.integers(s.series_per_group))
        # After a move, one group is swapped for another and loyalty follows it.
        later = set(int(g) for g in picked)
        gone = int(rng.choice(picked))
        new = int(rng.choice(s.groups, p=group_size / group_size.sum()))
        later = (later - {gone}) | {new}
        later_groups[u, sorted(later)] = True
        later_loyal[u] = (
            new * s.series_per_group + int(rng.integers(s.series_per_group))
            if loyal_to[u] >= 0 else -1
        )
    member_topics = np.array(
        [[t in favourites[f"u{u}"] for t in topics] for u in range(s.users)], dtype=bool
    )
    topic_matrix = np.array([[group_topic[g] == t for t in topics] for g in range(s.groups)])
    later_topics = (later_groups.astype(int) @ topic_matrix.astype(int)) > 0

    interactions: list[DatasetInteraction] = []
    chance = np.zeros((len(sessions), s.users), dtype=np.float32)
    announced: list[datetime] = []
    for row, session in enumerate(sessions):
        day = (session.start - START).total_seconds() / 86400.0
        topic = topics.index(group_topic[session.group])
        moved = day >= moves
        in_group = np.where(moved, later_groups[:, session.group], member_groups[:, session.group])
        in_topic = np.where(moved, later_topics[:, topic], member_topics[:, topic])
        affinity = np.where(in_group, 1.0, np.where(in_topic, 0.35, s.outside))
        loyal = np.where(moved, later_loyal, loyal_to)
        free = days_free[:, session.start.weekday()] & (evening == (session.start.hour >= 17))
        slot = np.where(free, 1.0, 1.0 - s.habit)
        p = s.rate * activity * session.appeal * affinity * slot
        if session.series >= 0 and n_series:
            p = np.where(loyal == session.series, np.maximum(p, 0.75 * slot), p)
        p = np.where((day >= joined) & (day < left), np.clip(p, 0.0, 0.95), 0.0)
        chance[row] = p
        going = np.flatnonzero(rng.random(s.users) < p)
        lead = rng.uniform(*s.announce_days)
        announced.append(session.start - timedelta(days=float(lead) + 0.05))  # before any RSVP
        # A burst of RSVPs right after the announcement, then a trickle up to the start.
        burst = rng.random(len(going)) < s.early
        made = np.where(burst, lead - rng.exponential(1.0, len(going)).clip(0, lead),
                        lead * (1.0 - rng.beta(1.6, 1.0, len(going))))
        for who, before in zip(going, made, strict=True):
            created = session.start - timedelta(days=float(before) + 0.05)
            interactions.append(
                DatasetInteraction(f"u{who}", session.item_id, session.start, None, created)
            )
    items = tuple(
        DatasetItem(x.item_id, x.text, x.start, group_name[x.group], when)
        for x, when in zip(sessions, announced, strict=True)
    )
    topic_of = {x.item_id: group_topic[x.group] for x in sessions}
    joins = _joins(s, np.random.default_rng([seed, 1]), group_name, member_groups,
                   later_groups, joined, np.minimum(left, span), moves)
    return SyntheticCommunity(Dataset(items, tuple(interactions), joins), favourites, topic_of,
                              chance)


def _joins(
    s: Shape,
    rng: np.random.Generator,
    names: list[str],
    first: np.ndarray,
    later: np.ndarray,
    joined: np.ndarray,
    until: np.ndarray,
    moves: np.ndarray,
) -> tuple[DatasetJoin, ...]:
    """The membership log: groups joined on arrival, on a move, and idly (own generator).

    A separate generator keeps every RSVP of a seed as it was before joins were logged.
    """
    out: list[DatasetJoin] = []
    for u in range(len(joined)):
        when = {int(g): float(joined[u]) for g in np.flatnonzero(first[u])}
        if moves[u] < until[u]:
            for g in np.flatnonzero(later[u] & ~first[u]):
                when[int(g)] = float(moves[u])
        for g in rng.choice(len(names), size=min(int(rng.poisson(s.idle_joins)), len(names)),
                            replace=False):
            if int(g) not in when:
                when[int(g)] = float(rng.uniform(joined[u], max(until[u], joined[u])))
        out.extend(DatasetJoin(f"u{u}", names[g], START + timedelta(days=day))
                   for g, day in sorted(when.items(), key=lambda x: x[1]))
    return tuple(out)


def _sessions(
    s: Shape,
    rng: np.random.Generator,
    group_topic: list[str],
    group_name: list[str],
    group_day: np.ndarray,
    group_hour: np.ndarray,
) -> list[_Session]:
    """Recurring series at their group's home slot (same text each time) plus one-offs."""
    out: list[_Session] = []
    series: list[tuple[int, str, float, int]] = []  # (group, text, appeal, every n weeks)
    for g in range(s.groups):
        phrases = TOPICS[group_topic[g]]
        for n in range(s.series_per_group):
            phrase = phrases[(n + g // len(TOPICS)) % len(phrases)]
            fmt = FORMATS[int(rng.integers(len(FORMATS)))]
            title = group_name[g] or f"{group_topic[g].title()} {FORMAT_NAMES[(g + n) % 4]}"
            text = f"{title} #{n + 1}: {phrase}. {fmt}"
            every = 2 if rng.random() < s.biweekly else 1
            series.append((g, text, float(rng.lognormal(0.0, s.appeal_spread)), every))
    for week in range(s.weeks):
        monday = START - timedelta(hours=START.hour) + timedelta(weeks=week)
        for key, (g, text, appeal, every) in enumerate(series):
            if week % every:
                continue
            start = monday + timedelta(days=int(group_day[g]), hours=int(group_hour[g]))
            start += timedelta(minutes=30 * (key % 2))
            noise = float(rng.lognormal(0.0, 0.2))
            out.append(_Session(f"s{key}-w{week}", text, start, g, key, appeal * noise))
        for n in range(s.one_offs_per_week):
            g = int(rng.integers(s.groups))
            phrases = TOPICS[group_topic[g]]
            a, b = rng.choice(len(phrases), size=2, replace=False)
            host = f" with {group_name[g]}" if group_name[g] else ""
            text = f"Workshop{host}: {phrases[a]}. Then a hands-on session on {phrases[b]}."
            start = monday + timedelta(
                days=int(rng.integers(7)), hours=int(rng.choice(HOURS))
            )
            appeal = float(rng.lognormal(0.0, s.appeal_spread))
            out.append(_Session(f"oneoff-{week}-{n}", text, start, g, -1, appeal))
    out.sort(key=lambda x: x.start)
    return out
