"""The bot's command menus (setMyCommands), set at start and retried later on failure.

Start-up never waits for them: a 429 on a quick restart or an outage is logged and the
menus are set again later (doubling, at most an hour, or the 429's retry_after) (#12.5).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
)
from telegram.error import RetryAfter, TelegramError

from bot.adapters.telegram import translate
from bot.core.commands import Command

logger = logging.getLogger(__name__)


class CommandMenus:
    """Private chats, groups and group administrators each get their own menu."""

    def __init__(self, bot: Bot, commands: Sequence[Command]) -> None:
        self._bot = bot
        self._commands = commands
        self._task: asyncio.Task[None] | None = None

    async def set(self) -> None:
        """Set the three menus now (raises what the Bot API raises)."""
        commands, bot = self._commands, self._bot
        private = [BotCommand(n, h) for n, h in translate.menu(commands, group=False,
                                                                  admin=False)]
        group = [BotCommand(n, h) for n, h in translate.menu(commands, group=True, admin=False)]
        admins = [BotCommand(n, h) for n, h in translate.menu(commands, group=True, admin=True)]
        await bot.set_my_commands(private, scope=BotCommandScopeDefault())
        await bot.set_my_commands(private, scope=BotCommandScopeAllPrivateChats())
        await bot.set_my_commands(group, scope=BotCommandScopeAllGroupChats())
        await bot.set_my_commands(admins, scope=BotCommandScopeAllChatAdministrators())

    async def set_or_retry(self, backoff: float) -> None:
        """Set the menus; on failure log it and try again later (the caller never waits)."""
        try:
            await self.set()
        except TelegramError as exc:
            wait = (translate.seconds(exc.retry_after) if isinstance(exc, RetryAfter)
                    else backoff)
            logger.warning("telegram: setMyCommands failed (%s); retrying in %.0f s", exc, wait)
            self._task = asyncio.create_task(self._later(wait, min(backoff * 2, 3600)),
                                             name="telegram-menus")

    def cancel(self) -> None:
        """Stop a pending retry (at shutdown)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _later(self, wait: float, backoff: float) -> None:
        await asyncio.sleep(wait)
        await self.set_or_retry(backoff)
