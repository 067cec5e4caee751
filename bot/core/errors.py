"""The exceptions the core understands; SDK exceptions are converted at the adapter edge."""

from __future__ import annotations

from enum import StrEnum


class BotError(Exception):
    """Base of Cohort's own errors."""


class UserError(BotError):
    """Something the member did wrong; the message is safe and friendly to show them."""


class NotPermitted(UserError):
    """The member may not run this here."""


class StartupFailed(BotError):
    """An adapter could not start; the message is one line a new user can act on.

    ``transient`` (the API could not be reached) is worth retrying; otherwise (a refused
    token, a refused webhook) retrying cannot help and the process exits.
    """

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class DeliveryFailure(StrEnum):
    """Why a message could not be delivered."""

    DM_CLOSED = "dm_closed"
    UNKNOWN_RECIPIENT = "unknown_recipient"
    NO_PERMISSION = "no_permission"  # the bot may not post there: an admin must fix it
    TRANSIENT = "transient"
    NOT_RUNNING = "platform not running"  # not connected yet (start-up) or not configured


class DeliveryFailed(BotError):
    """A messenger could not deliver; ``retry_after`` is set when the platform asked to wait."""

    def __init__(self, reason: DeliveryFailure, *, retry_after: float | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.retry_after = retry_after
