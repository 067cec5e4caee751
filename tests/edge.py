"""Fakes of the edge only: a messenger that records what the outbox sends.

``RecordingMessenger(platform)`` implements :class:`bot.core.ports.Messenger`. It records
every delivered message as :class:`Direct` or :class:`Posted` (in order, with the time of
the call from its ``now`` source), every attempt (delivered or not) in ``attempts``, and
can be told to fail the way platforms fail:

- ``close_dms("42")``: DMs to user 42 raise ``DeliveryFailed(DM_CLOSED)`` (until reopened);
- ``unknown("42")``: ``DeliveryFailed(UNKNOWN_RECIPIENT)``;
- ``fail_transient(3, retry_after=0.5)``: the next 3 sends raise ``TRANSIENT`` (a 429 when
  ``retry_after`` is given), optionally only for one ``target`` (``"dm:42"``/``"#general"``);
- ``hold()``: every send waits until ``release()`` (a slow or hung platform).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.errors import DeliveryFailed, DeliveryFailure
from bot.core.model import Platform, Reply


@dataclass(frozen=True, slots=True)
class Direct:
    """A DM that was delivered."""

    user_id: str
    text: str


@dataclass(frozen=True, slots=True)
class Posted:
    """A post in a channel or group that was delivered."""

    place_id: str
    text: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """One call into the messenger, delivered or not."""

    target: str  # "dm:<user_id>" or "#<place_id>"
    text: str
    at: float
    outcome: str  # "sent" or a DeliveryFailure value


@dataclass(slots=True)
class _Failures:
    remaining: int
    reason: DeliveryFailure
    retry_after: float | None
    target: str | None


class RecordingMessenger:
    """A :class:`~bot.core.ports.Messenger` that records sends and fails on request."""

    def __init__(self, platform: Platform, now: Callable[[], float] = time.monotonic) -> None:
        self.platform = platform
        self._now = now
        self.sent: list[Direct | Posted] = []
        self.sent_at: list[float] = []
        self.attempts: list[Attempt] = []
        self._closed: set[str] = set()
        self._unknown: set[str] = set()
        self._failures: list[_Failures] = []
        self._gate: asyncio.Event | None = None
        self.waiting = 0  # sends currently held by hold()

    # -- how the fake platform behaves ------------------------------------------------

    def close_dms(self, *user_ids: str) -> None:
        """DMs to these users fail with DM_CLOSED."""
        self._closed.update(user_ids)

    def open_dms(self, *user_ids: str) -> None:
        """DMs to these users work again."""
        self._closed.difference_update(user_ids)

    def unknown(self, *user_ids: str) -> None:
        """These users do not exist on the platform."""
        self._unknown.update(user_ids)

    def fail_transient(self, times: int, *, retry_after: float | None = None,
                       target: str | None = None) -> None:
        """The next ``times`` sends (to ``target`` only, if given) fail with TRANSIENT."""
        self._failures.append(_Failures(times, DeliveryFailure.TRANSIENT, retry_after, target))

    def hold(self) -> None:
        """Make every send wait until :meth:`release`."""
        self._gate = asyncio.Event()

    def release(self) -> None:
        """Let held sends through."""
        if self._gate is not None:
            self._gate.set()
            self._gate = None

    # -- the Messenger protocol -------------------------------------------------------

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        """Deliver a DM, or fail as configured."""
        target = f"dm:{user_id}"
        await self._wait_gate()
        if user_id in self._unknown:
            self._fail(target, reply, DeliveryFailure.UNKNOWN_RECIPIENT, None)
        if user_id in self._closed:
            self._fail(target, reply, DeliveryFailure.DM_CLOSED, None)
        self._maybe_transient(target, reply)
        return self._record(Direct(user_id, reply.text), target)

    async def send_place(self, place_id: str, reply: Reply) -> str | None:
        """Post in a place, or fail as configured."""
        target = f"#{place_id}"
        await self._wait_gate()
        self._maybe_transient(target, reply)
        return self._record(Posted(place_id, reply.text), target)

    # -- reading what happened --------------------------------------------------------

    def directs(self, user_id: str) -> list[str]:
        """Texts DMed to ``user_id``, in order."""
        return [m.text for m in self.sent if isinstance(m, Direct) and m.user_id == user_id]

    def posts(self, place_id: str) -> list[str]:
        """Texts posted in ``place_id``, in order."""
        return [m.text for m in self.sent if isinstance(m, Posted) and m.place_id == place_id]

    def texts(self) -> list[str]:
        """Every delivered text, in order."""
        return [m.text for m in self.sent]

    def take(self) -> list[Direct | Posted]:
        """Everything delivered so far, then forget it."""
        out, self.sent, self.sent_at = self.sent, [], []
        return out

    # -- internals --------------------------------------------------------------------

    async def _wait_gate(self) -> None:
        gate = self._gate
        if gate is not None:
            self.waiting += 1
            try:
                await gate.wait()
            finally:
                self.waiting -= 1

    def _maybe_transient(self, target: str, reply: Reply) -> None:
        for failures in self._failures:
            if failures.remaining > 0 and failures.target in (None, target):
                failures.remaining -= 1
                self._fail(target, reply, failures.reason, failures.retry_after)

    def _fail(self, target: str, reply: Reply, reason: DeliveryFailure,
              retry_after: float | None) -> None:
        self.attempts.append(Attempt(target, reply.text, self._now(), reason.value))
        raise DeliveryFailed(reason, retry_after=retry_after)

    def _record(self, message: Direct | Posted, target: str) -> str:
        at = self._now()
        self.attempts.append(Attempt(target, message.text, at, "sent"))
        self.sent.append(message)
        self.sent_at.append(at)
        return f"{self.platform.value}-{len(self.sent)}"
