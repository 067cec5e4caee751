"""Text → typed values: durations, date-times, booleans, choices, integers.

Shared by every adapter, so ``90m`` or ``tomorrow 18:00`` means the same on Discord,
Telegram and the console. Date-times are read in the member's time zone and returned in
UTC; a wall time that does not exist (the hour skipped when clocks go forward) is refused
rather than silently shifted.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.errors import UserError

MAX_DURATION = timedelta(days=366)
MAX_AHEAD = timedelta(days=5 * 366)  # how far from now a date-time may be
# The one bound on every whole number a member types: ids are INTEGER columns, int32 on
# PostgreSQL and int64 on SQLite, so the smaller range serves both databases alike.
MAX_INT = 2**31 - 1
MIN_INT = -MAX_INT
_MAX_DIGITS = 12  # anything longer is too large whatever it says; int() is never asked
_DURATION_RE = re.compile(
    r"^(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?:in)?)?(?:(?P<s>\d+)s)?$"
)
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_TIME_RE = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?(?P<ampm>am|pm)?$")
_DATE_RE = re.compile(r"^(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})$")
_INT_RE = re.compile(r"^[+-]?\d+$")
_ISO_T_RE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})[Tt](\d)")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TRUE = {"on", "yes", "true", "1", "y"}
_FALSE = {"off", "no", "false", "0", "n"}


def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name`` or say clearly that it is unknown."""
    cleaned = name.strip()
    if not cleaned or ".." in cleaned or cleaned.startswith("/"):
        raise UserError(f"Unknown time zone `{name}`. Use an IANA name such as Europe/Berlin.")
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"Unknown time zone `{name}`. Use an IANA name such as Europe/Berlin."
        ) from None


def parse_duration(text: str) -> timedelta:
    """Read ``90m``, ``1h30m``, ``2h``, ``1d``, ``1w``, ``45s``."""
    cleaned = text.strip().lower().replace(" ", "")
    match = _DURATION_RE.match(cleaned)
    if not cleaned or match is None or not any(match.groupdict().values()):
        raise UserError(f"`{text}` is not a duration. Try `90m`, `1h30m` or `2d`.")
    if any(v and len(v.lstrip("0")) > _MAX_DIGITS for v in match.groupdict().values()):
        raise UserError("That duration is too long (at most a year).")
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    # Sum in whole seconds first: timedelta itself overflows on a 20-digit count of weeks.
    seconds = sum(parts[unit] * size for unit, size in _UNIT_SECONDS.items())
    if seconds <= 0:
        raise UserError("A duration must be longer than zero.")
    if seconds > MAX_DURATION.total_seconds():
        raise UserError("That duration is too long (at most a year).")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Write a duration the way :func:`parse_duration` reads it."""
    total = int(delta.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = "".join(
        f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s"))
        if n
    )
    return out or "0m"


def looks_like_time(text: str) -> bool:
    """Whether ``text`` is a clock time such as ``18:00`` or ``6pm``."""
    return _TIME_RE.match(text.strip().lower()) is not None


def _parse_time(text: str) -> time:
    match = _TIME_RE.match(text.strip().lower())
    if match is None:
        raise UserError(f"`{text}` is not a time. Use 24-hour `18:00` or `6pm`.")
    hour = int(match["h"])
    minute = int(match["m"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise UserError(f"`{text}` is not a time.")
        hour = hour % 12 + (12 if match["ampm"] == "pm" else 0)
    elif match["m"] is None:
        raise UserError(f"`{text}` is not a time. Use 24-hour `18:00` or `6pm`.")
    if hour > 23 or minute > 59:
        raise UserError(f"`{text}` is not a time.")
    return time(hour, minute)


def _parse_day(text: str, today: date) -> date:
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    for index, name in enumerate(_WEEKDAYS):
        if word in (name, name[:3]):
            ahead = (index - today.weekday()) % 7 or 7
            return today + timedelta(days=ahead)
    match = _DATE_RE.match(word)
    if match is None:
        raise UserError(
            f"`{text}` is not a date. Use `2026-12-01`, `today`, `tomorrow` or a weekday."
        )
    try:
        return date(int(match["y"]), int(match["mo"]), int(match["d"]))
    except ValueError:
        raise UserError(f"`{text}` is not a real date.") from None


def parse_datetime(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """Read ``2026-12-01 18:00``, ``tomorrow 18:00``, ``fri 6pm``, ``18:00`` or ``in 3h``.

    Returns an aware UTC datetime. A bare time means its next occurrence.
    """
    words = _ISO_T_RE.sub(r"\1 \2", text.strip()).split()
    if len(words) == 2 and words[0].lower() == "in":
        return now + parse_duration(words[1])
    local_now = now.astimezone(tz)
    if len(words) == 1 and looks_like_time(words[0]):
        wall = _parse_time(words[0])
        day = local_now.date()
        if datetime.combine(day, wall) <= local_now.replace(tzinfo=None):
            day += timedelta(days=1)
    elif len(words) == 2:
        day = _parse_day(words[0], local_now.date())
        wall = _parse_time(words[1])
    elif len(words) == 1:
        _parse_day(words[0], local_now.date())
        raise UserError(f"`{text}` needs a time too, e.g. `{words[0]} 18:00`.")
    else:
        raise UserError(f"`{text}` is not a date and time. Try `tomorrow 18:00`.")
    naive = datetime.combine(day, wall)
    local = naive.replace(tzinfo=tz)
    try:
        moment = local.astimezone(UTC)
        # A wall time skipped by a DST jump does not survive the round trip through UTC.
        round_trip = moment.astimezone(tz).replace(tzinfo=None)
    except OverflowError:  # the year 9999 west of Greenwich, the year 1 east of it
        raise UserError(_too_far(text)) from None
    if abs(moment - now) > MAX_AHEAD:  # ends, reminders and calendars must still compute
        raise UserError(_too_far(text))
    if round_trip != naive:
        raise UserError(f"{naive:%Y-%m-%d %H:%M} does not exist in {tz.key} (clocks change).")
    return moment


def _too_far(text: str) -> str:
    return f"`{_clip(text)}` is too far away (at most 5 years from now)."


def parse_bool(text: str) -> bool:
    """Read on/off, yes/no, true/false."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise UserError(f"`{text}` is not on/off.")


