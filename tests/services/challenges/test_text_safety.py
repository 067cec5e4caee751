"""Untrusted text shown in chat, and how code is taken from a message."""

from __future__ import annotations

import pytest

from bot.core.errors import UserError
from bot.core.model import Attachment
from bot.services.challenges import extract_code, neutralise_block, neutralise_line
from bot.services.challenges.texts import truncate


def test_neutralise_line_defuses_mentions_markup_and_control_characters():
    text = "\x1b[31m@everyone @here <@&42> `x` ```y``` [a](http://b) ||s|| \u202egnp.exe\x07\x00"
    safe = neutralise_line(text)
    assert "@everyone" not in safe and "@here" not in safe and "<@" not in safe
    assert "`" not in safe and "](" not in safe and "||" not in safe
    assert "\x1b" not in safe and "\u202e" not in safe and "\x00" not in safe
    assert "everyone" in safe and "gnp.exe" in safe
    assert len(neutralise_line("x" * 500, 50)) == 50


def test_neutralise_block_keeps_the_last_lines_quoted():
    text = "\n".join(f"# line {n}" for n in range(30))
    safe = neutralise_block(text, max_lines=3)
    assert safe.splitlines() == ["│ … (27 earlier lines)", "│ # line 27", "│ # line 28",
                                 "│ # line 29"]


def test_truncate():
    assert truncate("abc", 10) == "abc"
    assert truncate("a" * 20, 10) == "a" * 9 + "…"


@pytest.mark.parametrize(("text", "expected"), [
    ("```python\nprint(1)\n```", "print(1)\n"),
    ("```\nprint(1)```", "print(1)"),
    # One line: an info string counts only before a newline, so "py" is code here, and the
    # block runs to the last fence (a fence inside a string stays code).
    ("```py print('```')```", "py print('```')"),
    ("```py\nprint('```')\n```", "print('```')\n"),
    ("print(2)", "print(2)"),
])
def test_extract_code_from_text(text: str, expected: str):
    assert extract_code(text, ()) == expected


def test_extract_code_refusals():
    with pytest.raises(UserError, match="code block"):
        extract_code("   ", ())
    with pytest.raises(UserError, match="NUL"):
        extract_code("print(1)\x00", ())
    with pytest.raises(UserError, match="Attach one file"):
        extract_code("", (Attachment("a.py", b"1"), Attachment("b.py", b"2")))
    assert extract_code("", (Attachment("a.py", b"print(3)"),)) == "print(3)"
