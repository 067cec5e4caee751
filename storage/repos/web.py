"""Login links and dashboard sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows.web import WebLoginRow, WebSessionRow


class WebRepo:
    """Login links (single use) and the sessions they start."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_login(self, token_hash: str, member_id: int, admin: bool,
                        now: datetime, expires_at: datetime) -> None:
        """Store a new login link's hash."""
        self._s.add(WebLoginRow(token_hash=token_hash, member_id=member_id, admin=admin,
                                created_at=now, expires_at=expires_at))

    async def logins_since(self, member_id: int, since: datetime) -> int:
        """How many links this member was given since ``since`` (the rate limit)."""
        statement = select(func.count()).select_from(WebLoginRow).where(
            WebLoginRow.member_id == member_id, WebLoginRow.created_at >= since)
        return int((await self._s.execute(statement)).scalar_one())

    async def use_login(self, token_hash: str, now: datetime) -> WebLoginRow | None:
        """Mark an unused, unexpired link used and return it; None when it is not.

        One conditional UPDATE, so two browsers opening the same link cannot both win.
        """
        statement = (update(WebLoginRow)
                     .where(WebLoginRow.token_hash == token_hash, WebLoginRow.used_at.is_(None),
                            WebLoginRow.expires_at > now)
                     .values(used_at=now))
        if (await self._s.execute(statement)).rowcount != 1:  # type: ignore[attr-defined]
            return None
        found = await self._s.execute(
            select(WebLoginRow).where(WebLoginRow.token_hash == token_hash))
        return found.scalar_one()

    async def add_session(self, token_hash: str, member_id: int, admin: bool,
                          now: datetime, expires_at: datetime) -> None:
        """Store a new session's hashes."""
        self._s.add(WebSessionRow(token_hash=token_hash,
                                  member_id=member_id, admin=admin, created_at=now,
                                  expires_at=expires_at))

    async def live_session(self, token_hash: str, now: datetime) -> WebSessionRow | None:
        """The session with this hash, unless it expired or was revoked."""
        statement = select(WebSessionRow).where(
            WebSessionRow.token_hash == token_hash, WebSessionRow.revoked_at.is_(None),
            WebSessionRow.expires_at > now)
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def revoke(self, token_hash: str, now: datetime) -> bool:
        """End one live session; whether there was one."""
        statement = (update(WebSessionRow)
                     .where(WebSessionRow.token_hash == token_hash,
                            WebSessionRow.revoked_at.is_(None))
                     .values(revoked_at=now))
        return int((await self._s.execute(statement)).rowcount) == 1  # type: ignore[attr-defined]

    async def revoke_all(self, now: datetime) -> int:
        """End every live session; returns how many."""
        statement = (update(WebSessionRow)
                     .where(WebSessionRow.revoked_at.is_(None), WebSessionRow.expires_at > now)
                     .values(revoked_at=now))
        return int((await self._s.execute(statement)).rowcount)  # type: ignore[attr-defined]
