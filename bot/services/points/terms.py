"""The rules in force and what follows from them, shared by every part of the feature.

One object, so the parts never disagree on the zone or the curve, and a running app whose
rules are replaced (tests retune them) sees the change everywhere at once.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core import values
from bot.services.points.curve import Curve
from config.settings import PointsSettings


class Terms:
    """The points settings, the community's zone and the level curve."""

    rules: PointsSettings
    timezone: str
    zone: ZoneInfo
    curve: Curve

    def __init__(self, rules: PointsSettings, default_timezone: str = "UTC") -> None:
        self._default_timezone = default_timezone
        self.use(rules)

    def use(self, rules: PointsSettings) -> None:
        """Put ``rules`` in force; a bad zone or message range fails here (at start-up)."""
        if rules.message_min > rules.message_max:
            raise ValueError("points: message_min is above message_max")
        self.timezone = rules.timezone or self._default_timezone
        self.zone = values.zone(self.timezone)
        self.curve = Curve(rules.level_a, rules.level_b, rules.level_c)
        self.rules = rules
