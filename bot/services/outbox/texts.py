"""The outbox's words: the ``/outbox`` report for admins."""

from __future__ import annotations

from bot.services.outbox.messages import OutboxReport


def no_permission(platform: str, place_id: str) -> str:
    """The one notice admins get when the bot may not post where it was told to."""
    where = "channel" if platform == "discord" else "group"
    rights = ("View Channel and Send Messages" if platform == "discord"
              else "the right to send messages")
    return (f"I could not post in the {platform} {where} {place_id}: I am not allowed to. "
            f"Give me {rights} there (or choose another place with /config channel). "
            "I won't retry those posts, and I'll only tell you once.")


def report(outbox: OutboxReport) -> str:
    """Counts, then the next rows to send and the latest ones not delivered."""
    counts = ", ".join(f"{n} {s}" for s, n in sorted(outbox.counts.items())) or "empty"
    lines = [f"Outbox: {counts}"]
    if outbox.pending:
        lines.append("Next to send:")
        lines += [f"  {_what(kind, outbox.about.get(row_id))} at {due:%Y-%m-%d %H:%M} UTC"
                  + (f" (attempt {attempts}, last error: {error})" if error else "")
                  for row_id, kind, due, attempts, error in outbox.pending[:10]]
    if outbox.failed:
        lines.append("Not delivered:")
        lines += [f"  {_what(kind, outbox.about.get(row_id))} {status}: {error or '-'}"
                  for row_id, kind, status, error in outbox.failed[:10]]
    return "\n".join(lines)


def _what(kind: str, about: str | None) -> str:
    """``reminder: #12 Hack night → maya``: the kind and what it is about, never a row id."""
    return f"{kind}: {about}" if about else kind


def not_retryable(row_id: int) -> str:
    """``/outbox retry=`` on a row that did not fail."""
    return f"There is no failed message #{row_id} to send again."


def retried(row_id: int) -> str:
    """After ``/outbox retry=``."""
    return f"Message #{row_id} will be sent again now."
