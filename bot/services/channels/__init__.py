"""Channel roles: which place gets announcements or leaderboard posts on each platform.

Imports ``bot.core`` and ``storage`` only.
"""

from bot.services.channels.service import ChannelRole, ChannelRoles

__all__ = ["ChannelRole", "ChannelRoles"]
