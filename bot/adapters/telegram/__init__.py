"""The Telegram adapter (python-telegram-bot): commands, callbacks, DMs."""

from bot.adapters.telegram.adapter import TelegramAdapter, TelegramOptions
from bot.adapters.telegram.messaging import TelegramMessenger

__all__ = ["TelegramAdapter", "TelegramMessenger", "TelegramOptions"]
