"""The Telegram adapter (python-telegram-bot): commands, callbacks, DMs."""

from bot.adapters.telegram.adapter import TelegramAdapter, TelegramMessenger, TelegramOptions

__all__ = ["TelegramAdapter", "TelegramMessenger", "TelegramOptions"]