def parse_int(text: str, lo: int | None = None, hi: int | None = None) -> int:
    """Read a whole number within bounds (``#12`` reads as 12).

    Without bounds of its own a number still has to fit the database (:data:`MAX_INT`), so
    ``/rsvp 99999999999999999999`` is a wrong answer in words, never a driver overflow.
    """
    cleaned = text.strip().removeprefix("#")
    if not _INT_RE.match(cleaned):
        raise UserError(f"`{_clip(text)}` is not a whole number.")
    if len(cleaned.lstrip("+-").lstrip("0")) > _MAX_DIGITS:
        value = MAX_INT + 1 if not cleaned.startswith("-") else MIN_INT - 1
    else:
        value = int(cleaned)
    lo = MIN_INT if lo is None else max(lo, MIN_INT)
    hi = MAX_INT if hi is None else min(hi, MAX_INT)
    shown = cleaned if len(cleaned) <= 20 else "That number"  # a wall of digits is not echoed
    if value > hi:
        raise UserError(f"{shown} is too large (at most {hi}).")
    if value < lo:
        raise UserError(f"{shown} is too small (at least {lo}).")
    return value


def _clip(text: str, size: int = 40) -> str:
    """Echo a member's text back no longer than ``size`` characters."""
    return text if len(text) <= size else text[:size] + "…"


def parse_choice(text: str, choices: tuple[str, ...]) -> str:
    """Match a choice case-insensitively."""
    word = text.strip().lower()
    for choice in choices:
        if choice.lower() == word:
            return choice
    raise UserError(f"`{text}` is not one of: {', '.join(choices)}.")


def plural(count: int, one: str, many: str) -> str:
    """The word for ``count`` things: ``one`` for exactly 1 (``1 rating``), else ``many``."""
    return one if count == 1 else many


def counted(count: int, one: str, many: str | None = None) -> str:
    """``1 rating``, ``2 ratings``: a count with its noun in the right number."""
    return f"{count} {plural(count, one, many or one + 's')}"


def relative(moment: datetime, now: datetime) -> str:
    """Say ``in 3 days`` / ``2 hours ago`` for a moment relative to now."""
    seconds = (moment - now).total_seconds()
    future = seconds >= 0
    seconds = abs(seconds)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "now"


def split_tags(text: str) -> tuple[str, ...]:
    """``python, #async; Python`` → ("python", "async"): the one reading of a tag list.

    Used for what members type and for tags as stored (comma-joined), so both agree.
    """
    seen: list[str] = []
    for tag in text.replace(";", ",").split(","):
        cleaned = tag.strip().lower().lstrip("#")
        if cleaned and cleaned not in seen:
            seen.append(cleaned)
    return tuple(seen)
