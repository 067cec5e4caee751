"""Members, accounts (with their DM state), places and the audit log."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows.members import AccountRow, AuditRow, MemberRow, PlaceRow


class MemberRepo:
    """People and their platform accounts."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, member_id: int) -> MemberRow | None:
        """A member by id."""
        return await self._s.get(MemberRow, member_id)

    async def by_account(self, platform: str, user_id: str) -> MemberRow | None:
        """The member owning a platform account."""
        statement = (
            select(MemberRow)
            .join(AccountRow, AccountRow.member_id == MemberRow.id)
            .where(AccountRow.platform == platform, AccountRow.user_id == user_id)
        )
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def create(
        self,
        platform: str,
        user_id: str,
        display_name: str,
        handle: str | None,
        now: datetime,
        timezone: str = "UTC",
    ) -> MemberRow:
        """Create a member with their first account."""
        member = MemberRow(display_name=display_name[:100], timezone=timezone, interests="",
                           dms=True, digests=False, keep_text=True, created_at=now)
        self._s.add(member)
        await self._s.flush()
        self._s.add(AccountRow(member_id=member.id, platform=platform, user_id=user_id,
                               display_name=display_name[:100], handle=handle,
                               created_at=now))
        await self._s.flush()
        return member

    async def find(self, platform: str, token: str) -> MemberRow | None:
        """Find by @handle, platform id or display name (in that order) on one platform."""
        bare = token.strip().removeprefix("@")
        for column, value in (
            (AccountRow.handle, bare),
            (AccountRow.user_id, bare),
        ):
            statement = (
                select(MemberRow)
                .join(AccountRow, AccountRow.member_id == MemberRow.id)
                .where(AccountRow.platform == platform, column == value)
            )
            found = (await self._s.execute(statement)).scalars().first()
            if found is not None:
                return found
        statement = (
            select(MemberRow)
            .join(AccountRow, AccountRow.member_id == MemberRow.id)
            .where(AccountRow.platform == platform,
                   func.lower(AccountRow.display_name) == bare.lower())
        )
        return (await self._s.execute(statement)).scalars().first()

    async def many(self, member_ids: Collection[int]) -> dict[int, MemberRow]:
        """Members by id."""
        statement = select(MemberRow).where(MemberRow.id.in_(member_ids))
        return {m.id: m for m in (await self._s.execute(statement)).scalars()}

    async def accounts_of(self, member_ids: Collection[int]) -> dict[int, list[AccountRow]]:
        """Each member's accounts, oldest first."""
        statement = (select(AccountRow).where(AccountRow.member_id.in_(member_ids))
                     .order_by(AccountRow.created_at, AccountRow.id))
        out: dict[int, list[AccountRow]] = {}
        for account in (await self._s.execute(statement)).scalars():
            out.setdefault(account.member_id, []).append(account)
        return out

    async def accounts(self, member_id: int) -> list[AccountRow]:
        """A member's platform accounts."""
        statement = (select(AccountRow).where(AccountRow.member_id == member_id)
                     .order_by(AccountRow.created_at, AccountRow.id))
        return list((await self._s.execute(statement)).scalars())

    async def update(self, member_id: int, **fields: object) -> None:
        """Change profile fields."""
        await self._s.execute(update(MemberRow).where(MemberRow.id == member_id).values(**fields))

    async def delete(self, member_id: int) -> None:
        """Delete a member; their accounts, interactions and texts go with them (cascade)."""
        await self._s.execute(delete(MemberRow).where(MemberRow.id == member_id))

    async def count(self) -> int:
        """How many members there are."""
        return int((await self._s.execute(select(func.count(MemberRow.id)))).scalar_one())

    async def mark_dm_closed(self, platform: str, user_id: str, now: datetime) -> None:
        """Remember that an account cannot be DMed."""
        await self._s.execute(
            update(AccountRow)
            .where(AccountRow.platform == platform, AccountRow.user_id == user_id)
            .values(dm_closed_at=now)
        )

    async def mark_dm_open(self, platform: str, user_id: str) -> None:
        """Forget a DM refusal (the member started the bot, or a DM got through)."""
        await self._s.execute(
            update(AccountRow)
            .where(AccountRow.platform == platform, AccountRow.user_id == user_id,
                   AccountRow.dm_closed_at.is_not(None))
            .values(dm_closed_at=None)
        )


class AuditRepo:
    """Admin actions."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, member_id: int, command: str, args: str, now: datetime) -> None:
        """Record one admin action."""
        self._s.add(AuditRow(member_id=member_id, command=command, args=args, created_at=now))

    async def recent(self, limit: int = 50) -> list[AuditRow]:
        """The latest admin actions."""
        statement = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        return list((await self._s.execute(statement)).scalars())


class PlaceRepo:
    """Channels and groups."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def ensure(self, platform: str, place_id: str, name: str, is_direct: bool,
                     community_id: str | None = None) -> PlaceRow:
        """Return the place, creating it on first sight."""
        statement = select(PlaceRow).where(PlaceRow.platform == platform,
                                           PlaceRow.place_id == place_id)
        found = (await self._s.execute(statement)).scalar_one_or_none()
        if found is None:
            found = PlaceRow(platform=platform, place_id=place_id, name=name,
                             is_direct=is_direct, community_id=community_id)
            self._s.add(found)
            await self._s.flush()
        return found

    async def all(self, platform: str) -> list[PlaceRow]:
        """Known places on a platform."""
        statement = select(PlaceRow).where(PlaceRow.platform == platform).order_by(PlaceRow.id)
        return list((await self._s.execute(statement)).scalars())
