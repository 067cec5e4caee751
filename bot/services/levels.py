"""Pure rules of the points feature: periods, the level curve, message fingerprints.

No I/O here, so each rule is tested on its own and reused by the service and the card.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SIGNATURE_SIZE = 16
SHINGLE = 4
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Curve:
    """Points needed to go from level L to L+1: ``a·L² + b·L + c`` (default 5L²+50L+100)."""

    a: int = 5
    b: int = 50
    c: int = 100

    def step(self, level: int) -> int:
        """Points from ``level`` to ``level + 1``."""
        return self.a * level * level + self.b * level + self.c

    def floor(self, level: int) -> int:
        """Total points at which ``level`` is reached."""
        return sum(self.step(n) for n in range(level))

    def level(self, points: int) -> int:
        """The level a total of ``points`` gives (never below 0)."""
        level, needed = 0, self.step(0)
        remaining = points
        while remaining >= needed and needed > 0:
            remaining -= needed
            level += 1
            needed = self.step(level)
        return level

    def progress(self, points: int) -> tuple[int, int, int]:
        """(level, points into it, points the level needs in all)."""
        level = self.level(points)
        return level, max(points, 0) - self.floor(level), self.step(level)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of ``moment`` in the community's zone."""
    return moment.astimezone(zone).date()


def week_key(moment: datetime, zone: ZoneInfo) -> str:
    """``w:2026-11-23``: the Monday that starts the local week of ``moment``."""
    day = local_day(moment, zone)
    return f"w:{day - timedelta(days=day.weekday())}"


def month_key(moment: datetime, zone: ZoneInfo) -> str:
    """``m:2026-11``: the local month of ``moment``."""
    day = local_day(moment, zone)
    return f"m:{day:%Y-%m}"


def previous_week_key(key: str) -> str:
    """The week before ``w:…``."""
    monday = date.fromisoformat(key[2:])
    return f"w:{monday - timedelta(days=7)}"


def normalise(text: str) -> str:
    """Lower-case, accents and punctuation folded away, whitespace collapsed."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", folded).split())


def fingerprint(text: str) -> list[int]:
    """A MinHash signature of the normalised text's character shingles.

    Only the signature is stored (never the text); two messages' Jaccard similarity is the
    share of equal positions. One BLAKE2 digest per shingle gives all positions, and it is
    stable across processes (``hash()`` is salted).
    """
    norm = normalise(text)
    if len(norm) < SHINGLE:
        shingles = {norm}
    else:
        shingles = {norm[i:i + SHINGLE] for i in range(len(norm) - SHINGLE + 1)}
    mins = [2**32] * SIGNATURE_SIZE
    for shingle in shingles:
        digest = hashlib.blake2b(shingle.encode(), digest_size=4 * SIGNATURE_SIZE).digest()
        for i in range(SIGNATURE_SIZE):
            value = int.from_bytes(digest[4 * i:4 * i + 4], "little")
            if value < mins[i]:
                mins[i] = value
    return mins


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of two signatures."""
    if len(a) != len(b) or not a:
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)
