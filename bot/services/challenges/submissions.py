"""How a member's code is taken from a ``/submit`` message: a code block, text or a file."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.errors import UserError
from bot.core.model import Attachment
from bot.services.challenges import texts

MAX_SOURCE_BYTES = 64 * 1024
FENCE = "```"
# An info string (a language tag) is one word alone on the fence's first line.
_INFO = re.compile(r"[ \t]*[A-Za-z0-9_+#.-]*[ \t]*")


def read_fence(text: str) -> str | None:
    """The code inside the first ``` block, read as Discord and Telegram render it.

    ```` ```code``` ```` on one line is all code; an info string (``python``) counts only
    when a newline follows it; the block runs to the message's last fence. None when
    ``text`` has no fence; a UserError when the block is never closed (so nothing is
    stored or counted as an attempt).
    """
    start = text.find(FENCE)
    if start < 0:
        return None
    body_start = start + len(FENCE)
    end = text.rfind(FENCE)  # the last fence closes: code may quote ``` in a string
    if end < body_start:
        raise UserError(texts.fence_unclosed())
    body = text[body_start:end]
    first, newline, rest = body.partition("\n")
    if newline and _INFO.fullmatch(first):
        return rest
    return body


def extract_code(text: str, attachments: Sequence[Attachment]) -> str:
    """The submitted source: the first ``` block, the plain text, or an attached file."""
    inline = text.strip()
    if inline and attachments:
        raise UserError("Send the code either in a code block or as one attached file, not both.")
    if attachments:
        if len(attachments) > 1:
            raise UserError("Attach one file with your code.")
        attachment = attachments[0]
        if attachment.size > MAX_SOURCE_BYTES:
            raise UserError(
                f"Your code is too big ({attachment.size} bytes; the limit is "
                f"{MAX_SOURCE_BYTES // 1024} KiB)."
            )
        try:
            source = attachment.data.decode("utf-8")
        except UnicodeDecodeError:
            raise UserError("The attached file is not UTF-8 text.") from None
    else:
        fenced = read_fence(inline)
        source = inline if fenced is None else fenced
    if "\x00" in source:
        raise UserError("Your code contains a NUL byte.")
    if not source.strip():
        raise UserError("Please send your code in a ``` code block or as an attached file.")
    if len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise UserError(f"Your code is too big (the limit is {MAX_SOURCE_BYTES // 1024} KiB).")
    return source
