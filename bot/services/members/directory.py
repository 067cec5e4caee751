"""The member directory: platform accounts → Cohort members."""

from __future__ import annotations

from bot.core.clock import Clock
from bot.core.model import Member, Platform, UserRef
from bot.core.parsing import strip_unstorable
from bot.core.turns import SingleFlight
from storage import Database, Duplicate
from storage.rows.members import MemberRow


def to_member(row: MemberRow) -> Member:
    """Turn a stored row into the core value handlers see."""
    return Member(
        member_id=row.id,
        display_name=row.display_name,
        timezone=row.timezone,
        interests=row.interests,
        dms=row.dms,
        digests=row.digests,
        keep_text=row.keep_text,
        reminders=row.reminder_offsets,
        quiet_hours=row.quiet_hours,
    )


class MemberDirectory:
    """Finds or creates the member behind an account; caches lookups for the chat hot path.

    The cache holds values, not rows, and is dropped for a member whenever their profile
    changes (:meth:`forget_cached`), so the database stays the truth.
    """

    def __init__(self, db: Database, clock: Clock, default_timezone: str = "UTC") -> None:
        self._db = db
        self._clock = clock
        self._default_tz = default_timezone
        self._cache: dict[tuple[str, str], Member] = {}
        self._lookups: SingleFlight[tuple[str, str], Member] = SingleFlight()

    async def identify(self, author: UserRef) -> Member:
        """Return the member for ``author``, creating them on first contact.

        A new person's messages that arrive together share one lookup (a burst used to
        open one unit per message, all racing to create the same member).
        """
        key = (author.platform.value, author.user_id)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        return await self._lookups.run(key, lambda: self._identify(author, key))

    async def _identify(self, author: UserRef, key: tuple[str, str]) -> Member:
        try:
            member = await self._find_or_create(author)
        except Duplicate:
            # Two first events from one new person raced (a message and a voice join):
            # the other one created the member, so read it.
            member = await self._find_or_create(author)
        self._cache[key] = member
        return member

    async def _find_or_create(self, author: UserRef) -> Member:
        async with self._db.unit() as unit:
            row = await unit.members.by_account(author.platform.value, author.user_id)
            if row is None:  # names come from the platform: cleaned, never refused
                row = await unit.members.create(
                    author.platform.value, author.user_id,
                    strip_unstorable(author.display_name),
                    author.handle and strip_unstorable(author.handle),
                    self._clock.now(), self._default_tz,
                )
            return to_member(row)

    async def resolve(self, platform: Platform, token: str) -> Member | None:
        """Find a member by ``@handle``, platform id or display name."""
        async with self._db.unit() as unit:
            row = await unit.members.find(platform.value, token)
            return to_member(row) if row is not None else None

    async def get(self, member_id: int) -> Member | None:
        """A member by id."""
        async with self._db.unit() as unit:
            row = await unit.members.get(member_id)
            return to_member(row) if row is not None else None

    async def reopen_dms(self, author: UserRef) -> bool:
        """Forget that ``author``'s account refused DMs (they started the bot, say)."""
        async with self._db.unit() as unit:
            return await unit.members.mark_dm_open(author.platform.value, author.user_id)

    def forget_cached(self, member_id: int) -> None:
        """Drop cached values for a member after their profile or accounts changed."""
        for key in [k for k, m in self._cache.items() if m.member_id == member_id]:
            del self._cache[key]
