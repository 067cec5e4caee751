"""Points brought from a spreadsheet or another bot's export (MEE6, Combot …).

An organiser moving a community to Cohort keeps its members' points: `cohort points import`
reads a CSV and appends one ledger row per line through the bulk path (G3), so totals and
boards are right at once. Re-running a file adds nothing (a line's key is the file's digest
and the line number), and a file with any bad line changes nothing: the organiser gets every
bad line's number and what is wrong with it, and fixes the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.errors import UserError
from bot.core.model import Member, Platform, UserRef
from bot.services.points.views import Award

MAX_BYTES = 50 * 1024 * 1024
MAX_POINTS = 1_000_000  # one line's points
MAX_ID = 64
MAX_NAME = 100
MAX_REASON = 200
SHOWN_ERRORS = 10
BATCH = 100_000  # ledger rows per unit: about a second of SQLite's write lock, then others go
REQUIRED = ("platform", "user_id", "points")
OPTIONAL = ("name", "reason", "at")
PLATFORMS = {p.value: p for p in (Platform.DISCORD, Platform.TELEGRAM)}


@dataclass(frozen=True, slots=True)
class ImportLine:
    """One valid line of the file."""

    line: int
    account: UserRef
    points: int
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did."""

    lines: int
    added: int  # ledger rows appended (a re-run adds 0)
    members: int


def parse(data: bytes, now: datetime) -> tuple[str, list[ImportLine]]:
    """The file's digest and its lines; a UserError naming the bad lines if any is bad.

    Columns (header required, any order): ``platform`` (discord or telegram), ``user_id``,
    ``points`` (1 to 1,000,000), and optionally ``name``, ``reason`` and ``at`` (ISO 8601
    with a UTC offset, not in the future; default: now).
    """
    if len(data) > MAX_BYTES:
        raise UserError(f"The file is too large (at most {MAX_BYTES // 1024 // 1024} MB).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"The file is not UTF-8 text (byte {exc.start}).") from None
    if "\x00" in text:
        raise UserError("The file holds NUL characters: is it really a CSV file?")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UserError(f"The header must name {', '.join(REQUIRED)} "
                        f"(missing: {', '.join(missing)}); optional: {', '.join(OPTIONAL)}.")
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        raise UserError(f"Unknown column(s): {', '.join(unknown)}.")
    reader.fieldnames = header
    lines: list[ImportLine] = []
    errors: list[str] = []
    for row in reader:
        number = reader.line_num
        try:
            lines.append(_line(number, row, now))
        except ValueError as exc:
            errors.append(f"line {number}: {exc}")
    if errors:
        more = len(errors) - SHOWN_ERRORS
        raise UserError("Nothing was imported; fix these lines first:\n" + "\n".join(
            errors[:SHOWN_ERRORS]) + (f"\n… and {more} more" if more > 0 else ""))
    if not lines:
        raise UserError("The file has a header but no lines.")
    return hashlib.sha256(data).hexdigest()[:16], lines


def _line(number: int, row: dict[str | None, str | list[str] | None], now: datetime
          ) -> ImportLine:
    if row.get(None):
        raise ValueError("more fields than the header names")

    def cell(name: str) -> str:
        value = row.get(name)
        return value.strip() if isinstance(value, str) else ""

    platform = PLATFORMS.get(cell("platform").lower())
    if platform is None:
        raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}")
    user_id, name, reason = cell("user_id"), cell("name"), cell("reason")
    if not user_id or len(user_id) > MAX_ID or not user_id.isprintable():
        raise ValueError(f"user_id must be the platform's id (1 to {MAX_ID} characters)")
    if platform is Platform.DISCORD and not user_id.isdigit():
        raise ValueError("a Discord user_id is a number (enable Developer Mode, Copy User ID)")
    if len(name) > MAX_NAME or len(reason) > MAX_REASON:
        raise ValueError(f"name is at most {MAX_NAME} and reason {MAX_REASON} characters")
    try:
        points = int(cell("points"))
    except ValueError:
        raise ValueError("points must be a whole number") from None
    if not 1 <= points <= MAX_POINTS:
        raise ValueError(f"points must be from 1 to {MAX_POINTS:,}")
    at = now
    if cell("at"):
        try:
            at = datetime.fromisoformat(cell("at"))
        except ValueError:
            raise ValueError("at must be a date and time such as 2026-05-01T18:00+00:00"
                             ) from None
        if at.tzinfo is None:
            raise ValueError("at needs a UTC offset, such as 2026-05-01T18:00+00:00")
        if at > now:
            raise ValueError("at is in the future")
    account = UserRef(platform, user_id, name or f"{platform.value} {user_id}")
    return ImportLine(number, account, points, reason or "imported points", at)


async def run(data: bytes, now: datetime, identify: Callable[[UserRef], Awaitable[Member]],
              award_batches: Callable[[Iterable[Sequence[Award]]], Awaitable[int]]
              ) -> ImportReport:
    """Parse, find or create each account's member, and append the awards in batches."""
    digest, lines = parse(data, now)
    members: dict[str, int] = {}  # account key ("discord:1234") -> member id
    for line in lines:
        if line.account.key not in members:
            members[line.account.key] = (await identify(line.account)).member_id
    awards = [Award(members[x.account.key], x.points, "import", x.reason,
                    f"import:{digest}:{x.line}", x.at) for x in lines]
    added = await award_batches(awards[start:start + BATCH]
                                for start in range(0, len(awards), BATCH))
    return ImportReport(len(lines), added, len(members))
