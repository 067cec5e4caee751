"""The members feature's words: profiles, link codes, ``/mydata`` and ``/forgetme``."""

from __future__ import annotations

from bot.core.model import Member, Platform
from bot.services.members.linking import LinkCode, LinkResult


def profile(member: Member) -> str:
    """A member's profile as ``/profile`` shows it."""
    return "\n".join([
        f"Profile of {member.display_name}",
        f"Interests: {member.interests or '(none yet — set them to get recommendations)'}",
        f"Time zone: {member.timezone}",
        f"DMs (reminders, feedback): {'on' if member.dms else 'off'}",
        f"Weekly digest: {'on' if member.digests else 'off'}",
        f"Reminders: {member.reminders or 'event defaults'}"
        + (f" · quiet hours {member.quiet_hours}" if member.quiet_hours else ""),
    ])


def profile_updated(member: Member) -> str:
    """The answer to a ``/profile`` change."""
    return "Profile updated.\n" + profile(member)


def link_code(issued: LinkCode, platform: Platform) -> str:
    """A fresh link code, with the Telegram deep link when asked for elsewhere."""
    lines = [
        f"Your link code is {issued.code} (valid for 10 minutes).",
        f"On your other account (Discord or Telegram), send: /link {issued.code}",
    ]
    if issued.deep_link and platform is not Platform.TELEGRAM:
        lines.append(f"Or open this on Telegram: {issued.deep_link}")
    lines.append("Your points, RSVPs and profile will then be one.")
    return "\n".join(lines)


def linked(result: LinkResult) -> str:
    """Two accounts are one member now."""
    platforms = " and ".join(p.capitalize() for p in result.platforms)
    return (f"Linked! Your {platforms} accounts are now one member, "
            f"{result.member.display_name}. Send /unlink to separate them.")


def unlinked(platform: Platform) -> str:
    """One account left its member."""
    return (f"Unlinked. This {platform.value.capitalize()} account is on its own again; "
            "your history stays with your other account.")


MYDATA = "Here is everything I store about you."
FORGET_CONFIRM = (
    "This deletes your profile, your activity history and any stored messages; "
    "points you earned stay in the totals anonymously. "
    "Send /forgetme confirm to go ahead."
)
FORGOTTEN = "Done. I have forgotten you. Goodbye, and welcome back any time."


def export_name(member: Member) -> str:
    """The file name of a member's ``/mydata`` export."""
    return f"cohort-data-{member.member_id}.json"
