"""The durable outbox: everything the bot sends that is not an immediate reply.

Features write :class:`Outgoing` messages inside their own unit of work (so an RSVP and
its reminders commit together or not at all). One sweep claims due rows, delivers them
through the messengers the adapters put in the :class:`~bot.core.platforms.Platforms`
registry at a paced rate, and records each outcome right after its send. A crash between
claim and send loses nothing (claims are released at start); one between a send and its
record can repeat that one message: at-least-once, the window kept to a single row.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.errors import DeliveryFailed, DeliveryFailure, UserError
from bot.core.model import Button, Platform, Reply
from bot.core.platforms import Platforms
from bot.core.ports import CountsRequests, Messenger
from bot.services.outbox import texts
from bot.services.outbox.batch import ClaimedBatch
from bot.services.outbox.messages import (
    OPTIONAL_DMS,
    OutboxKind,
    OutboxReport,
    Outgoing,
    Status,
)
from bot.services.outbox.ratelimit import RateLimiter
from bot.services.outbox.waves import Share, Wave, plan_waves, release_until
from storage import UNAVAILABLE, Database, Unit
from storage.rows.outbox import OutboxRow

logger = logging.getLogger(__name__)
NOT_RUNNING_RECHECK = 2.0  # seconds until a row looks again for a platform still connecting

class Outbox:
    """Writes, sweeps and delivers outbox rows."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        limiter: RateLimiter,
        platforms: Platforms,
        *,
        max_attempts: int = 5,
        batch: int = 100,
        concurrency: int = 8,
        backoff: timedelta = timedelta(seconds=30),
        dm_retry_after: timedelta = timedelta(days=7),
        wave_margin: timedelta = timedelta(seconds=5),
        wave_slack: float = 0.2,
        wave_horizon: timedelta = timedelta(hours=2),
    ) -> None:
        self._db = db
        self._clock = clock
        self._limiter = limiter
        self._platforms = platforms
        self._max_attempts = max_attempts
        self._dm_retry_after = dm_retry_after
        self._batch = batch
        self._concurrency = concurrency
        self._backoff = backoff
        self._wave_margin = wave_margin
        self._wave_slack = wave_slack
        self._wave_horizon = wave_horizon
        self.instance = uuid.uuid4().hex[:12]
        self._sweeping = asyncio.Lock()

    @property
    def platforms(self) -> list[Platform]:
        """Platforms that can be sent to now."""
        return self._platforms.messaging

    async def put(self, unit: Unit, messages: Sequence[Outgoing]) -> int:
        """Write messages in the caller's unit of work; returns how many were new."""
        now = self._clock.now()
        return await unit.outbox.add_many([m.row(now) for m in messages])

    async def recover(self) -> int:
        """Release rows claimed by a sender that died; call when starting to sweep."""
        async with self._db.unit() as unit:
            released = await unit.outbox.release_claims(except_claimer=self.instance)
        if released:
            logger.warning("released %d outbox rows claimed before a restart", released)
        return released

    async def sweep(self) -> int:
        """Deliver every row that is due now; returns how many were handled.

        The next batch is claimed while one goes out, so a paced wave never waits on the
        claim between batches (G7: the wave's length is that of its paced sends).
        """
        async with self._sweeping:
            handled = 0
            rows, batch, released = await self._claim(None)
            while rows:
                sending = asyncio.create_task(self._deliver_all(rows, batch))
                try:
                    upcoming = await self._claim(released)
                except asyncio.CancelledError:
                    sending.cancel()
                    raise
                except BaseException:
                    await asyncio.wait([sending])  # the batch out first, as before
                    raise
                try:
                    await sending
                except BaseException:  # the rows claimed ahead go back now, not at a restart
                    await self._record_late([], [r.id for r in upcoming[0]])
                    raise
                handled += len(rows)
                rows, batch, released = upcoming
            return handled

    async def _claim(self, released: datetime | None
                     ) -> tuple[Sequence[OutboxRow], ClaimedBatch, datetime | None]:
        """Claim the rows due now and the DMs of reminder waves that have started.

        ``released``: the latest wave already started. A wave once started goes on to its
        end: as its rows go out, fewer remain and its computed start moves later, which
        must not pause it.
        """
        async with self._db.unit() as unit:
            now = self._clock.now()
            until = release_until(await self._waves(unit, now), now)
            if released is not None and (until is None or until < released):
                until = released
            early = None if until is None else (OutboxKind.REMINDER.value, until)
            rows = await unit.outbox.claim_due(now, self._batch, self.instance,
                                               early_dms=early)
            return rows, await ClaimedBatch.load(unit, rows), until

    async def next_due(self) -> datetime | None:
        """When the next pending row falls due, or the next reminder wave has to start."""
        async with self._db.unit() as unit:
            due = await unit.outbox.next_due()
            waves = await self._waves(unit, self._clock.now())
        moments = [m for m in (due, *(w.starts_at for w in waves[:1])) if m is not None]
        return min(moments) if moments else None

    async def _waves(self, unit: Unit, now: datetime) -> list[Wave]:
        """Reminder waves ahead within the horizon, each platform's share at its own rate.

        A share's length counts what the platform paces: Discord's requests, a DM to a
        member whose channel is not open yet included (its text's longest stands for all).
        Unpaced platforms (the console) need no head start; with none paced, no waves.
        """
        rates = {platform.value: rate for platform in self._platforms.messaging
                 if (rate := self._limiter.per_second(platform.value))}
        if not rates:
            return []
        found = await unit.outbox.dm_waves(OutboxKind.REMINDER.value, now,
                                           now + self._wave_horizon)
        shares = []
        for due_at, platform, count, text in found:
            messenger = self._platforms.messenger(Platform(platform)) \
                if platform in rates else None
            each = _cost(messenger, Reply(text)) if messenger is not None else 1
            shares.append(Share(due_at, platform, count, count * each))
        return plan_waves(shares, rates, self._wave_margin, self._wave_slack)

    async def sweep_until_idle(self, horizon: timedelta = timedelta(seconds=1)
                               ) -> datetime | None:
        """Sweep, and keep sweeping as rows fall due within ``horizon``; returns the next due.

        The interval job alone would make a reminder up to one interval late; this keeps
        the sender busy while rows fall due close together (a reminder wave) and tells the
        caller when the next one is due, so the scheduler can wake for it (G7).
        """
        while True:
            await self.sweep()
            due = await self.next_due()
            if due is None:
                return None
            wait = (due - self._clock.now()).total_seconds()
            if wait > horizon.total_seconds():
                return due
            await asyncio.sleep(max(wait, 0.0))
            if self._clock.now() < due:  # a clock that only moves when told (tests)
                return due

    async def _deliver_all(self, rows: Sequence[OutboxRow], batch: ClaimedBatch) -> None:
        semaphore = asyncio.Semaphore(self._concurrency)
        sent: list[tuple[int, dict[str, object]]] = []  # delivered, outcome not yet written
        unsent: list[int] = []  # not delivered, and the database refused to say so

        async def one(row: OutboxRow) -> None:
            async with semaphore:
                try:
                    await self._deliver(row, batch, sent)
                except UNAVAILABLE as exc:
                    logger.warning("outbox row %s: outcome not recorded: %s", row.id, exc)
                    unsent.append(row.id)

        # One row's database trouble (SQLite busy past its timeout) must not cancel its
        # siblings mid-send; what could not be written is written once more after the batch.
        async with asyncio.TaskGroup() as group:
            for row in rows:
                group.create_task(one(row))
        if sent or unsent:
            await self._record_late(sent, unsent)

    async def _record_late(self, sent: list[tuple[int, dict[str, object]]],
                           unsent: list[int]) -> None:
        """Write outcomes the database refused during the batch; unsent rows go back."""
        try:
            async with self._db.unit() as unit:
                for row_id, fields in sent:
                    await unit.outbox.finish(row_id, **fields)
                if unsent:
                    await unit.outbox.release(unsent, self.instance)
        except UNAVAILABLE as exc:  # released at the next election (a sent one may repeat)
            logger.warning("%d outbox rows stay claimed until the next start: %s",
                           len(sent) + len(unsent), exc)

    async def _deliver(self, row: OutboxRow, batch: ClaimedBatch,
                       sent: list[tuple[int, dict[str, object]]]) -> None:
        buttons = tuple(Button(label, action) for label, action in json.loads(row.buttons))
        reply = Reply(row.text, buttons=buttons)
        if self._stale(row, batch):
            async with self._db.unit() as unit:
                await unit.outbox.finish(row.id, status=Status.SKIPPED.value,
                                         last_error="the event had already started")
            return
        try:
            if row.member_id is not None:
                outcome = await self._deliver_direct(row, reply, batch)
            else:
                outcome = await self._deliver_post(row, reply)
        except DeliveryFailed as failure:
            await self._retry_or_fail(row, failure)
            return
        except Exception as exc:  # a messenger bug must not lose the row
            logger.exception("outbox row %s: unexpected send error", row.id)
            await self._retry_or_fail(
                row, DeliveryFailed(DeliveryFailure.TRANSIENT), note=type(exc).__name__)
            return
        status, platform, note = outcome
        fields: dict[str, object] = {
            "status": status.value, "sent_platform": platform, "last_error": note,
            "sent_at": self._clock.now() if status is Status.SENT else None}
        try:
            async with self._db.unit() as unit:
                await unit.outbox.finish(row.id, **fields)
        except UNAVAILABLE as exc:  # delivered: never send it again, record it later
            logger.warning("outbox row %s: delivered, outcome not recorded yet: %s", row.id, exc)
            sent.append((row.id, fields))

    def _stale(self, row: OutboxRow, batch: ClaimedBatch) -> bool:
        """A reminder that would arrive after its event started is worse than none."""
        if row.kind != OutboxKind.REMINDER.value or row.event_id is None:
            return False
        starts = batch.event_starts.get(row.event_id)
        return starts is None or starts <= self._clock.now()

    async def _deliver_post(self, row: OutboxRow, reply: Reply) -> tuple[Status, str | None,
                                                                           str | None]:
        platform = Platform(row.platform or "")
        messenger = self._platforms.messenger(platform)
        if messenger is None:
            raise DeliveryFailed(DeliveryFailure.NOT_RUNNING)
        assert row.place_id is not None
        await self._limiter.acquire(platform.value, row.place_id,
                                    _cost(messenger, reply, place_id=row.place_id))
        await messenger.send_place(row.place_id, reply)
        return Status.SENT, platform.value, None

    async def _deliver_direct(self, row: OutboxRow, reply: Reply,
                              batch: ClaimedBatch) -> tuple[Status, str | None, str | None]:
        assert row.member_id is not None
        member = batch.members.get(row.member_id)
        accounts = batch.accounts.get(row.member_id, [])
        if member is None:
            return Status.SKIPPED, None, "member is gone"
        kind = OutboxKind(row.kind)
        if kind in OPTIONAL_DMS and not member.dms:
            return Status.SKIPPED, None, "member turned DMs off"
        if kind is OutboxKind.DIGEST and not member.digests:
            return Status.SKIPPED, None, "member did not opt in to digests"
        reachable = [a for a in accounts
                     if self._platforms.messenger(Platform(a.platform)) is not None]
        # A "DMs closed" mark expires: people open their DMs without telling the bot.
        retry_from = self._clock.now() - self._dm_retry_after
        open_accounts = [a for a in reachable
                         if a.dm_closed_at is None or a.dm_closed_at <= retry_from]
        if not open_accounts:
            if reachable:
                return Status.UNDELIVERABLE, None, "DMs closed"
            raise DeliveryFailed(DeliveryFailure.NOT_RUNNING)
        for account in open_accounts:
            platform = Platform(account.platform)
            messenger = self._platforms.messenger(platform)
            assert messenger is not None
            await self._limiter.acquire(platform.value, f"dm:{account.user_id}",
                                        _cost(messenger, reply, user_id=account.user_id))
            try:
                await messenger.send_direct(account.user_id, reply)
            except DeliveryFailed as failure:
                if failure.retry_after is not None:  # a 429 on a DM holds back its platform
                    self._limiter.pause(platform.value, failure.retry_after)
                if failure.reason is not DeliveryFailure.DM_CLOSED:
                    raise
                async with self._db.unit() as unit:
                    await unit.members.mark_dm_closed(platform.value, account.user_id,
                                                     self._clock.now())
                logger.info("member %s: DMs closed on %s", row.member_id, platform)
                continue
            if account.dm_closed_at is not None:  # an expired mark, and DMs work again
                async with self._db.unit() as unit:
                    await unit.members.mark_dm_open(platform.value, account.user_id)
            return Status.SENT, platform.value, None
        return Status.UNDELIVERABLE, None, "DMs closed"

    async def _retry_or_fail(self, row: OutboxRow, failure: DeliveryFailed,
                             note: str | None = None) -> None:
        reason = note or failure.reason.value
        if failure.retry_after is not None and row.platform:
            self._limiter.pause(row.platform, failure.retry_after)
        async with self._db.unit() as unit:
            if failure.reason is DeliveryFailure.NO_PERMISSION:
                await unit.outbox.finish(row.id, status=Status.UNDELIVERABLE.value,
                                         last_error="no permission to post there")
                await self._tell_admins(unit, row)
            elif failure.reason is DeliveryFailure.UNKNOWN_RECIPIENT:
                await unit.outbox.finish(row.id, status=Status.UNDELIVERABLE.value,
                                         last_error=reason)
            elif failure.retry_after is not None or failure.reason is DeliveryFailure.NOT_RUNNING:
                # A 429 is flow control, and a platform still connecting (the sweep starts
                # before the adapters) no failure either: the attempt is given back, so a
                # storm never fails rows and a restart never puts due ones on a backoff.
                limited = failure.retry_after is not None
                wait = failure.retry_after if limited else NOT_RUNNING_RECHECK
                await unit.outbox.finish(
                    row.id, status=Status.PENDING.value, attempts=row.attempts - 1,
                    due_at=self._clock.now() + timedelta(seconds=wait or 0.0),
                    last_error=f"rate limited ({reason})" if limited else reason,
                    claimed_by=None)
            elif row.attempts >= self._max_attempts:
                await unit.outbox.finish(row.id, status=Status.FAILED.value,
                                         last_error=f"{reason} after {row.attempts} attempts")
            else:
                wait = self._backoff * 2 ** (row.attempts - 1)
                await unit.outbox.finish(row.id, status=Status.PENDING.value,
                                         due_at=self._clock.now() + wait, last_error=reason,
                                         claimed_by=None)

    async def _tell_admins(self, unit: Unit, row: OutboxRow) -> None:
        """Tell the known admins, once per place, that the bot may not post there.

        The admins are the members who ran admin commands (the audit log); the notice's key
        names the place, so a repeat failure there never notifies again, even after a restart.
        """
        platform, place = row.platform or "?", row.place_id or "?"
        admins = await unit.audit.admins()
        notice = texts.no_permission(platform, place)
        now = self._clock.now()
        added = await self.put(unit, [
            Outgoing(f"no-permission:{platform}:{place}:{member_id}", OutboxKind.NOTICE,
                     notice, now, member_id=member_id) for member_id in admins])
        if added or not admins:
            logger.error("outbox: no permission to post in %s %s; %s", platform, place,
                         f"told {added} admin(s)" if admins else "no admin known to tell")

    async def move_place(self, platform: str, old: str, new: str) -> None:
        """A place changed its id (Telegram ChatMigrated): every stored reference follows."""
        async with self._db.unit() as unit:
            changed = await unit.moves.move_place(platform, old, new)
        logger.info("%s place %s moved to %s (%d rows updated)", platform, old, new, changed)

    async def retry(self, row_id: int) -> None:
        """Send a failed or undeliverable message again (an admin fixed the cause)."""
        async with self._db.unit() as unit:
            again = await unit.outbox.requeue(
                row_id, [Status.FAILED.value, Status.UNDELIVERABLE.value], self._clock.now())
        if not again:
            raise UserError(texts.not_retryable(row_id))

    async def report(self) -> OutboxReport:
        """Counts and the next pending and latest failed rows."""
        async with self._db.unit() as unit:
            counts = await unit.outbox.counts()
            pending = await unit.outbox.by_status([Status.PENDING.value, Status.SENDING.value])
            failed = await unit.outbox.by_status([Status.FAILED.value,
                                                  Status.UNDELIVERABLE.value])
            about = {r.id: await self._about(unit, r) for r in [*pending, *failed]}
        return OutboxReport(
            counts=counts,
            pending=[(r.id, r.kind, r.due_at, r.attempts, r.last_error) for r in pending],
            failed=[(r.id, r.kind, r.status, r.last_error) for r in failed],
            about=about,
        )

    @staticmethod
    async def _about(unit: Unit, row: OutboxRow) -> str:
        """What a row is about in words: ``#12 Hack night → maya`` (admins read names)."""
        parts = []
        if row.event_id is not None:
            event = await unit.events.get(row.event_id)
            parts.append(f"#{row.event_id} {event.title}" if event else f"event #{row.event_id}")
        if row.member_id is not None:
            member = await unit.members.get(row.member_id)
            parts.append(f"→ {member.display_name if member else 'a former member'}")
        elif row.place_id is not None:
            parts.append(f"→ channel {row.place_id}")
        return " ".join(parts)


def _cost(messenger: Messenger, reply: Reply, *, user_id: str | None = None,
          place_id: str | None = None) -> int:
    """Pacing slots a send takes: the requests it makes, where its messenger counts them."""
    if isinstance(messenger, CountsRequests):
        return max(1, messenger.requests(reply, user_id=user_id, place_id=place_id))
    return 1
