"""``/outbox``: what the bot still has to send, and what it could not."""

from __future__ import annotations

from bot.core.commands import Command, Context
from bot.core.model import Reply
from bot.services.outbox import Outbox, texts


def commands(outbox: Outbox) -> list[Command]:
    """The outbox command (admins)."""

    async def show(ctx: Context) -> Reply:
        return Reply(texts.report(await outbox.report()), private=True)

    return [Command("outbox", "Pending and failed outgoing messages", show, admin=True)]
