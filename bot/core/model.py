"""The neutral vocabulary every adapter translates to and every handler speaks.

Nothing here knows a platform: adapters fill these values in, handlers read them.
The set is kept to what Discord, Telegram and the console can all fill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Platform(StrEnum):
    """Where a person or a place lives."""

    DISCORD = "discord"
    TELEGRAM = "telegram"
    CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class UserRef:
    """A person as one platform knows them (platform ids are always text)."""

    platform: Platform
    user_id: str
    display_name: str
    handle: str | None = None

    @property
    def key(self) -> str:
        """A stable text key such as ``discord:1234``."""
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class Place:
    """Where something was said: a channel, a group or a DM."""

    platform: Platform
    place_id: str
    name: str
    is_direct: bool
    community_id: str | None = None


@dataclass(frozen=True, slots=True)
class Member:
    """One person in Cohort, possibly linked across platforms."""

    member_id: int
    display_name: str
    timezone: str = "UTC"
    interests: str = ""
    dms: bool = True
    digests: bool = False
    keep_text: bool = True
    reminders: str | None = None
    quiet_hours: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a member attached to a command or message."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)


@dataclass(frozen=True, slots=True)
class Incoming:
    """A command or chat message, whatever platform it came from.

    ``text`` is the raw text after the command name for text platforms; platforms with
    typed options (Discord) pass them in ``options`` and leave ``text`` empty.
    """

    author: UserRef
    place: Place
    text: str
    source_id: str
    received_at: datetime
    command: str | None = None
    options: dict[str, object] | None = None
    attachments: tuple[Attachment, ...] = ()
    is_admin: bool = False
    roles: tuple[str, ...] = ()
    via_button: bool = False  # a button press on a bot post (that post may be updated)
    text_hidden: bool = False  # the platform withheld the text (no Message Content intent)
    post_text: str | None = None  # that post's text as shown, for an update that keeps it

    @property
    def is_command(self) -> bool:
        """True for commands, False for chat messages."""
        return self.command is not None


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button; ``action`` comes back to the bot as a command line."""

    label: str
    action: str


@dataclass(frozen=True, slots=True)
class FileOut:
    """A file the bot sends (an export, an .ics, a chart)."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says back: plain text, optionally a file and buttons.

    Adapters escape and split the text to the platform's limits; handlers never format
    for a platform. ``update_post`` (only for button presses) is the new text of the post
    the button sits on, e.g. an announcement with its fresh RSVP count. ``private``: only
    the asker may see it (ephemeral on Discord, a DM from a Telegram group). ``feedback``
    marks a private reply that is only about the command itself (an error, a usage line):
    where it cannot be hidden, it may stay where the command was said.
    """

    text: str
    private: bool = False
    feedback: bool = False
    file: FileOut | None = None
    buttons: tuple[Button, ...] = field(default=())
    update_post: str | None = None
