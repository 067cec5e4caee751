"""Level role rewards on the Discord emulator: granted, replaced, removed when points drop."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.model import Platform
from config.settings import Settings
from tests.emulators.discord_api import RoleChange
from tests.services.points.conftest import member, points_settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return points_settings(database_url, tmp_path)


async def test_level_roles_follow_points_up_and_down(app, discord_bot, discord_world):
    emu, world = discord_world.emu, discord_world
    regular = emu.add_role(world.guild, "regular")
    veteran = emu.add_role(world.guild, "veteran")
    points = app.features.points
    app.platforms.add_roles(discord_bot.roles)
    async with app.db.unit() as unit:  # the bot has seen a channel of this guild
        await unit.places.ensure("discord", str(world.general.id), "general", False,
                                 str(world.guild.id))
    admin = await member(app, "admin")
    maya = await member(app, str(world.maya.id), Platform.DISCORD)
    mark = len(emu.role_changes)

    def changes() -> list[tuple[int, bool]]:
        return [(c.role_id, c.added) for c in emu.role_changes[mark:]
                if isinstance(c, RoleChange) and c.user_id == world.maya.id]

    await points.give(admin, maya, 100, "level 1", "r1")
    assert changes() == [(regular.id, True)]
    await points.give(admin, maya, 155, "level 2", "r2")  # replace mode: swap roles
    assert changes()[1:] == [(regular.id, False), (veteran.id, True)]
    await points.take(admin, maya, 200, "correction", "r3")  # back to level 0
    assert changes()[3:] == [(veteran.id, False)]
    assert await points.sync_roles() == 0  # nothing left queued
