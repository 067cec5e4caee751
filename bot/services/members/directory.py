"""The member directory: platform accounts → Cohort members."""

from __future__ import annotations

from bot.core.clock import Clock
from bot.core.model import Member, Platform, UserRef
from bot.core.parsing import strip_unstorable
from bot.core.turns import GroupCommit, SingleFlight
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
        # Newcomers who write together are looked up and created together (G10).
        self._batches = GroupCommit(self._find_or_create, 256)

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
            member = await self._batches.submit(author)
        except Duplicate:
            # A first event from a new person raced another (a message and a voice join,
            # another process): the other one created the member, so read it.
            member = (await self._find_or_create([author]))[0]
        self._cache[key] = member
        return member

    async def _find_or_create(self, authors: list[UserRef]) -> list[Member]:
        """Members for ``authors``, newcomers created: one unit for a burst's newcomers."""
        async with self._db.unit() as unit:
            found = await unit.members.by_accounts(
                [(a.platform.value, a.user_id) for a in authors])
            new = list({(a.platform.value, a.user_id): a for a in authors
                        if (a.platform.value, a.user_id) not in found}.values())
            if new:  # names come from the platform: cleaned, never refused
                rows = await unit.members.create_many(
                    [(a.platform.value, a.user_id, strip_unstorable(a.display_name),
                      a.handle and strip_unstorable(a.handle)) for a in new],
                    self._clock.now(), self._default_tz)
                found.update(((a.platform.value, a.user_id), row) for a, row in zip(
                    new, rows, strict=True))
            return [to_member(found[a.platform.value, a.user_id]) for a in authors]

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
