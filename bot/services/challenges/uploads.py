"""Tests files an admin attaches: a JSON list or a zip of N.in/N.out pairs, size-capped.

Nothing is trusted from the upload: names are neutralised before they are echoed, a zip's
declared sizes are re-checked while reading, and every refusal names the entry at fault.
"""

from __future__ import annotations

import io
import json
import re
import stat
import zipfile
from collections.abc import Sequence

from bot.core import values
from bot.core.errors import UserError
from bot.core.model import Attachment
from bot.sandbox.limits import MIB
from bot.services.challenges.judging import neutralise_line

MAX_TESTS = 50
MAX_TEST_FIELD_BYTES = 1 * MIB
MAX_TESTS_TOTAL_BYTES = 8 * MIB
MAX_ZIP_ENTRIES = 2 * MAX_TESTS
_ZIP_NAME = re.compile(r"^(\d{1,3})\.(in|out)$")
# PostgreSQL refuses NUL in text and no database can encode a lone surrogate (a JSON
# "\ud800" escape): refused here so SQLite and PostgreSQL answer the same.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def parse_tests_file(attachment: Attachment) -> list[tuple[str, str, bool]]:
    """Read ``(input, output, public)`` tests from a JSON list or a zip of N.in/N.out pairs.

    Every problem is refused with a message naming the entry; nothing is trusted from a
    zip's headers (sizes are re-checked while reading, so a zip bomb stops at the cap).
    """
    data = attachment.data
    name = attachment.filename.lower()
    if data.startswith(b"PK\x03\x04") or name.endswith(".zip"):
        return _parse_zip(attachment.filename, data)
    if name.endswith(".json") or data.lstrip()[:1] == b"[":
        return _parse_json(attachment.filename, data)
    raise UserError(
        f"`{_safe_name(attachment.filename)}` is not a tests file: attach a .json list of "
        '{"input", "output", "public"} objects or a .zip of 1.in/1.out pairs.'
    )


def _safe_name(name: str) -> str:
    return neutralise_line(name, 80)


def _parse_json(filename: str, data: bytes) -> list[tuple[str, str, bool]]:
    shown = _safe_name(filename)
    if len(data) > MAX_TESTS_TOTAL_BYTES:
        raise UserError(f"`{shown}` is too big (at most {MAX_TESTS_TOTAL_BYTES // MIB} MiB).")
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise UserError(f"`{shown}` is not UTF-8 text.") from None
    except ValueError as error:
        raise UserError(f"`{shown}` is not valid JSON: {neutralise_line(str(error), 120)}."
                        ) from None
    if not isinstance(document, list) or not document:
        raise UserError(f"`{shown}` must be a non-empty JSON list of tests.")
    if len(document) > MAX_TESTS:
        raise UserError(f"`{shown}` has {len(document)} tests; at most {MAX_TESTS}.")
    tests: list[tuple[str, str, bool]] = []
    for number, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            raise UserError(f"`{shown}`: test {number} is not an object.")
        unknown = set(item) - {"input", "output", "public"}
        if unknown:
            field_name = neutralise_line(sorted(map(str, unknown))[0], 40)
            raise UserError(f"`{shown}`: test {number} has an unknown field `{field_name}`.")
        given, expected, public = item.get("input"), item.get("output"), item.get("public", False)
        if not isinstance(given, str) or not isinstance(expected, str):
            raise UserError(f"`{shown}`: test {number} needs text `input` and `output`.")
        if not isinstance(public, bool):
            raise UserError(f"`{shown}`: test {number}: `public` must be true or false.")
        tests.append((given, expected, public))
    _check_tests(shown, tests)
    return tests


