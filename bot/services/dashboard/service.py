"""Passwordless dashboard access.

``/dashboard`` gives an admin a random single-use link; opening it swaps the link for a
session cookie. Only SHA-256 hashes of either token are stored, so a leaked database lets
no one in. The CSRF token is an HMAC of the session token: the page can embed it, a
cross-site form cannot know it (the cookie is HttpOnly), and nothing extra is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Member
from bot.services.dashboard import texts
from config.settings import WebSettings
from storage import Database

logger = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(minutes=texts.LINK_MINUTES)
WEB = "web"  # the audit log's platform for changes made on the dashboard


@dataclass(frozen=True, slots=True)
class WebSession:
    """A logged-in browser: who, whether an admin, and the CSRF token its forms carry."""

    member_id: int
    display_name: str
    timezone: str
    admin: bool
    csrf: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_for(session_token: str) -> str:
    """The CSRF token that belongs to a session."""
    return hmac.new(session_token.encode(), b"cohort-csrf", hashlib.sha256).hexdigest()


class DashboardAccess:
    """Issue and redeem login links; look up, revoke and audit sessions."""

    def __init__(self, db: Database, clock: Clock, settings: WebSettings) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings
        self._listening: str | None = None

    def listening_at(self, address: str) -> None:
        """The address the server really bound (port 0 picks one); used without a public URL."""
        self._listening = address

    @property
    def base_url(self) -> str:
        """Where the dashboard is reached: the public URL, else where it listens."""
        if self._settings.public_url is None and self._listening is not None:
            return self._listening
        return self._settings.base_url

    @property
    def secure(self) -> bool:
        """Cookies are Secure when people reach the dashboard over https."""
        return self.base_url.startswith("https://")

    async def issue(self, member: Member, *, admin: bool) -> str:
        """A fresh login link for ``member``; refused past the hourly limit."""
        now = self._clock.now()
        token = secrets.token_urlsafe(32)
        async with self._db.unit() as unit:
            recent = await unit.web.logins_since(member.member_id, now - timedelta(hours=1))
            if recent >= self._settings.links_per_hour:
                raise UserError(texts.rate_limited(self._settings.links_per_hour))
            await unit.web.add_login(_hash(token), member.member_id, admin, now,
                                     now + LINK_LIFETIME)
        return f"{self.base_url}/login/{token}"

    async def open(self, link_token: str) -> str | None:
        """Use a login link once; the new session's token, or None (expired, used, unknown)."""
        now = self._clock.now()
        session_token = secrets.token_urlsafe(32)
        async with self._db.unit() as unit:
            login = await unit.web.use_login(_hash(link_token), now)
            if login is None:
                return None
            await unit.web.add_session(
                _hash(session_token), login.member_id, login.admin, now,
                now + timedelta(hours=self._settings.session_hours))
        return session_token

    async def session(self, session_token: str | None) -> WebSession | None:
        """The live session behind a cookie, or None."""
        if not session_token:
            return None
        async with self._db.unit() as unit:
            row = await unit.web.live_session(_hash(session_token), self._clock.now())
            if row is None:
                return None
            member = await unit.members.get(row.member_id)
            if member is None:
                return None
            return WebSession(row.member_id, member.display_name, member.timezone or "UTC",
                              row.admin, csrf_for(session_token))

    async def logout(self, session_token: str) -> bool:
        """Revoke one session (its browser's Log out button)."""
        async with self._db.unit() as unit:
            return await unit.web.revoke(_hash(session_token), self._clock.now())

    async def logout_all(self) -> int:
        """Revoke every dashboard session."""
        async with self._db.unit() as unit:
            return await unit.web.revoke_all(self._clock.now())

    async def record(self, who: WebSession, action: str, args: Mapping[str, object]) -> None:
        """Write a change made on the web to the same audit log as admin commands."""
        payload = json.dumps({k: _jsonable(v) for k, v in args.items()}, sort_keys=True)
        async with self._db.unit() as unit:
            await unit.audit.add(who.member_id, action, payload, self._clock.now(),
                                 platform=WEB, place_id=None)
        logger.info("dashboard: %s by member %d", action, who.member_id)


def _jsonable(value: object) -> object:
    """As the command audit stores values: members by id, everything else as text."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Member):
        return {"member_id": value.member_id}
    return str(value)
