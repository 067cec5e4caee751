"""The interaction log: every message, command, reaction … as a row.

Recording only appends to a buffer (no commit on the chat hot path, PERFORMANCE.md G2);
a background task writes batches every ``flush_seconds`` or ``batch_size`` rows in one
transaction, ignoring redelivered ``source_key``s. Closing the log flushes what is left.
Buffered rows are plain tuples in the order ``InteractionRepo.add_tuples`` takes (member_id,
platform, place_id, kind, name, created_at, source_key): a dict per row cost more than the
database's own work (G1).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from bot.core.clock import Clock
from bot.core.model import Incoming, Member
from bot.core.ports import InteractionKind
from storage import Database, Rejected

logger = logging.getLogger(__name__)


class InteractionLog:
    """Buffers interactions and writes them in batches."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        store_text: bool = False,
        flush_seconds: float = 1.0,
        batch_size: int = 1000,
    ) -> None:
        self._db = db
        self._clock = clock
        self._store_text = store_text
        self._flush_seconds = flush_seconds
        self._batch_size = batch_size
        self._rows: list[tuple[Any, ...]] = []
        self._texts: list[dict[str, Any]] = []
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._full = asyncio.Event()
        self._forgotten: set[int] = set()

    def record(
        self, member: Member, incoming: Incoming, kind: InteractionKind, name: str | None
    ) -> None:
        """Queue one interaction (never blocks, never commits)."""
        source_key = f"{incoming.author.platform}:{kind}:{incoming.source_id}"
        self.record_raw(
            member_id=member.member_id,
            platform=incoming.author.platform.value,
            place_id=incoming.place.place_id,
            kind=kind,
            name=name,
            source_key=source_key,
        )
        if (
            kind is InteractionKind.MESSAGE
            and member.member_id not in self._forgotten
            and self._store_text
            and member.keep_text
            and incoming.text
        ):
            self._texts.append({
                "member_id": member.member_id,
                "source_key": source_key,
                "text": incoming.text[:4000],
                "created_at": incoming.received_at,
            })

    def record_raw(
        self,
        *,
        member_id: int,
        platform: str,
        place_id: str,
        kind: InteractionKind,
        name: str | None,
        source_key: str,
    ) -> None:
        """Queue an interaction that did not come through the dispatcher (RSVPs, voice)."""
        if member_id in self._forgotten:
            return
        self._rows.append((member_id, platform, place_id, kind._value_, name,
                           self._clock.now(), source_key))
        if len(self._rows) >= self._batch_size:
            self._full.set()

    async def audit(self, member: Member, incoming: Incoming, command: str,
                    args: Mapping[str, object]) -> None:
        """Store an admin action now (audits are not batched: they must not be lost)."""
        payload = json.dumps({k: _jsonable(v) for k, v in args.items()}, sort_keys=True)
        async with self._db.unit() as unit:
            await unit.audit.add(member.member_id, command, payload, self._clock.now(),
                                 platform=incoming.place.platform.value,
                                 place_id=incoming.place.place_id)

    async def flush(self) -> int:
        """Write everything buffered; returns how many new interactions were stored."""
        async with self._lock:
            rows, self._rows = self._rows, []
            texts, self._texts = self._texts, []
            self._full.clear()
            if not rows and not texts:
                return 0
            try:
                async with self._db.unit() as unit:
                    added = await unit.interactions.add_tuples(rows)
                    await unit.texts.add_many(texts)
            except Rejected:
                # Not a duplicate (those are ignored): a row no retry can fix. Drop the batch
                # rather than wedge the log.
                logger.exception("dropping %d interactions that cannot be stored", len(rows))
                return 0
            except Exception:
                # Put them back so a passing database hiccup loses nothing.
                self._rows[:0] = rows
                self._texts[:0] = texts
                raise
            return added

    def drop_member(self, member_id: int) -> None:
        """Discard a forgotten member's buffered rows and ignore any that still arrive."""
        self._forgotten.add(member_id)
        self._rows = [r for r in self._rows if r[0] != member_id]
        self._texts = [t for t in self._texts if t["member_id"] != member_id]

    @property
    def pending(self) -> int:
        """Rows waiting to be written."""
        return len(self._rows)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self._flush_seconds)
            try:
                await self.flush()
            except Exception:
                logger.exception("interaction flush failed; will retry")

    async def __aenter__(self) -> InteractionLog:
        self._task = asyncio.create_task(self._run(), name="interaction-log")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()


def _jsonable(value: object) -> object:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Member):
        return {"member_id": value.member_id}
    return str(value)
