"""Token buckets that pace what the outbox sends, per platform and per chat.

Defaults stay under the published limits (PERFORMANCE.md G8): Telegram 30 msg/s overall,
1/s per chat and 20 a minute per group or channel, Discord 50 req/s global. A send may
cost more than one: Discord counts HTTP requests, and one DM can be a channel-open plus
two messages, so a send takes as many tokens as the requests it will make. A 429's
``retry_after`` pauses a whole platform.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# A platform's one-second window is counted this much longer: a request reaches the
# platform a little after its slot was granted, and that jitter must not put one too many
# into a second as the platform counts it (costs about 1% of throughput).
WINDOW_GUARD = 0.01


@dataclass(frozen=True, slots=True)
class Rate:
    """A sustained rate with a burst allowance."""

    per_second: float
    burst: float = 1.0


class TokenBucket:
    """A classic token bucket on a monotonic clock; a send costing more runs it into debt."""

    def __init__(self, rate: Rate, now: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._now = now
        self._tokens = rate.burst
        self._stamp = now()

    def delay(self, cost: int = 1) -> float:
        """Take ``cost`` tokens once one is there (returns 0), or say how long until one is.

        Taking more than the bucket holds leaves it in debt: the sends after a three-request
        DM wait for all three tokens, so the sustained rate holds whatever each send costs.
        """
        current = self._now()
        elapsed = current - self._stamp
        self._stamp = current
        self._tokens = min(self._rate.burst, self._tokens + elapsed * self._rate.per_second)
        if self._tokens >= 1:
            self._tokens -= cost
            return 0.0
        return (1 - self._tokens) / self._rate.per_second

    def spent_now(self) -> None:
        """Count the last take as spent now (the send happened later than the take)."""
        self._tokens = min(self._tokens, 0.0)
        self._stamp = self._now()


class RequestWindow:
    """At most ``limit`` requests in any second, as the platform counts them.

    A bucket alone lets a many-request send overshoot: its requests go out together, so a
    second can hold the rate plus one send's extra requests. The window waits instead.
    """

    def __init__(self, limit: float, now: Callable[[], float] = time.monotonic) -> None:
        self._limit = max(1, math.floor(limit))
        self._seconds = 1.0 + WINDOW_GUARD
        self._now = now
        self._granted: deque[tuple[float, int]] = deque()
        self._count = 0

    def delay(self, cost: int) -> float:
        """How long until ``cost`` more requests fit in the window (0: they fit now)."""
        current = self._now()
        while self._granted and self._granted[0][0] <= current - self._seconds:
            self._count -= self._granted.popleft()[1]
        excess = self._count + cost - max(self._limit, cost)
        if excess <= 0:
            return 0.0
        for stamp, taken in self._granted:
            excess -= taken
            if excess <= 0:
                return max(stamp + self._seconds - current, 1e-6)
        raise AssertionError("unreachable: the window holds more than its excess")

    def take(self, cost: int) -> None:
        """Count ``cost`` requests as made now."""
        self._granted.append((self._now(), cost))
        self._count += cost


@dataclass(frozen=True, slots=True)
class PlatformRates:
    """Limits for one platform."""

    overall: Rate
    per_chat: Rate | None = None
    per_group: Rate | None = None  # a stricter rate for group chats (Telegram: 20/min)
    is_group: Callable[[str], bool] | None = None  # which chat keys are groups


class RateLimiter:
    """Waits until a platform and a chat both have room; honours 429 pauses."""

    def __init__(self, rates: dict[str, PlatformRates],
                 now: Callable[[], float] = time.monotonic) -> None:
        self._rates = rates
        self._now = now
        self._overall = {p: TokenBucket(r.overall, now) for p, r in rates.items()}
        self._windows = {p: RequestWindow(r.overall.per_second, now) for p, r in rates.items()}
        self._chats: dict[tuple[str, str], TokenBucket] = {}
        self._paused_until: dict[str, float] = {}
        self._platform_locks = {p: asyncio.Lock() for p in rates}
        self._chat_locks: dict[tuple[str, str], asyncio.Lock] = {}

    def per_second(self, platform: str) -> float | None:
        """The sustained overall rate of ``platform`` (None: not paced)."""
        rates = self._rates.get(platform)
        return rates.overall.per_second if rates is not None else None

    def pause(self, platform: str, seconds: float) -> None:
        """Stop sending on ``platform`` for ``seconds`` (a 429's retry_after)."""
        until = self._now() + seconds
        self._paused_until[platform] = max(self._paused_until.get(platform, 0.0), until)

    async def acquire(self, platform: str, chat: str, cost: int = 1) -> None:
        """Wait for ``cost`` slots (requests, or messages) on ``platform`` and in ``chat``."""
        rates = self._rates.get(platform)
        if rates is None:
            return
        chat_bucket = None
        if rates.per_chat is not None:
            # A chat waits for its own slot without holding up other chats or platforms.
            key = (platform, chat)
            group = rates.per_group is not None and rates.is_group is not None \
                and rates.is_group(chat)
            rate = rates.per_group if group and rates.per_group is not None else rates.per_chat
            chat_bucket = self._chats.setdefault(key, TokenBucket(rate, self._now))
            async with self._chat_locks.setdefault(key, asyncio.Lock()):
                while True:
                    wait = chat_bucket.delay(cost)
                    if wait == 0:
                        break
                    await asyncio.sleep(wait)
        window = self._windows[platform]
        async with self._platform_locks[platform]:  # one waiter per platform keeps order
            while True:
                wait = self._paused_until.get(platform, 0.0) - self._now()
                if wait <= 0:
                    wait = window.delay(cost)
                if wait <= 0:
                    wait = self._overall[platform].delay(cost)
                    if wait == 0:
                        window.take(cost)
                        break
                await asyncio.sleep(wait)
        if chat_bucket is not None:
            chat_bucket.spent_now()
