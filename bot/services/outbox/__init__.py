"""The durable outbox: messages features write in their own unit, swept and paced per platform.

Imports ``bot.core`` and ``storage`` only; every feature that posts or DMs imports this.
"""

from bot.services.outbox.messages import MAX_TEXT, OutboxKind, OutboxReport, Outgoing, Status
from bot.services.outbox.ratelimit import PlatformRates, Rate, RateLimiter, TokenBucket
from bot.services.outbox.service import Outbox

__all__ = [
    "MAX_TEXT", "Outbox", "OutboxKind", "OutboxReport", "Outgoing", "PlatformRates", "Rate",
    "RateLimiter", "Status", "TokenBucket",
]
