"""What the platform adapters bring when they start, for services built before them.

Services are constructed once, in dependency order, before any adapter has connected; the
adapters fill this registry on start (their messenger, their role manager, how to build a
deep link to the bot). Services hold the registry from construction and ask it at use time,
so nothing is wired by setters after construction.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.model import Platform
from bot.core.ports import Messenger, RoleManager

DeepLink = Callable[[str], str]


class Platforms:
    """The adapters that are up now, and what each of them offers."""

    def __init__(self) -> None:
        self._messengers: dict[Platform, Messenger] = {}
        self._roles: dict[Platform, RoleManager] = {}
        self._deep_links: dict[Platform, DeepLink] = {}

    def add_messenger(self, messenger: Messenger) -> None:
        """Let unsolicited output go out on ``messenger.platform``."""
        self._messengers[messenger.platform] = messenger

    def add_roles(self, roles: RoleManager) -> None:
        """Let role rewards be applied on ``roles.platform``."""
        self._roles[roles.platform] = roles

    def add_deep_link(self, platform: Platform, build: DeepLink) -> None:
        """How to link to the bot with a start payload on ``platform``."""
        self._deep_links[platform] = build

    def messenger(self, platform: Platform) -> Messenger | None:
        """The messenger for ``platform``, if its adapter is up."""
        return self._messengers.get(platform)

    @property
    def messaging(self) -> list[Platform]:
        """Platforms that can be sent to now."""
        return list(self._messengers)

    def roles(self, platform: Platform) -> RoleManager | None:
        """The role manager for ``platform``, if it has one."""
        return self._roles.get(platform)

    @property
    def with_roles(self) -> list[RoleManager]:
        """Every role manager that is up."""
        return list(self._roles.values())

    def deep_link(self, platform: Platform, payload: str) -> str | None:
        """A link opening a chat with the bot carrying ``payload``, where the platform has one."""
        build = self._deep_links.get(platform)
        return build(payload) if build is not None else None
