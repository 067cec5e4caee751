"""Evaluation datasets: two CSV files, items and interactions.

`items.csv` (header required): `item_id,text[,time][,group][,created]`
`interactions.csv` (header required): `user_id,item_id,timestamp[,rating][,created][,kind]`

Ids are free text. Times are ISO 8601 (a missing offset means UTC) or POSIX seconds; an
item without a time takes its first interaction's. `rating` is 1-5 and optional. `timestamp`
is the session's start; `created` is when the RSVP was made (the strict evaluation counts an
interaction only once it was created; without it, the session's start is assumed). `group` is
the organiser or group that runs the session; an item's `created` is when it was announced
(RSVPs build from then: how fast they came is a session's early appeal). `kind` is `rsvp`
(the default) or `join`: a join row says the member joined the group named in `item_id` (an
items.csv `group`) at `created` (else `timestamp`), as platforms log group membership apart
from attendance.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


class DatasetError(ValueError):
    """A malformed dataset file; the message names the file, line and problem."""


@dataclass(frozen=True, slots=True)
class DatasetItem:
    """A session: id, text, start time, group, when it was announced (if known)."""

    item_id: str
    text: str
    time: datetime | None = None
    group: str = ""
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class DatasetInteraction:
    """A user attended / RSVP'd (or rated) an item starting at `timestamp`, made at `created`."""

    user_id: str
    item_id: str
    timestamp: datetime
    rating: float | None = None
    created: datetime | None = None

    @property
    def known_at(self) -> datetime:
        """When the interaction became known: its `created`, else the session's start."""
        return self.created or self.timestamp


@dataclass(frozen=True, slots=True)
class DatasetJoin:
    """A user joined a group (followed an organiser) at `created`, whether they came or not."""

    user_id: str
    group: str
    created: datetime


@dataclass(frozen=True, slots=True)
class Dataset:
    """Items, interactions (RSVPs) and group joins, in file order."""

    items: tuple[DatasetItem, ...]
    interactions: tuple[DatasetInteraction, ...]
    joins: tuple[DatasetJoin, ...] = ()


def parse_time(value: str) -> datetime:
    """ISO 8601 or POSIX seconds, as an aware UTC datetime."""
    text = value.strip()
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except ValueError:
        pass
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [name for name in required if name not in header]
        if missing:
            raise DatasetError(f"{path}:1: missing column(s) {', '.join(missing)}")
        for row in reader:
            if None in row:
                raise DatasetError(f"{path}:{reader.line_num}: more fields than the header")
            yield reader.line_num, {k: (v or "") for k, v in row.items()}


def _item_time(path: Path, line: int, row: dict[str, str], column: str) -> datetime | None:
    """An items.csv time column: None when empty, `DatasetError` when malformed."""
    if not row.get(column, "").strip():
        return None
    try:
        return parse_time(row[column])
    except ValueError:
        raise DatasetError(f"{path}:{line}: bad {column} {row[column]!r}") from None


def load_dataset(items_path: Path, interactions_path: Path) -> Dataset:
    """Read and validate the two CSV files; raise `DatasetError` naming the bad line."""
    items: dict[str, DatasetItem] = {}
    for line, row in _rows(items_path, ("item_id", "text")):
        item_id = row["item_id"].strip()
        if not item_id:
            raise DatasetError(f"{items_path}:{line}: empty item_id")
        if item_id in items:
            raise DatasetError(f"{items_path}:{line}: duplicate item_id {item_id!r}")
        when, announced = (_item_time(items_path, line, row, column)
                           for column in ("time", "created"))
        items[item_id] = DatasetItem(item_id, row["text"], when, row.get("group", "").strip(),
                                     announced)
    interactions: list[DatasetInteraction] = []
    joins: list[DatasetJoin] = []
    groups = {item.group for item in items.values() if item.group}
    for line, row in _rows(interactions_path, ("user_id", "item_id", "timestamp")):
        user_id, item_id = row["user_id"].strip(), row["item_id"].strip()
        kind = row.get("kind", "").strip() or "rsvp"
        if not user_id:
            raise DatasetError(f"{interactions_path}:{line}: empty user_id")
        if kind not in ("rsvp", "join"):
            raise DatasetError(f"{interactions_path}:{line}: unknown kind {kind!r}")
        if kind == "join":
            if item_id not in groups:
                raise DatasetError(f"{interactions_path}:{line}: unknown group {item_id!r}")
            joined = row.get("created", "").strip() or row["timestamp"]
            try:
                joins.append(DatasetJoin(user_id, item_id, parse_time(joined)))
            except ValueError:
                raise DatasetError(f"{interactions_path}:{line}: bad time {joined!r}") from None
            continue
        if item_id not in items:
            raise DatasetError(f"{interactions_path}:{line}: unknown item_id {item_id!r}")
        try:
            stamp = parse_time(row["timestamp"])
        except ValueError:
            raise DatasetError(
                f"{interactions_path}:{line}: bad timestamp {row['timestamp']!r}"
            ) from None
        rating = None
        if row.get("rating", "").strip():
            try:
                rating = float(row["rating"])
            except ValueError:
                raise DatasetError(
                    f"{interactions_path}:{line}: bad rating {row['rating']!r}"
                ) from None
        created = None
        if row.get("created", "").strip():
            try:
                created = parse_time(row["created"])
            except ValueError:
                raise DatasetError(
                    f"{interactions_path}:{line}: bad created {row['created']!r}"
                ) from None
        interactions.append(DatasetInteraction(user_id, item_id, stamp, rating, created))
    return Dataset(tuple(items.values()), tuple(interactions), tuple(joins))


def write_dataset(dataset: Dataset, items_path: Path, interactions_path: Path) -> None:
    """Write `dataset` in the format `load_dataset` reads."""
    with items_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "text", "time", "group", "created"])
        for item in dataset.items:
            when = item.time.isoformat() if item.time else ""
            announced = item.created.isoformat() if item.created else ""
            writer.writerow([item.item_id, item.text, when, item.group, announced])
    with interactions_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "item_id", "timestamp", "rating", "created", "kind"])
        for it in dataset.interactions:
            rating = "" if it.rating is None else f"{it.rating:g}"
            created = it.created.isoformat() if it.created else ""
            writer.writerow([it.user_id, it.item_id, it.timestamp.isoformat(), rating, created,
                             "rsvp"])
        for join in dataset.joins:
            when = join.created.isoformat()
            writer.writerow([join.user_id, join.group, when, "", when, "join"])