def _parse_zip(filename: str, data: bytes) -> list[tuple[str, str, bool]]:
    shown = _safe_name(filename)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UserError(f"`{shown}` is not a valid zip file.") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise UserError(f"`{shown}` has {len(entries)} entries; at most {MAX_ZIP_ENTRIES}.")
        declared = sum(entry.file_size for entry in entries)
        if declared > MAX_TESTS_TOTAL_BYTES:
            raise UserError(f"`{shown}` unpacks to more than {MAX_TESTS_TOTAL_BYTES // MIB} MiB.")
        files: dict[tuple[int, str], str] = {}
        budget = MAX_TESTS_TOTAL_BYTES
        for entry in entries:
            entry_name = neutralise_line(entry.filename, 80)
            match = _ZIP_NAME.match(entry.filename)
            mode = entry.external_attr >> 16
            if match is None or entry.is_dir() or stat.S_ISLNK(mode):
                raise UserError(
                    f"`{shown}`: entry `{entry_name}` is not allowed; use only flat "
                    "1.in, 1.out, 2.in, … files (no folders or links)."
                )
            if entry.flag_bits & 0x1:
                raise UserError(f"`{shown}`: entry `{entry_name}` is encrypted.")
            key = (int(match[1]), match[2])
            if key in files:
                raise UserError(f"`{shown}`: entry `{entry_name}` appears twice.")
            limit = min(MAX_TEST_FIELD_BYTES, budget)
            try:
                with archive.open(entry) as handle:
                    raw = handle.read(limit + 1)  # never trust the declared size
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError,
                    RuntimeError):
                raise UserError(f"`{shown}`: entry `{entry_name}` cannot be read.") from None
            if len(raw) > limit:
                raise UserError(f"`{shown}`: entry `{entry_name}` is too big.")
            budget -= len(raw)
            try:
                files[key] = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise UserError(f"`{shown}`: entry `{entry_name}` is not UTF-8 text.") from None
    numbers = sorted({number for number, _ in files})
    if not numbers:
        raise UserError(f"`{shown}` has no tests.")
    if len(numbers) > MAX_TESTS:
        raise UserError(f"`{shown}` has {len(numbers)} tests; at most {MAX_TESTS}.")
    if numbers != list(range(1, len(numbers) + 1)):
        missing = next(n for n in range(1, numbers[-1] + 1) if n not in numbers)
        raise UserError(
            f"`{shown}`: tests must be numbered 1, 2, 3, …; test {missing} is missing.")
    tests = []
    for number in numbers:
        for part in ("in", "out"):
            if (number, part) not in files:
                raise UserError(f"`{shown}`: `{number}.{part}` is missing.")
        tests.append((files[(number, "in")], files[(number, "out")], number == 1))
    _check_tests(shown, tests)
    return tests


def _check_tests(shown: str, tests: Sequence[tuple[str, str, bool]]) -> None:
    total = 0
    for number, (given, expected, _) in enumerate(tests, start=1):
        for label, text in (("input", given), ("output", expected)):
            if _UNSTORABLE.search(text):
                raise UserError(f"`{shown}`: test {number} {label} contains a NUL byte or a "
                                "broken character that cannot be stored.")
            size = len(text.encode("utf-8"))
            if size > MAX_TEST_FIELD_BYTES:
                raise UserError(f"`{shown}`: test {number} {label} is over 1 MiB.")
            total += size
    if total > MAX_TESTS_TOTAL_BYTES:
        raise UserError(f"`{shown}`: tests total more than {MAX_TESTS_TOTAL_BYTES // MIB} MiB.")


def apply_examples(tests: list[tuple[str, str, bool]], examples: str | None
                   ) -> list[tuple[str, str, bool]]:
    """Mark the tests named by ``examples`` ("1,2" or "none") public; None keeps them."""
    if examples is None:
        return tests
    text = examples.strip().lower()
    chosen: set[int] = set()
    if text not in ("", "none"):
        for part in text.replace(" ", "").split(","):
            number = values.parse_int(part, 1, len(tests)) if part else None
            if number is None:
                raise UserError("`examples` lists test numbers, e.g. `1,2`, or `none`.")
            chosen.add(number)
    return [(given, expected, n in chosen) for n, (given, expected, _) in
            enumerate(tests, start=1)]

