"""Output comparison: DMOJ's "standard" checker (trailing whitespace is not an error)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LineDifference:
    """First line where the output differs from the expected one (1-based)."""

    line: int
    expected: str
    actual: str


def normalise_lines(text: str) -> list[str]:
    """Lines without trailing whitespace, CRLF folded, trailing blank lines dropped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def decode_output(data: bytes) -> str:
    """Decode program output; invalid UTF-8 becomes U+FFFD instead of an exception."""
    return data.decode("utf-8", errors="replace")


def outputs_match(actual: bytes, expected: str) -> bool:
    """Whether the program's output equals the expected one, ignoring trailing whitespace."""
    return normalise_lines(decode_output(actual)) == normalise_lines(expected)


def first_difference(actual: bytes, expected: str) -> LineDifference | None:
    """The first differing line, for WA feedback on public tests; None when equal."""
    got = normalise_lines(decode_output(actual))
    want = normalise_lines(expected)
    for index in range(max(len(got), len(want))):
        got_line = got[index] if index < len(got) else ""
        want_line = want[index] if index < len(want) else ""
        if index >= len(got) or index >= len(want) or got_line != want_line:
            return LineDifference(line=index + 1, expected=want_line, actual=got_line)
    return None
