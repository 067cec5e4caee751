"""Every word the calendar feeds say: command replies, feed names, the unknown-feed page."""

from __future__ import annotations

from datetime import datetime

from bot.core import values

COMMUNITY_NAME = "Cohort community sessions"
UNKNOWN_FEED = ("This calendar link is unknown or was reset. Send /calendar to the bot "
                "for your current link.")


def member_name(display_name: str) -> str:
    """The name a member's calendar app shows for their feed."""
    return f"Cohort: {display_name}'s sessions"


def new_link(url: str) -> str:
    """The reply with a freshly issued feed link."""
    return (f"Your calendar feed: {url}\n"
            "Subscribe to it in your calendar app (\"add calendar from URL\"): it lists the "
            "sessions you are going to, on every platform, and follows changes and "
            "cancellations. Keep it to yourself; /calendar reset gives a new link and turns "
            "this one off.")


def existing_link(created: datetime, timezone: str, now: datetime) -> str:
    """The reply when the member already has a feed (only its hash is kept, not the link)."""
    day = created.astimezone(values.zone(timezone))
    return (f"You already have a calendar feed, issued {values.relative(created, now)} "
            f"({day:%d %b %Y}), and it still works. Cohort keeps "
            "only a fingerprint of the link, so it cannot show it again: if you lost it, "
            "/calendar reset gives a new one and turns the old one off.")


def reset_link(url: str) -> str:
    """The reply to ``/calendar reset``."""
    return ("Your old calendar link no longer works. " + new_link(url))
