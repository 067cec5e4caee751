"""Members: the directory of accounts, profiles, cross-platform linking and privacy.

Imports ``bot.core``, ``storage`` and the activity log; other features reach it only
through the hooks it is built with (merge participants, personal-data parts).
"""

from bot.services.members.data import ProfileData
from bot.services.members.directory import MemberDirectory, to_member
from bot.services.members.linking import (
    DEFAULT_RULES,
    LinkCode,
    LinkResult,
    LinkService,
    MergeHook,
    newer,
    normalise_code,
    stronger_rsvp,
)
from bot.services.members.privacy import EventData, PersonalData, PrivacyService
from bot.services.members.profiles import MAX_INTERESTS, ProfileChange, ProfileService

__all__ = [
    "DEFAULT_RULES", "MAX_INTERESTS", "EventData", "LinkCode", "LinkResult", "LinkService",
    "MemberDirectory", "MergeHook", "PersonalData", "PrivacyService", "ProfileChange",
    "ProfileData", "ProfileService", "newer", "normalise_code", "stronger_rsvp", "to_member",
]
