"""A small driver that speaks to the real dispatcher as console members would."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from bot.app import App
from bot.core.dispatch import split_command_line
from bot.core.model import Attachment, Incoming, Place, Platform, Reply, UserRef
from storage import Database
from storage.rows.base import Base


class Chat:
    """Say lines as a member, in a channel or a DM, and get the replies."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def say(
        self,
        line: str,
        *,
        who: str = "maya",
        admin: bool = False,
        dm: bool = False,
        channel: str = "general",
        attachments: tuple[Attachment, ...] = (),
        source_id: str | None = None,
    ) -> list[Reply]:
        place = (
            Place(Platform.CONSOLE, f"dm:{who}", f"dm:{who}", is_direct=True)
            if dm else Place(Platform.CONSOLE, channel, channel, False, "demo")
        )
        command = split_command_line(line)
        incoming = Incoming(
            author=UserRef(Platform.CONSOLE, who, who, handle=who),
            place=place,
            text=command[1] if command else line,
            source_id=source_id or uuid.uuid4().hex,
            received_at=self.app.clock.now(),
            command=command[0] if command else None,
            attachments=attachments,
            is_admin=admin,
        )
        return await self.app.dispatcher.handle(incoming)

    async def text(self, line: str, **kwargs: Any) -> str:
        """The replies' texts joined by newlines."""
        return "\n".join(r.text for r in await self.say(line, **kwargs))


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for 'nothing changed' assertions.

    Not the interaction log: every command is logged, accepted or not, and a background
    task writes the log on its own schedule (a slow machine's flush landed between two
    snapshots and failed a test whose command rightly changed nothing).
    """
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name == "interactions":
                continue
            rows = await connection.execute(text(f"SELECT * FROM {table.name} ORDER BY 1"))
            out[table.name] = [tuple(r) for r in rows]
    return out


class Sent:
    """Messages the outbox delivered, recorded as ``(target, text)`` pairs."""

    platform = Platform.CONSOLE

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        self.messages.append((f"dm:{user_id}", reply.text))
        return None

    async def send_place(self, place_id: str, reply: Reply) -> str | None:
        self.messages.append((f"#{place_id}", reply.text))
        return None

    def to(self, target: str) -> list[str]:
        """Texts sent to ``dm:maya`` or ``#general``."""
        return [text for who, text in self.messages if who == target]

    def take(self) -> list[tuple[str, str]]:
        """Everything so far, then forget it."""
        out, self.messages = self.messages, []
        return out
