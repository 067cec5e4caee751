"""What adapters report besides commands: reactions, voice joins, a DM opened.

:class:`PresenceService` implements the adapters' :class:`~bot.core.ports.PlatformEvents`
port. It logs each event and hands what it means to the feature that owns the rule (a
reaction earns its target points; a voice join during an online event counts as
attending it) through callables given at construction, so it holds no other service.

Each hook runs under the dispatcher's error policy (:mod:`bot.core.policy`): a transient
storage fault is retried and anything else is logged once, so an adapter always goes on to
answer the update (a ``/start`` gets its welcome even when the database stumbled).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from bot.core.clock import Clock
from bot.core.model import Member, Place, Platform, UserRef
from bot.core.policy import ErrorPolicy
from bot.core.ports import InteractionKind
from bot.services.activity.interactions import InteractionLog


class Accounts(Protocol):
    """The part of the member directory presence needs (kept narrow: members imports us)."""

    async def identify(self, author: UserRef) -> Member:
        """The member behind ``author``, created on first contact."""
        ...

    async def reopen_dms(self, author: UserRef) -> bool:
        """Forget that ``author`` refused DMs; True if they had."""
        ...


class ReactionReceived(Protocol):
    """A member's message got a reaction from someone else (points: ``reaction_received``)."""

    async def __call__(self, member_id: int, source_key: str, at: datetime,
                       place_id: str, place_name: str) -> object:
        """Apply what a received reaction means for ``member_id``."""
        ...


# A member joined a voice channel (events: ``voice_presence``).
VoiceJoined = Callable[[int], Awaitable[object]]
# A place changed its id: (platform, old id, new id) (outbox: ``move_place``).
PlaceMoved = Callable[[str, str, str], Awaitable[object]]


class PresenceService:
    """Logs reactions and voice joins and applies their rules; reopens DMs."""

    def __init__(
        self,
        directory: Accounts,
        interactions: InteractionLog,
        clock: Clock,
        *,
        reaction_received: ReactionReceived,
        voice_joined: VoiceJoined,
        place_moved: PlaceMoved,
        policy: ErrorPolicy | None = None,
    ) -> None:
        self._directory = directory
        self._interactions = interactions
        self._clock = clock
        self._reaction_received = reaction_received
        self._voice_joined = voice_joined
        self._place_moved = place_moved
        self._policy = policy or ErrorPolicy()

    async def activity(
        self,
        author: UserRef,
        place: Place,
        kind: InteractionKind,
        source_id: str,
        name: str | None = None,
        target: UserRef | None = None,
    ) -> None:
        """Log a reaction, a voice join … and apply what it means; never raises.

        A reaction earns its target (the message's author) capped points; joining a voice
        channel during an online event one is going to counts as attending it.
        """
        recorded: list[bool] = []  # a retried hook logs its interaction once

        async def apply() -> None:
            await self._activity(author, place, kind, source_id, name, target, recorded)

        await self._policy.run("hook", str(kind), author, source_id, apply)

    async def _activity(self, author: UserRef, place: Place, kind: InteractionKind,
                        source_id: str, name: str | None, target: UserRef | None,
                        recorded: list[bool]) -> None:
        member = await self._directory.identify(author)
        source_key = f"{author.platform}:{kind}:{source_id}"[:160]
        if not recorded:
            self._interactions.record_raw(
                member_id=member.member_id, platform=author.platform.value,
                place_id=place.place_id, kind=kind, name=name, source_key=source_key,
            )
            recorded.append(True)
        if kind is InteractionKind.REACTION and target is not None:
            receiver = await self._directory.identify(target)
            if receiver.member_id != member.member_id:
                await self._reaction_received(receiver.member_id, source_key,
                                              self._clock.now(), place.place_id, place.name)
        elif kind is InteractionKind.VOICE and name == "join":
            await self._voice_joined(member.member_id)

    async def dm_opened(self, author: UserRef) -> bool:
        """Forget an earlier DM refusal: the member can be reached again; never raises.

        True when there was a refusal to forget (the member may be told why DMs failed).
        """

        async def reopen() -> bool:
            await self._directory.identify(author)
            return await self._directory.reopen_dms(author)

        outcome = await self._policy.run("hook", "dm_opened", author,
                                         f"dm_opened:{author.user_id}", reopen)
        return bool(outcome.value)

    async def place_moved(self, platform: Platform, old: str, new: str) -> None:
        """Follow a place that changed its id."""
        await self._place_moved(platform.value, old, new)
