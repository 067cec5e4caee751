"""Role rewards: level moves and approved rewards queue role tasks; a sweep applies them.

Tasks are queued in the awarding unit of work and applied after the commit through the
role managers the adapters put in the :class:`~bot.core.platforms.Platforms` registry, so
a slow or failing platform call never holds (or rolls back) an award.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from bot.core.errors import BotError, UserError
from bot.core.model import Platform
from bot.core.platforms import Platforms
from bot.core.ports import RoleManager
from config.settings import PointsSettings
from storage import Database, Unit

logger = logging.getLogger(__name__)

MAX_ROLE_ATTEMPTS = 5


async def plan_roles(unit: Unit, rules: PointsSettings, member_id: int, old: int, new: int,
                     now: datetime) -> None:
    """Queue role changes for a level move (add, or replace the previous one)."""
    roles = rules.level_roles
    if not roles:
        return

    def held(level: int) -> set[str]:
        earned = sorted(lv for lv in roles if lv <= level)
        if not earned:
            return set()
        if rules.role_mode == "replace":
            return {roles[earned[-1]]}
        return {roles[lv] for lv in earned}

    before, after = held(old), held(new)
    reason = f"level {new}"
    for role in sorted(before - after):
        await unit.points.add_role_task(member_id, role, False, reason, now)
    for role in sorted(after - before):
        await unit.points.add_role_task(member_id, role, True, reason, now)


class RoleSync:
    """Applies queued role tasks on the platforms that grant role rewards.

    ``communities`` maps each such platform to the community whose roles change there, or
    to None for every community the bot has seen a place in.
    """

    def __init__(self, db: Database, platforms: Platforms,
                 communities: Mapping[Platform, str | None]) -> None:
        self._db = db
        self._platforms = platforms
        self._communities = dict(communities)

    @property
    def platforms(self) -> frozenset[Platform]:
        """The platforms where role rewards are granted."""
        return frozenset(self._communities)

    async def sync(self, limit: int = 100) -> int:
        """Apply queued role changes through the role managers; returns tasks finished."""
        managers = [m for m in self._platforms.with_roles if m.platform in self._communities]
        if not managers:
            return 0
        async with self._db.unit() as unit:
            tasks = await unit.points.pending_role_tasks(limit)
            for task in tasks:  # claim: a crash mid-call costs an attempt, not a loop
                task.attempts += 1
            plans = []
            for task in tasks:
                accounts = {m.platform: await unit.points.accounts(task.member_id,
                                                                   m.platform.value)
                            for m in managers}
                plans.append((task.id, task.role, task.grant, task.reason, task.attempts,
                              accounts))
            places: dict[Platform, list[str]] = {}
            for manager in managers:
                community = self._communities[manager.platform]
                places[manager.platform] = ([community] if community else
                                            await unit.points.communities(
                                                manager.platform.value))
        done = 0
        for task_id, role, grant, reason, attempts, accounts in plans:
            reachable = [(m, places[m.platform], accounts[m.platform]) for m in managers
                         if places[m.platform] and accounts[m.platform]]
            outcome: dict[str, object] = {"status": "done", "last_error": None}
            if not reachable:
                outcome = {"status": "skipped",
                           "last_error": "no account or community to apply it in"}
            else:
                try:
                    for manager, communities, users in reachable:
                        await _apply(manager, communities, users, role, grant, reason)
                except UserError as exc:  # unknown role or member, or not permitted
                    outcome = {"status": "failed", "last_error": str(exc)[:300]}
                except BotError as exc:  # a transient delivery failure: try again later
                    final = attempts >= MAX_ROLE_ATTEMPTS
                    outcome = {"status": "failed" if final else "pending",
                               "last_error": str(exc)[:300]}
            if outcome["status"] != "pending":
                done += 1
            async with self._db.unit() as unit:
                await unit.points.finish_role_task(task_id, **outcome)
            if outcome["status"] == "failed":
                logger.warning("role task %s failed: %s", task_id, outcome["last_error"])
        return done


async def _apply(manager: RoleManager, communities: list[str], users: list[str], role: str,
                 grant: bool, reason: str) -> None:
    for community in communities:
        for user_id in users:
            if grant:
                await manager.grant_role(community, user_id, role, reason=reason)
            else:
                await manager.remove_role(community, user_id, role, reason=reason)
