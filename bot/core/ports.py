"""The protocols the core needs from the outside world; services and adapters implement them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Protocol, runtime_checkable

from bot.core.model import Incoming, Member, Place, Platform, Reply, UserRef


class InteractionKind(StrEnum):
    """What a logged interaction was."""

    MESSAGE = "message"
    COMMAND = "command"
    REACTION = "reaction"
    RSVP = "rsvp"
    CHECKIN = "checkin"
    SUBMISSION = "submission"
    VOICE = "voice"


class Directory(Protocol):
    """Finds the Cohort member behind a platform account."""

    async def identify(self, author: UserRef) -> Member:
        """Return the member for ``author``, creating them on first contact."""
        ...

    async def resolve(self, platform: Platform, token: str) -> Member | None:
        """Find a member named in a command (``@maya``, a display name or a platform id)."""
        ...


class InteractionSink(Protocol):
    """Where the dispatcher logs what members do; must not block the caller."""

    def record(
        self, member: Member, incoming: Incoming, kind: InteractionKind, name: str | None
    ) -> None:
        """Queue one interaction for storage."""
        ...

    async def audit(self, member: Member, incoming: Incoming, command: str,
                    args: Mapping[str, object]) -> None:
        """Store an admin action durably (who, where, which command, its arguments)."""
        ...


class StorageFaults(Protocol):
    """What the error policy needs from storage to retry safely (the database implements it)."""

    def transient(self, error: BaseException) -> bool:
        """Whether ``error`` is a fault that may pass: connection lost, serialization, locked."""
        ...

    def count_commits(self) -> Callable[[], int]:
        """Count this task's committed writing units from now on (retry only while 0)."""
        ...


class Messenger(Protocol):
    """Unsolicited output to one platform; raises ``DeliveryFailed``, never swallows."""

    platform: Platform

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        """DM one person; returns the platform message id where there is one."""
        ...

    async def send_place(self, place_id: str, reply: Reply) -> str | None:
        """Post in a channel or group; returns the platform message id where there is one."""
        ...


@runtime_checkable
class CountsRequests(Protocol):
    """A messenger that says what a send costs where the platform counts requests.

    Discord limits HTTP requests, not messages: a DM may first open its channel, and a long
    text goes as two messages. The outbox takes one slot per request; a messenger without
    this costs one slot a send.
    """

    def requests(self, reply: Reply, *, user_id: str | None = None,
                 place_id: str | None = None) -> int:
        """Requests that sending ``reply`` makes.

        As a DM to ``user_id``, a post in ``place_id``, or (neither given) the most a DM
        of it can cost, what a reminder wave is planned with.
        """
        ...


class PlatformEvents(Protocol):
    """What adapters report besides commands and messages (reactions, voice, DM reachability).

    Adapters call this; the app implements it with the member directory, the interaction log
    and the accounts' DM state, so no adapter needs a service or the database.
    """

    async def activity(
        self,
        author: UserRef,
        place: Place,
        kind: InteractionKind,
        source_id: str,
        name: str | None = None,
        target: UserRef | None = None,
    ) -> None:
        """Log one interaction that did not come through the dispatcher (a reaction, voice).

        ``target`` is whom it was aimed at: for a reaction, the author of the message.
        """
        ...

    async def dm_opened(self, author: UserRef) -> bool:
        """The person may be DMed again (Telegram: they started the bot; Discord: they acted).

        Returns True when this cleared an earlier refusal, so the adapter can tell them once
        that reminders could not reach them.
        """
        ...

    async def place_moved(self, platform: Platform, old: str, new: str) -> None:
        """A place changed its id (a Telegram group became a supergroup): follow it."""
        ...


class RoleManager(Protocol):
    """Grants and removes platform roles (Discord), by role name or id.

    Raises ``UserError`` (unknown role or member) or ``NotPermitted`` (the bot may not manage
    that role); features use it for role rewards and audiences.
    """

    platform: Platform

    async def grant_role(
        self, community_id: str, user_id: str, role: str, *, reason: str | None = None
    ) -> None:
        """Give ``role`` to a member of the community (a Discord guild)."""
        ...

    async def remove_role(
        self, community_id: str, user_id: str, role: str, *, reason: str | None = None
    ) -> None:
        """Take ``role`` from a member of the community."""
        ...

    async def has_role(self, community_id: str, user_id: str, role: str) -> bool:
        """Whether the member holds ``role`` now."""
        ...
