"""Settings schema; nothing is read until :func:`load_settings` is called."""

from config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
