"""What ``/audit`` says."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.services.audit.service import AuditEntry

EMPTY = "No admin command has been run yet."
HEADER = "Latest admin commands (newest first):"


def entries(found: Sequence[AuditEntry], timezone: ZoneInfo) -> str:
    """One line per action: when, who, the command and its arguments, where."""
    if not found:
        return EMPTY
    lines = [HEADER]
    for entry in found:
        args = " ".join(f"{k}={v}" for k, v in sorted(entry.args.items()))
        where = f" ({entry.platform} {entry.place_id})" if entry.platform else ""
        at = entry.at.astimezone(timezone).strftime("%Y-%m-%d %H:%M")
        lines.append(f"#{entry.entry_id} {at} {entry.who}: /{entry.command}"
                     f"{' ' + args if args else ''}{where}")
    return "\n".join(lines)
