"""Points: the ledger, the rules that award, levels, badges, role rewards, boards, the shop.

Imports the core, the outbox, ``config.settings`` and ``storage``; never a platform.
"""

from bot.services.points.data import PointsData
from bot.services.points.levels import Curve
from bot.services.points.rewards import MAX_COST, MAX_NAME, MAX_STOCK, RewardService
from bot.services.points.service import PointsService
from bot.services.points.texts import BADGE_LABELS, BADGES, render_weekly
from bot.services.points.views import (
    Award,
    AwardResult,
    BadgeView,
    Board,
    BoardRow,
    RedemptionView,
    RewardView,
    Standing,
    replace_amount,
)

__all__ = [
    "BADGES",
    "BADGE_LABELS",
    "MAX_COST",
    "MAX_NAME",
    "MAX_STOCK",
    "Award",
    "AwardResult",
    "BadgeView",
    "Board",
    "BoardRow",
    "Curve",
    "PointsData",
    "PointsService",
    "RedemptionView",
    "RewardService",
    "RewardView",
    "Standing",
    "render_weekly",
    "replace_amount",
]
