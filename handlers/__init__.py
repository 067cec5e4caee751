"""Command declarations and thin handlers, one module per feature.

:func:`all_commands` is the explicit list of everything the bot can do (no decorator
registry): reading it tells you the whole command surface.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.commands import Command
from bot.core.dispatch import Listener
from bot.services.privacy import PrivacyService
from bot.services.profiles import ProfileService
from handlers import help as help_
from handlers import privacy, profile


@dataclass(frozen=True, slots=True)
class Features:
    """The services handlers may use."""

    profiles: ProfileService
    privacy: PrivacyService


def all_commands(features: Features, catalog: help_.Catalog) -> list[Command]:
    """Every command, in the order help lists them."""
    return [
        *help_.commands(catalog),
        *profile.commands(features.profiles),
        *privacy.commands(features.privacy),
    ]


def all_listeners(features: Features) -> Sequence[Listener]:
    """Everything that reacts to plain chat messages."""
    del features
    return []
