"""Near-identical accepted submissions, for admins looking for copied solutions.

Code is normalised with :mod:`tokenize` (never executed): comments, blank lines and
layout go, every identifier that is not a keyword or a builtin becomes a placeholder
numbered by first appearance (so renaming variables changes nothing), and the token
sequences of two members are compared with :class:`difflib.SequenceMatcher`.
"""

from __future__ import annotations

import builtins
import difflib
import io
import keyword
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 0.9
# Very short solutions look alike by necessity (A+B is one line for everyone).
MIN_TOKENS = 25
# Pairs grow quadratically: compare at most this many submissions (one per member).
MAX_SUBMISSIONS = 200

_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_KEPT_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))


def normalise_code(source: str) -> tuple[str, ...]:
    """The source's tokens without comments or layout, identifiers as placeholders."""
    names: dict[str, str] = {}
    tokens: list[str] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in _SKIPPED:
                continue
            if token.type == tokenize.NAME and token.string not in _KEPT_NAMES:
                tokens.append(names.setdefault(token.string, f"_{len(names) + 1}"))
            elif token.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                tokens.append(tokenize.tok_name[token.type])
            else:
                tokens.append(token.string)
    except (tokenize.TokenError, SyntaxError, ValueError):
        return tuple(source.split())  # not Python after all: compare words
    return tuple(tokens)


@dataclass(frozen=True, slots=True)
class CodeSample:
    """One accepted submission to compare."""

    submission_id: int
    member_id: int
    member_name: str
    source: str


@dataclass(frozen=True, slots=True)
class SimilarPair:
    """Two members' accepted submissions whose normalised code is near-identical."""

    first: CodeSample
    second: CodeSample
    ratio: float


def similar_pairs(samples: Sequence[CodeSample], *, threshold: float = THRESHOLD,
                  min_tokens: int = MIN_TOKENS) -> list[SimilarPair]:
    """Pairs of different members with similarity ≥ ``threshold``, most similar first.

    CPU-bound: run it in a thread.
    """
    normalised = [(sample, normalise_code(sample.source))
                  for sample in samples[:MAX_SUBMISSIONS]]
    normalised = [(s, tokens) for s, tokens in normalised if len(tokens) >= min_tokens]
    pairs: list[SimilarPair] = []
    for index, (first, first_tokens) in enumerate(normalised):
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(first_tokens)
        for second, second_tokens in normalised[index + 1:]:
            if second.member_id == first.member_id:
                continue
            matcher.set_seq1(second_tokens)
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            ratio = matcher.ratio()
            if ratio >= threshold:
                pairs.append(SimilarPair(first, second, ratio))
    pairs.sort(key=lambda pair: (-pair.ratio, pair.first.submission_id,
                                 pair.second.submission_id))
    return pairs
