"""Activity: the interaction log and what adapters report besides commands (presence).

Imports ``bot.core``, ``storage`` and the member directory; the rules a reaction or a
voice join triggers arrive as callables, so no other feature is imported.
"""

from bot.services.activity.interactions import InteractionLog
from bot.services.activity.presence import PresenceService, ReactionReceived, VoiceJoined

__all__ = ["InteractionLog", "PresenceService", "ReactionReceived", "VoiceJoined"]
