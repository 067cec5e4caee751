"""The exceptions the core understands; SDK exceptions are converted at the adapter edge."""

from __future__ import annotations

from enum import StrEnum


class BotError(Exception):
    """Base of Cohort's own errors."""


class UserError(BotError):
    """Something the member did wrong; the message is safe and friendly to show them."""


class StartupError(BotError):
    """A start-up problem only the operator can fix; the message says what to do."""


class NotPermitted(UserError):
    """The member may not run this here."""


class DeliveryFailure(StrEnum):
    """Why a message could not be delivered."""

    DM_CLOSED = "dm_closed"
    UNKNOWN_RECIPIENT = "unknown_recipient"
    TRANSIENT = "transient"


class DeliveryFailed(BotError):
    """A messenger could not deliver; ``retry_after`` is set when the platform asked to wait."""

    def __init__(self, reason: DeliveryFailure, *, retry_after: float | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.retry_after = retry_after
