"""The channel roles' words (``/config channel`` and ``/config channels``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.model import Platform
from bot.services.channels.service import ChannelRole


def assigned(role: ChannelRole, platform: Platform) -> str:
    """The answer to ``/config channel``."""
    return f"This channel now gets the {role.value} posts on {platform.value.capitalize()}."


def configured(places: Mapping[ChannelRole, Sequence[tuple[Platform, str]]]) -> str:
    """Every role with the places playing it."""
    lines = ["Configured channels:"]
    for role, where in places.items():
        shown = ", ".join(f"{p.value.capitalize()} {place}" for p, place in where)
        lines.append(f"{role.value}: {shown or '(none; run /config channel here)'}")
    return "\n".join(lines)
