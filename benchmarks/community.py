"""A generated community as the learned ranker's arrays (G4's learned path), built fast.

Shaped like a real one so every feature does real work: sessions belong to organisers'
recurring series (occurrences reuse their text, so TF-IDF finds the series), members stay
within a couple of groups and keep to their weekdays, a few upcoming sessions already have
RSVPs (popularity, co-attendance, the own-RSVP mask), and some members declined or voted.
Vectorised, so 100,000 members take seconds; not a quality data set (see recommender.synthetic).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from bot.services.recommendations.learned import BlendInputs
from recommender.blend import Feedback
from recommender.features import DAY, ItemTable, RsvpHistory

DIM = 384
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
WORDS = [f"w{i}" for i in range(4000)]


@dataclass(frozen=True, slots=True)
class Community:
    """The blend's arrays, who to rank, what the caller excludes, and the time."""

    inputs: BlendInputs
    member_ids: list[int]
    candidates: list[int]  # upcoming event ids
    exclude: dict[int, list[int]]  # member id -> event ids (last digest's picks)
    now: datetime


def generate(members: int, upcoming: int, past: int, seed: int = 0) -> Community:
    """`members` each with ~8 attended past sessions; `upcoming` candidate sessions."""
    rng = np.random.default_rng(seed)
    n_items = past + upcoming
    n_groups = 40
    # A digest's candidates are one per series: the next occurrence of each recurring
    # series (30 %), then one-offs; past sessions are earlier occurrences and one-offs.
    recurring = max(upcoming * 3 // 10, 1)
    past_series = np.concatenate([rng.integers(0, recurring, past - past * 3 // 10),
                                  recurring + np.arange(past * 3 // 10)])
    item_series = np.concatenate([past_series, np.arange(recurring),
                                  recurring + past * 3 // 10 + np.arange(upcoming - recurring)])
    n_series = int(item_series.max()) + 1
    series_group = rng.integers(0, n_groups, n_series)
    now = NOW.timestamp()
    # Past sessions over the last 120 days, upcoming over the next 60, at evening hours.
    days = np.concatenate([-rng.uniform(1, 120, past), rng.uniform(0.2, 60, upcoming)])
    starts = np.floor(now / DAY + days) * DAY + rng.choice([18, 19, 20], n_items) * 3600.0
    series_text = [" ".join(rng.choice(WORDS, 30)) for _ in range(n_series)]
    texts = [f"{series_text[s]} occurrence" for s in item_series]
    base = rng.standard_normal((n_series, DIM)).astype(np.float32)
    semantic = base[item_series] + 0.3 * rng.standard_normal((n_items, DIM)).astype(np.float32)
    semantic /= np.linalg.norm(semantic, axis=1, keepdims=True)
    table = ItemTable.build(texts, semantic, starts, [f"g{series_group[s]}" for s in item_series],
                            announced=starts - 14 * DAY)  # a fortnight ahead, as most are

    # Each member keeps to two groups: 8 past sessions from them, 2 upcoming RSVPs.
    home = rng.integers(0, n_groups, (members, 2))
    by_group = [np.flatnonzero(series_group[item_series] == g) for g in range(n_groups)]
    past_of = [np.flatnonzero(series_group[item_series[:past]] == g) for g in range(n_groups)]
    member_rows, item_rows = [], []
    for group in range(n_groups):
        who = np.flatnonzero((home == group).any(axis=1))
        pool, soon = past_of[group], by_group[group][by_group[group] >= past]
        if len(pool):
            member_rows.append(np.repeat(who, 4))
            item_rows.append(rng.choice(pool, 4 * len(who)))
        if len(soon):
            member_rows.append(who)
            item_rows.append(rng.choice(soon, len(who)))
    member = np.concatenate(member_rows)
    item = np.concatenate(item_rows)
    created = np.minimum(starts[item] - rng.uniform(1, 14, len(item)) * DAY, now - 3600.0)
    log = RsvpHistory(member, item, created, members)
    said = rng.choice(members, members // 10)
    feedback = Feedback(said, rng.integers(past, n_items, len(said)),
                        np.full(len(said), now - DAY), rng.integers(0, 2, len(said)))
    event_ids = np.arange(1000, 1000 + n_items, dtype=np.int64)
    inputs = BlendInputs(table, log, feedback, event_ids,
                         {int(e): n for n, e in enumerate(event_ids)},
                         {m + 1: m for m in range(members)})
    shown = rng.integers(past, n_items, (members, 5)) + 1000
    return Community(inputs, [m + 1 for m in range(members)],
                     [int(e) for e in event_ids[past:]],
                     {m + 1: shown[m].tolist() for m in range(members)}, NOW)
