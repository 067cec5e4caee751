"""Members, accounts (with their DM state), link codes, places and the audit log.

Merging two members re-points ``member_id`` in every table that references ``members.id``
(found through the row metadata, so a table added later is covered without touching this
module); rows that would collide on a unique key are settled by a per-table rule the
caller passes in.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    and_,
    delete,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import Duplicate
from storage.rows.base import Base
from storage.rows.members import AccountRow, AuditRow, LinkCodeRow, MemberRow, PlaceRow

# Which row survives when both members have one with the same unique key: gets (moving row,
# staying row) as column mappings and returns True to keep the moving one.
ConflictRule = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class MemberReference:
    """A column referencing ``members.id``, with the unique keys it takes part in."""

    table: Table
    column: Column[Any]
    unique_sets: tuple[tuple[str, ...], ...]  # the *other* columns of each unique key


def member_references(metadata: Any = Base.metadata) -> list[MemberReference]:
    """Every column that references ``members.id``, with the unique keys it takes part in."""
    references: list[MemberReference] = []
    for table in metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            target = foreign_key.column
            if target.table.name != "members" or target.name != "id":
                continue
            column = foreign_key.parent
            keys: list[tuple[str, ...]] = []
            candidates = [
                [c.name for c in constraint.columns]
                for constraint in table.constraints
                if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint)
            ]
            candidates += [[c.name for c in index.columns] for index in table.indexes
                           if index.unique]
            for names in candidates:
                if column.name in names:
                    keys.append(tuple(n for n in names if n != column.name))
            references.append(MemberReference(table, column, tuple(keys)))
    return references


@cache
def _references() -> list[MemberReference]:
    # Computed on first merge, once every feature's rows are imported.
    return member_references()


class MemberRepo:
    """People and their platform accounts."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, member_id: int) -> MemberRow | None:
        """A member by id."""
        return await self._s.get(MemberRow, member_id)

    async def by_account(self, platform: str, user_id: str) -> MemberRow | None:
        """The member owning a platform account."""
        return (await self.by_accounts([(platform, user_id)])).get((platform, user_id))

    async def by_accounts(self, accounts: Sequence[tuple[str, str]]
                          ) -> dict[tuple[str, str], MemberRow]:
        """The members owning these (platform, user id) accounts, where known."""
        statement = (
            select(AccountRow.platform, AccountRow.user_id, MemberRow)
            .join(AccountRow, AccountRow.member_id == MemberRow.id)
            .where(tuple_(AccountRow.platform, AccountRow.user_id).in_(list(accounts)))
        )
        return {(p, u): row for p, u, row in (await self._s.execute(statement)).all()}

    async def create(self, platform: str, user_id: str, display_name: str, handle: str | None,
                     now: datetime, timezone: str = "UTC") -> MemberRow:
        """Create a member with their first account."""
        return (await self.create_many([(platform, user_id, display_name, handle)], now,
                                       timezone))[0]

    async def create_many(self, accounts: Sequence[tuple[str, str, str, str | None]],
                          now: datetime, timezone: str = "UTC") -> list[MemberRow]:
        """Create one member per (platform, user id, display name, handle) account, in order.

        Two INSERT statements for all, not ORM flushes: a burst of newcomers (G10) paid most
        of its first-message cost in the unit-of-work machinery. The ids are taken first, so
        the rows need no RETURNING order: SQLite has none, and SQLAlchemy asked for one
        falls back to one INSERT per row.
        """
        ids = await self._new_ids(len(accounts))
        made = {row.id: row for row in (await self._s.scalars(
            insert(MemberRow).returning(MemberRow),
            [{"id": id_, "display_name": name[:100], "timezone": timezone, "interests": "",
              "dms": True, "digests": False, "keep_text": True, "created_at": now}
             for id_, (_, _, name, _) in zip(ids, accounts, strict=True)])).all()}
        members = [made[id_] for id_ in ids]
        try:
            await self._s.execute(insert(AccountRow), [
                {"member_id": member.id, "platform": platform, "user_id": user_id,
                 "display_name": name[:100], "handle": handle, "created_at": now}
                for member, (platform, user_id, name, handle) in zip(members, accounts,
                                                                     strict=True)])
        except IntegrityError as exc:  # a first event from a new person raced another
            raise Duplicate(f"an account of {len(accounts)} exists already") from exc
        return members

    async def _new_ids(self, n: int) -> list[int]:
        """``n`` member ids nobody has had (SQLite: this unit holds the write lock)."""
        if self._s.get_bind().dialect.name == "postgresql":
            return [int(i) for i in (await self._s.execute(text(
                "SELECT nextval(pg_get_serial_sequence('members', 'id')) "
                "FROM generate_series(1, :n)"), {"n": n})).scalars()]
        last = (await self._s.execute(text(  # AUTOINCREMENT: never a forgotten member's id
            "SELECT MAX(x) FROM (SELECT COALESCE(MAX(id), 0) AS x FROM members "
            "UNION ALL SELECT seq FROM sqlite_sequence WHERE name = 'members')"))).scalar_one()
        return list(range(int(last) + 1, int(last) + 1 + n))

    async def insert_many(self, members: Sequence[dict[str, Any]],
                          accounts: Sequence[dict[str, Any]] = ()) -> None:
        """Bulk-insert member and account rows as given (imports, benchmark setup)."""
        if members:
            await self._s.execute(insert(MemberRow), list(members))
        if accounts:
            await self._s.execute(insert(AccountRow), list(accounts))

    async def add_account(self, member_id: int, platform: str, user_id: str,
                          display_name: str, now: datetime, handle: str | None = None) -> None:
        """Give a member one more platform account (tests, imports)."""
        self._s.add(AccountRow(member_id=member_id, platform=platform, user_id=user_id,
                               display_name=display_name[:100], handle=handle,
                               created_at=now))
        await self._s.flush()

    async def all_accounts(self) -> list[AccountRow]:
        """Every platform account, oldest first (tests, audits)."""
        statement = select(AccountRow).order_by(AccountRow.created_at, AccountRow.id)
        return list((await self._s.execute(statement)).scalars())

    async def detach_account(self, member_id: int, platform: str, user_id: str,
                             now: datetime) -> MemberRow:
        """Move one account of ``member_id`` to a new member with a copy of the profile."""
        old = await self.get(member_id)
        assert old is not None
        account = (await self._s.execute(select(AccountRow).where(
            AccountRow.member_id == member_id, AccountRow.platform == platform,
            AccountRow.user_id == user_id))).scalar_one()
        fresh = MemberRow(display_name=account.display_name, timezone=old.timezone,
                          interests=old.interests, dms=old.dms, digests=old.digests,
                          keep_text=old.keep_text, reminder_offsets=old.reminder_offsets,
                          quiet_hours=old.quiet_hours, created_at=now)
        self._s.add(fresh)
        await self._s.flush()
        account.member_id = fresh.id
        await self._s.flush()
        return fresh

    async def replace_link_code(self, member_id: int, code: str, platform: str,
                                now: datetime, expires_at: datetime) -> None:
        """Store a fresh link code for a member; their older unused codes stop working."""
        await self._s.execute(delete(LinkCodeRow).where(LinkCodeRow.member_id == member_id,
                                                        LinkCodeRow.used_at.is_(None)))
        self._s.add(LinkCodeRow(code=code, member_id=member_id, platform=platform,
                                created_at=now, expires_at=expires_at))

    async def link_code(self, code: str) -> LinkCodeRow | None:
        """A link code by its text."""
        statement = select(LinkCodeRow).where(LinkCodeRow.code == code)
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def link_codes(self) -> list[LinkCodeRow]:
        """Every stored link code (tests, audits)."""
        return list((await self._s.execute(select(LinkCodeRow).order_by(LinkCodeRow.id)))
                    .scalars())

    async def use_link_code(self, code: str, now: datetime) -> None:
        """Mark a code used so it cannot be redeemed again."""
        await self._s.execute(update(LinkCodeRow).where(LinkCodeRow.code == code)
                              .values(used_at=now))

    async def move_references(self, source: int, target: int,
                              rules: Mapping[str, ConflictRule]) -> None:
        """Re-point every reference from ``source`` to ``target`` (the rows stay).

        Where both members have a row under one unique key, ``rules[table]`` picks the
        survivor; a table without a rule keeps the staying member's row.
        """
        for reference in _references():
            table, column = reference.table, reference.column
            for others in reference.unique_sets:
                await self._resolve_conflicts(reference, others, source, target,
                                              rules.get(table.name))
            await self._s.execute(
                update(table).where(column == source).values({column.name: target}))

    async def _resolve_conflicts(self, reference: MemberReference, others: Sequence[str],
                                 source: int, target: int, rule: ConflictRule | None) -> None:
        table, column = reference.table, reference.column
        keys = [c.name for c in table.primary_key.columns]

        async def rows_of(member_id: int) -> dict[tuple[Any, ...], dict[str, Any]]:
            result = await self._s.execute(select(table).where(column == member_id))
            return {tuple(r[o] for o in others): dict(r) for r in result.mappings()}

        moving, staying = await rows_of(source), await rows_of(target)
        for key in moving.keys() & staying.keys():
            keep_moving = rule(moving[key], staying[key]) if rule is not None else False
            loser = staying[key] if keep_moving else moving[key]
            await self._s.execute(
                delete(table).where(and_(*(table.c[k] == loser[k] for k in keys))))

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

    async def mark_dm_open(self, platform: str, user_id: str) -> bool:
        """Forget a DM refusal (the member started the bot, or acted); True if there was one."""
        result = await self._s.execute(
            update(AccountRow)
            .where(AccountRow.platform == platform, AccountRow.user_id == user_id,
                   AccountRow.dm_closed_at.is_not(None))
            .values(dm_closed_at=None)
        )
        return bool(getattr(result, "rowcount", 0))


class AuditRepo:
    """Admin actions."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, member_id: int, command: str, args: str, now: datetime, *,
                  platform: str | None = None, place_id: str | None = None) -> None:
        """Record one admin action."""
        self._s.add(AuditRow(member_id=member_id, command=command, args=args, created_at=now,
                             platform=platform, place_id=place_id))

    async def recent(self, limit: int = 50) -> list[AuditRow]:
        """The latest admin actions, newest first."""
        statement = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        return list((await self._s.execute(statement)).scalars())

    async def admins(self, limit: int = 20) -> list[int]:
        """Members who ran admin commands, most recently active first (who to alert)."""
        latest = func.max(AuditRow.id)
        statement = (select(AuditRow.member_id).where(AuditRow.member_id.is_not(None))
                     .group_by(AuditRow.member_id).order_by(latest.desc()).limit(limit))
        return [m for m in (await self._s.execute(statement)).scalars() if m is not None]

    async def for_member(self, member_id: int) -> list[AuditRow]:
        """Every admin action one member ran, oldest first (their ``/mydata``)."""
        statement = (select(AuditRow).where(AuditRow.member_id == member_id)
                     .order_by(AuditRow.id))
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
