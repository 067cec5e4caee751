"""What the outbox stores: kinds, states and the message a feature writes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.core.model import Button, Platform

MAX_TEXT = 3900


class OutboxKind(StrEnum):
    """What a message is for (members can opt out of some kinds)."""

    REMINDER = "reminder"
    ANNOUNCEMENT = "announcement"
    NOTICE = "notice"
    WAITLIST = "waitlist"
    FEEDBACK = "feedback"
    DIGEST = "digest"
    LEADERBOARD = "leaderboard"


class Status(StrEnum):
    """Where a row is in its life."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNDELIVERABLE = "undeliverable"
    WITHDRAWN = "withdrawn"
    SKIPPED = "skipped"


# DMs a member can switch off with /profile dms=off; digests need their own opt-in.
OPTIONAL_DMS = {OutboxKind.REMINDER, OutboxKind.FEEDBACK, OutboxKind.DIGEST}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to write to the outbox: a DM to a member, or a post in a place."""

    key: str
    kind: OutboxKind
    text: str
    due_at: datetime
    member_id: int | None = None
    platform: Platform | None = None
    place_id: str | None = None
    event_id: int | None = None
    buttons: tuple[Button, ...] = field(default=())

    def __post_init__(self) -> None:
        if (self.member_id is None) == (self.place_id is None):
            raise ValueError("an outgoing message goes to a member or to a place")
        if self.place_id is not None and self.platform is None:
            raise ValueError("a post needs its platform")

    def row(self, now: datetime) -> dict[str, object]:
        """The outbox row for this message."""
        return {
            "key": self.key[:200],
            "kind": self.kind.value,
            "member_id": self.member_id,
            "platform": self.platform.value if self.platform else None,
            "place_id": self.place_id,
            "event_id": self.event_id,
            "text": self.text[:MAX_TEXT],
            "buttons": json.dumps([[b.label, b.action] for b in self.buttons]),
            "status": Status.PENDING.value,
            "due_at": self.due_at,
            "attempts": 0,
            "created_at": now,
        }


@dataclass(frozen=True, slots=True)
class OutboxReport:
    """What ``/outbox`` shows."""

    counts: Mapping[str, int]
    pending: Sequence[tuple[int, str, datetime, int, str | None]]
    failed: Sequence[tuple[int, str, str, str | None]]
    about: Mapping[int, str] = field(default_factory=dict)  # row id → event and recipient
