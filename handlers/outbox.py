"""``/outbox``: what the bot still has to send, and what it could not."""

from __future__ import annotations

from bot.core.commands import Command, Context
from bot.core.model import Reply
from bot.services.outbox import Outbox


def commands(outbox: Outbox) -> list[Command]:
    """The outbox command (admins)."""

    async def show(ctx: Context) -> Reply:
        report = await outbox.report()
        counts = ", ".join(f"{n} {s}" for s, n in sorted(report.counts.items())) or "empty"
        lines = [f"Outbox: {counts}"]
        if report.pending:
            lines.append("Next to send:")
            lines += [f"  {row_id} {kind} at {due:%Y-%m-%d %H:%M} UTC"
                      + (f" (attempt {attempts}, last error: {error})" if error else "")
                      for row_id, kind, due, attempts, error in report.pending[:10]]
        if report.failed:
            lines.append("Not delivered:")
            lines += [f"  {row_id} {kind} {status}: {error or '-'}"
                      for row_id, kind, status, error in report.failed[:10]]
        return Reply("\n".join(lines), private=True)

    return [Command("outbox", "Pending and failed outgoing messages", show, admin=True)]
