"""What ``/dashboard`` and the dashboard's access checks say."""

from __future__ import annotations

LINK_MINUTES = 10


def login_link(url: str) -> str:
    """The private reply with a fresh link."""
    return (f"Your dashboard link (single use, valid {LINK_MINUTES} minutes):\n{url}\n"
            "Do not share it: whoever opens it first is logged in as you.")


def rate_limited(per_hour: int) -> str:
    """Too many links asked for."""
    return (f"You asked for {per_hour} dashboard links in the last hour. "
            "Use the latest one, or try again later.")


def logged_out(count: int) -> str:
    """After ``/dashboard logout-all``."""
    if count == 0:
        return "No one was logged in to the dashboard."
    return f"Logged out {count} dashboard session{'s' if count != 1 else ''}."


BAD_LINK = ("This login link has expired or was already used. "
            "Ask the bot for a new one with /dashboard.")
LOGIN_NEEDED = "Please log in first: send /dashboard to the bot and open the link it gives you."
ADMINS_ONLY = "This page is for the community's admins."
BAD_CSRF = ("This form is out of date or did not come from the dashboard. "
            "Reload the page and try again.")
NOT_FOUND = "There is no such page."


def satisfaction(ratings: list[int], days: int | str) -> str:
    """The overview's satisfaction line (the mean of the ratings members gave).

    ``days``: the period's length, or a chosen range's words (``from … to …``).
    """
    period = f"in the last {days} days" if isinstance(days, int) else days
    if not ratings:
        return f"Satisfaction: no ratings {period}."
    return (f"Satisfaction: {sum(ratings) / len(ratings):.2f}/5 from {len(ratings)} "
            f"rating{'s' if len(ratings) != 1 else ''} {period}.")


BAD_DATE = "Dates must be written like 2026-10-31 (year-month-day)."
TO_WITHOUT_FROM = "Give a start date (From) as well as the end date (To)."


def bad_days(most: int) -> str:
    """A period that is not a whole number of days in range."""
    return f"The period must be a whole number of days from 1 to {most}."
