"""Access to the organisers' dashboard: login links, sessions, CSRF, and the web's audit."""

from bot.services.dashboard.service import DashboardAccess, WebSession

__all__ = ["DashboardAccess", "WebSession"]
