"""``/outbox``: what the bot still has to send, and what it could not."""

from __future__ import annotations

from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.model import Reply
from bot.services.outbox import Outbox, texts


def commands(outbox: Outbox) -> list[Command]:
    """The outbox command (admins)."""

    async def show(ctx: Context) -> Reply:
        row_id = ctx.get("retry", int)
        if row_id is not None:
            await outbox.retry(row_id)
            return Reply(texts.retried(row_id), private=True)
        return Reply(texts.report(await outbox.report()), private=True)

    return [Command("outbox", "Pending and failed outgoing messages", show, admin=True,
                    options=(Option("retry", OptionKind.INTEGER,
                                    "Send this failed message again", keyword=True,
                                    min_value=1),),
                    example="/outbox retry=12")]
