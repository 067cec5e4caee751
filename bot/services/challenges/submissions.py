"""How a member's code is taken from a ``/submit`` message: a code block, text or a file."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.errors import UserError
from bot.core.model import Attachment

MAX_SOURCE_BYTES = 64 * 1024
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#.-]*)[ \t]*\n?(.*)```", re.DOTALL)


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
        fenced = _FENCE.search(inline)
        source = fenced[2] if fenced else inline
    if "\x00" in source:
        raise UserError("Your code contains a NUL byte.")
    if not source.strip():
        raise UserError("Please send your code in a ``` code block or as an attached file.")
    if len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise UserError(f"Your code is too big (the limit is {MAX_SOURCE_BYTES // 1024} KiB).")
    return source
