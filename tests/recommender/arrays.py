"""Arrays the blend works on, built from an offline data set (shared by the recommender tests)."""

from __future__ import annotations

import numpy as np

from recommender.dataset import Dataset
from recommender.encoders import TfidfEncoder
from recommender.features import ItemTable, RsvpHistory
from recommender.offline.evaluate import history_arrays as log_of


def history_arrays(community: Dataset) -> tuple[ItemTable, RsvpHistory, np.ndarray]:
    """The catalogue table, the RSVP log and the sessions' starts of a data set."""
    items = community.items
    index = {item.item_id: n for n, item in enumerate(items)}
    users = {u: n for n, u in enumerate(dict.fromkeys(i.user_id for i in community.interactions))}
    assert all(i.time is not None for i in items)
    starts = np.array([i.time.timestamp() for i in items if i.time is not None])
    encoder = TfidfEncoder([i.text for i in items])
    announced = np.array([i.created.timestamp() if i.created else np.nan for i in items])
    table = ItemTable.build([i.text for i in items], encoder.encode([i.text for i in items]),
                            starts, [i.group for i in items], announced=announced)
    log: RsvpHistory = log_of(community, table, users, index)
    return table, log, starts
