"""Which Telegram groups are the community, and who administers it.

Only the configured groups are served; updates from other groups are ignored (one log line
per group). Admin rights come only from the community: the creator or an administrator of a
community group (asked with ``getChatMember`` against every community group, also for a
command sent in a DM, and cached briefly), an anonymous administrator posting as a community
group, or a configured user id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import Bot, Chat, ChatMember, Message, User
from telegram.error import TelegramError

from bot.adapters.texts import setup_hint

logger = logging.getLogger(__name__)

SETTING = "COHORT_TELEGRAM__CHAT_IDS"
ADMIN_STATUSES = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR})


class TelegramCommunity:
    """The community's groups and its admin rule."""

    def __init__(self, bot: Bot, chat_ids: Sequence[int], admin_ids: Sequence[int],
                 cache_seconds: float = 60.0) -> None:
        self._bot = bot
        self.chat_ids = frozenset(chat_ids)
        self._admin_ids = frozenset(admin_ids)
        self._cache_seconds = cache_seconds
        self._admins: dict[int, tuple[float, bool]] = {}
        self._reported: set[int] = set()

    @property
    def configured(self) -> bool:
        """Whether any group is the community (else the bot only helps set itself up)."""
        return bool(self.chat_ids)

    def serves(self, chat: Chat) -> bool:
        """Private chats and community groups are served; every other group is ignored."""
        if chat.type == Chat.PRIVATE or chat.id in self.chat_ids:
            return True
        if chat.id not in self._reported:
            self._reported.add(chat.id)
            if self.configured:
                logger.info("telegram: ignoring group %s: it is not in %s", chat.id, SETTING)
        return False

    def log_start(self) -> None:
        """One line at start when no group is configured."""
        if not self.configured:
            logger.warning("telegram: %s is empty, so no group is served; send a command in "
                           "your group as its administrator to learn the group's id", SETTING)

    async def setup_answer(self, chat: Chat, user: User, message: Message) -> str | None:
        """For a group's administrator in an unconfigured bot: the group's id and the setting."""
        if self.configured or chat.type == Chat.PRIVATE:
            return None
        anonymous = message.sender_chat is not None and message.sender_chat.id == chat.id
        if not anonymous and not await self._administers(chat.id, user.id):
            return None
        return setup_hint("group", chat.id, SETTING, "chat_ids in [telegram]")

    async def is_admin(self, chat: Chat, user: User, message: Message | None = None) -> bool:
        """Admin of the community, wherever the command was sent (a served chat)."""
        if user.id in self._admin_ids:
            return True
        if message is not None and message.sender_chat is not None:
            # An anonymous administrator posting as the group itself.
            return message.sender_chat.id == chat.id and chat.id in self.chat_ids
        now = asyncio.get_running_loop().time()
        cached = self._admins.get(user.id)
        if cached is not None and cached[0] > now:
            return cached[1]
        verdict = False
        for chat_id in sorted(self.chat_ids):
            if await self._administers(chat_id, user.id):
                verdict = True
                break
        self._admins[user.id] = (now + self._cache_seconds, verdict)
        return verdict

    async def _administers(self, chat_id: int, user_id: int) -> bool:
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            logger.warning("telegram: could not check %s in chat %s: %s", user_id, chat_id, exc)
            return False
        return member.status in ADMIN_STATUSES
