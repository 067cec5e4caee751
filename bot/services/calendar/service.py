"""Calendar feeds: issuing and revoking a member's private feed, and rendering feeds.

The token is random and shown once; only its SHA-256 is stored, so the feed URL cannot be
recovered from the database (``/calendar reset`` issues a new one). The feeds are built by
the events feature's own iCalendar code (:func:`bot.services.events.feed`), so a session
reads the same in ``/ics`` and in a subscribed calendar.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import Clock
from bot.core.model import Member
from bot.services.calendar import texts
from bot.services.events import feed
from storage import Database, Unit
from storage.rows.events import EventRow

logger = logging.getLogger(__name__)

HISTORY = timedelta(days=30)  # how far back a member's feed still lists sessions
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


class UnknownFeed(LookupError):
    """No feed has this token (never issued, or reset)."""


@dataclass(frozen=True, slots=True)
class FeedLink:
    """What ``/calendar`` answers: a new URL, or when the existing feed was issued."""

    url: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Feed:
    """A rendered feed, its fingerprint (ETag) and when what it lists last changed.

    ``modified`` (Last-Modified) is None for an empty feed with nothing to date.
    """

    body: bytes
    etag: str
    modified: datetime | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _modified(rows: Sequence[EventRow], now: datetime,
              *more: datetime | None) -> datetime | None:
    """The latest change among the listed sessions (and ``more``), never after now."""
    moments = [m for r in rows for m in (r.created_at, r.updated_at, r.announced_at)
               if m is not None]
    moments += [m for m in more if m is not None]
    return min(max(moments), now) if moments else None


def _fingerprint(body: bytes) -> str:
    # DTSTAMP is the time of rendering; leave it out so an unchanged feed keeps its ETag.
    lines = [line for line in body.splitlines() if not line.startswith(b"DTSTAMP")]
    return '"' + hashlib.sha256(b"\n".join(lines)).hexdigest()[:32] + '"'


class CalendarData:
    """The ``/mydata`` part: whether the member has a feed, and since when.

    The token itself is not kept, so it cannot be exported; ``/forgetme`` deletes the feed,
    so its URL answers 404 at once.
    """

    name = "calendar_feed"

    async def export(self, unit: Unit, member_id: int) -> Any:
        """When the member's feed was issued, or None."""
        row = await unit.calendar.feed_of(member_id)
        return None if row is None else {"issued_at": row.created_at.isoformat()}

    async def forget(self, unit: Unit, member_id: int) -> None:
        """Delete the member's feed."""
        await unit.calendar.drop(member_id)


class CalendarService:
    """Private member feeds and the public community feed."""

    def __init__(self, db: Database, clock: Clock,
                 public_url: str = "http://127.0.0.1:8080") -> None:
        self._db = db
        self._clock = clock
        self._base = public_url.rstrip("/")

    def url(self, token: str) -> str:
        """The public address of the feed with ``token``."""
        return f"{self._base}/ics/{token}.ics"

    @property
    def community_url(self) -> str:
        """The public address of the community feed."""
        return f"{self._base}/ics/community.ics"

    async def link(self, member: Member) -> FeedLink:
        """Issue the member's feed on first use; later, say when it was issued."""
        async with self._db.unit() as unit:
            existing = await unit.calendar.feed_of(member.member_id)
            if existing is not None:
                return FeedLink(None, existing.created_at)
            return await self._issue(member, unit)

    async def reset(self, member: Member) -> FeedLink:
        """Revoke the member's feed (its old URL answers 404) and issue a new one."""
        async with self._db.unit() as unit:
            return await self._issue(member, unit)

    async def _issue(self, member: Member, unit: Unit) -> FeedLink:
        token, now = secrets.token_urlsafe(24), self._clock.now()
        await unit.calendar.put(member.member_id, _hash(token), now)
        return FeedLink(self.url(token), now)

    async def member_feed(self, token: str) -> Feed:
        """The sessions the token's member is going to, or UnknownFeed."""
        if not _TOKEN.fullmatch(token):
            raise UnknownFeed
        now = self._clock.now()
        async with self._db.unit() as unit:
            found = await unit.calendar.by_hash(_hash(token))
            if found is None:
                raise UnknownFeed
            member = await unit.members.get(found.member_id)
            assert member is not None  # the feed row goes with the member (CASCADE)
            rows = await unit.calendar.going(found.member_id, now - HISTORY)
            body = await feed(unit, rows, now, name=texts.member_name(member.display_name),
                              open_ended=False)
            modified = _modified(rows, now, found.created_at,
                                 await unit.calendar.answers_changed(found.member_id))
        return Feed(body, _fingerprint(body), modified)

    async def community_feed(self) -> Feed:
        """Upcoming public sessions: announced and open to everyone."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            rows = await unit.calendar.public(now)
            body = await feed(unit, rows, now, name=texts.COMMUNITY_NAME, open_ended=True)
        return Feed(body, _fingerprint(body), _modified(rows, now))
