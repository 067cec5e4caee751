"""The level curve: how many points each level needs (pure, shared by levels and boards)."""

from __future__ import annotations

from dataclasses import dataclass


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
