"""Cross-platform identity: ``/link`` joins two platform accounts into one member.

A member asks for a one-time code on one platform (valid ten minutes) and sends it from
their account on the other; the redeeming account's member is then merged into the code's
owner. Storage re-points ``member_id`` in every table that references ``members.id``
(``unit.members.move_references``), resolving rows that would collide on a unique key (one
RSVP per event and member, one feedback per event and member) with the per-table rules
here, so nothing is counted twice. ``/unlink`` moves the current account to a fresh member;
history stays with the person the account leaves.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Member, Platform, UserRef
from bot.core.platforms import Platforms
from bot.services.activity import InteractionLog
from bot.services.members.directory import MemberDirectory, to_member
from storage import Database, Unit
from storage.repos.members import ConflictRule
from storage.rows.members import AccountRow

logger = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are typed by hand
CODE_LENGTH = 8
CODE_TTL = timedelta(minutes=10)
DEEP_LINK_PREFIX = "link-"

# Runs first in a merge, in its unit, with (source, target): a feature whose rows must be
# combined rather than chosen between (points totals are summed) does it here.
MergeHook = Callable[[Unit, int, int], Awaitable[None]]

_RSVP_STRENGTH = {"going": 5, "offered": 4, "waitlist": 3, "maybe": 2, "no": 1}


def stronger_rsvp(moving: Mapping[str, Any], staying: Mapping[str, Any]) -> bool:
    """Keep the RSVP that commits more: checked in, then going > offered > waitlist > maybe."""

    def strength(row: Mapping[str, Any]) -> tuple[int, int]:
        return (int(row.get("checked_in_at") is not None),
                _RSVP_STRENGTH.get(str(row.get("status")), 0))

    return strength(moving) > strength(staying)


def newer(moving: Mapping[str, Any], staying: Mapping[str, Any]) -> bool:
    """Keep the most recently updated row (feedback: the member's latest word)."""
    moved = moving.get("updated_at") or moving.get("created_at")
    stays = staying.get("updated_at") or staying.get("created_at")
    return moved is not None and stays is not None and moved > stays


DEFAULT_RULES: Mapping[str, ConflictRule] = {"rsvps": stronger_rsvp, "feedback": newer}


@dataclass(frozen=True, slots=True)
class LinkCode:
    """A code a member sends from their other account."""

    code: str
    expires_at: datetime
    deep_link: str | None


@dataclass(frozen=True, slots=True)
class LinkResult:
    """The member both accounts now belong to, and the platforms they cover."""

    member: Member
    platforms: tuple[str, ...]


class LinkService:
    """Issues and redeems link codes; merges and separates members."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        directory: MemberDirectory,
        interactions: InteractionLog,
        platforms: Platforms,
        *,
        merges: Sequence[MergeHook] = (),
        rules: Mapping[str, ConflictRule] | None = None,
    ) -> None:
        """``merges`` run first in every merge, ``(unit, source, target)``, in order."""
        self._db = db
        self._clock = clock
        self._directory = directory
        self._interactions = interactions
        self._platforms = platforms
        self._rules = dict(DEFAULT_RULES if rules is None else rules)
        self._merge_hooks = tuple(merges)

    def deep_link(self, code: str) -> str | None:
        """A Telegram link starting the bot with ``link-CODE``, once its adapter is up."""
        return self._platforms.deep_link(Platform.TELEGRAM, f"{DEEP_LINK_PREFIX}{code}")

    async def issue(self, member: Member, platform: Platform) -> LinkCode:
        """A fresh code for ``member``; older unused codes stop working."""
        now = self._clock.now()
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        async with self._db.unit() as unit:
            await unit.members.replace_link_code(member.member_id, code, platform.value, now,
                                                 now + CODE_TTL)
        return LinkCode(code, now + CODE_TTL, self.deep_link(code))

    async def redeem(self, member: Member, author: UserRef, code: str) -> LinkResult:
        """Join ``author``'s member into the member who issued ``code``."""
        wanted = normalise_code(code)
        now = self._clock.now()
        await self._interactions.flush()  # buffered rows must be re-pointed too
        async with self._db.unit() as unit:
            row = await unit.members.link_code(wanted)
            if row is None or row.used_at is not None or row.expires_at <= now:
                raise UserError("That link code is wrong or has expired. Send /link on your "
                                "other account to get a new one (codes last 10 minutes).")
            source = await unit.members.by_account(author.platform.value, author.user_id)
            if source is None or source.id != member.member_id:
                raise UserError("I could not find your account; send a message and try again.")
            if row.member_id == source.id:
                raise UserError("That code is your own. Send it from your account on the "
                                "other platform.")
            moving = await unit.members.accounts(source.id)
            staying = await unit.members.accounts(row.member_id)
            if len(moving) > 1:
                raise UserError("This account is already linked with another one. "
                                "Send /unlink first to link it elsewhere.")
            taken = {a.platform for a in staying} & {a.platform for a in moving}
            if taken:
                platform = sorted(taken)[0].capitalize()
                raise UserError(f"That code belongs to someone who already has a {platform} "
                                f"account linked. A code links accounts on different "
                                "platforms.")
            await unit.members.use_link_code(wanted, now)
            await self._merge(unit, source.id, row.member_id)
            target = await unit.members.get(row.member_id)
            assert target is not None
            result = LinkResult(to_member(target),
                                tuple(sorted({a.platform for a in [*staying, *moving]})))
        self._interactions.drop_member(source.id)  # anything still arriving for the old id
        self._directory.forget_cached(source.id)
        self._directory.forget_cached(row.member_id)
        logger.info("linked member %s into member %s", source.id, row.member_id)
        return result

    async def unlink(self, member: Member, author: UserRef) -> Member:
        """Move ``author``'s account to a new member with a copy of the profile."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            accounts = await unit.members.accounts(member.member_id)
            mine = next((a for a in accounts if a.platform == author.platform.value
                         and a.user_id == author.user_id), None)
            if mine is None or len(accounts) < 2:
                raise UserError("This account is not linked with any other.")
            fresh = await unit.members.detach_account(member.member_id, mine.platform,
                                                      mine.user_id, now)
            result = to_member(fresh)
        self._directory.forget_cached(member.member_id)
        return result

    async def _merge(self, unit: Unit, source: int, target: int) -> None:
        """Re-point every reference from ``source`` to ``target``, then delete ``source``."""
        for hook in self._merge_hooks:
            await hook(unit, source, target)
        await unit.members.move_references(source, target, self._rules)
        await self._merge_profile(unit, source, target)
        # Both accounts may have had the same reminder queued: one person gets one DM.
        await unit.outbox.withdraw_duplicates(target, "duplicate after linking")
        await unit.members.delete(source)

    async def _merge_profile(self, unit: Unit, source: int, target: int) -> None:
        moving = await unit.members.get(source)
        staying = await unit.members.get(target)
        assert moving is not None
        assert staying is not None
        fields: dict[str, object] = {}
        if not staying.interests and moving.interests:
            fields["interests"] = moving.interests
        if staying.timezone == "UTC" and moving.timezone != "UTC":
            fields["timezone"] = moving.timezone
        if moving.digests and not staying.digests:
            fields["digests"] = True
        if not moving.keep_text:
            fields["keep_text"] = False  # the stricter privacy choice wins
        for name in ("reminder_offsets", "quiet_hours"):
            if getattr(staying, name) is None and getattr(moving, name) is not None:
                fields[name] = getattr(moving, name)
        if fields:
            await unit.members.update(target, **fields)

    async def accounts(self, member: Member) -> list[tuple[str, str]]:
        """(platform, display name) of each account of ``member``."""
        async with self._db.unit() as unit:
            rows: list[AccountRow] = await unit.members.accounts(member.member_id)
            return [(r.platform, r.display_name) for r in rows]


def normalise_code(text: str) -> str:
    """Accept ``abcd 2345``, ``link-ABCD2345`` and friends."""
    cleaned = text.strip()
    if cleaned.lower().startswith(DEEP_LINK_PREFIX):
        cleaned = cleaned[len(DEEP_LINK_PREFIX):]
    return "".join(ch for ch in cleaned.upper() if ch.isalnum())[:32]
