"""The console adapter: a community simulated on stdin/stdout."""

from bot.adapters.console.adapter import ConsoleAdapter, ConsoleMessenger

__all__ = ["ConsoleAdapter", "ConsoleMessenger"]
