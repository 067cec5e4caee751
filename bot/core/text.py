"""Splitting long replies into the messages a platform accepts."""

from __future__ import annotations

CUT_MARK = "\n… (cut: too long for one reply)"
MAX_PARTS = 5  # a reply longer than this many messages is cut, not spammed


def split_text(text: str, limit: int, *, empty: str, max_parts: int = MAX_PARTS) -> list[str]:
    """Split at line breaks (or hard, for a long line) into at most ``max_parts`` messages.

    ``empty`` stands in for an empty text, which every platform refuses.
    """
    rest = text or empty
    parts: list[str] = []
    while rest:
        if len(rest) <= limit:
            parts.append(rest)
            break
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if len(parts) > max_parts:
        parts = parts[:max_parts]
        parts[-1] = parts[-1][: limit - len(CUT_MARK)] + CUT_MARK
    return parts
