"""Near-identical accepted submissions (/challenge similar), for admins."""

from __future__ import annotations

import pytest

from bot.services.challenges import CodeSample, similar_pairs
from bot.services.challenges.similarity import normalise_code
from tests.harness import Chat
from tests.services.challenges.conftest import code_block, create_sum

ORIGINAL = """
def solve(line):
    a, b = line.split()
    total = int(a) + int(b)
    return total

print(solve(input()))
"""
# Same program: other names, comments, blank lines and spacing.
DISGUISED = """
# my own work, honest
def compute(text):   # helper

    first,second = text.split()
    result=int(first)+int(second)
    return result
print( compute( input() ) )
"""
DIFFERENT = """
import sys
numbers = [int(x) for x in sys.stdin.read().split()]
answer = 0
for n in numbers:
    answer += n
print(answer)
"""


def sample(submission_id: int, member_id: int, source: str) -> CodeSample:
    return CodeSample(submission_id, member_id, f"member {member_id}", source)


def test_normalisation_ignores_comments_layout_and_names():
    assert normalise_code(ORIGINAL) == normalise_code(DISGUISED)
    assert normalise_code(ORIGINAL) != normalise_code(DIFFERENT)
    tokens = normalise_code(ORIGINAL)
    assert "print" in tokens and "int" in tokens and "def" in tokens  # kept as they are
    assert "solve" not in tokens and "total" not in tokens


def test_unparsable_text_does_not_raise():
    assert normalise_code('x = """never closed\n') == ('x', '=', '"""never', 'closed')


def test_pairs_are_between_members_and_above_the_threshold():
    pairs = similar_pairs([
        sample(1, 1, ORIGINAL),
        sample(2, 1, DISGUISED),  # the same member twice is not copying
        sample(3, 2, DISGUISED),
        sample(4, 3, DIFFERENT),
        sample(5, 4, DIFFERENT.replace("answer += n", "answer = answer + n")),
    ])
    found = {(p.first.submission_id, p.second.submission_id) for p in pairs}
    assert (1, 3) in found
    assert (2, 3) in found
    assert not any(4 in pair and 1 in pair for pair in found)
    assert all(p.ratio >= 0.9 for p in pairs)
    assert pairs == sorted(pairs, key=lambda p: -p.ratio)
    near = [p for p in pairs if {p.first.submission_id, p.second.submission_id} == {4, 5}]
    assert not near or near[0].ratio >= 0.9


def test_short_solutions_are_not_reported():
    one_liner = "print(sum(map(int, input().split())))"
    assert similar_pairs([sample(1, 1, one_liner), sample(2, 2, one_liner)]) == []


@pytest.mark.sandbox
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_admins_see_similar_pairs(chat: Chat):
    challenge = await create_sum(chat)
    for who, source in (("ann", ORIGINAL), ("bob", DISGUISED), ("cy", DIFFERENT)):
        reply = await chat.text(f"/submit {challenge} {code_block(source)}", who=who, dm=True)
        assert "Accepted" in reply, reply
    reply = await chat.text(f"/challenge similar {challenge}", who="ada", admin=True)
    assert "100%" in reply, reply
    assert "ann" in reply and "bob" in reply
    assert "cy" not in reply.split(":", 1)[1]
    refused = await chat.text(f"/challenge similar {challenge}", who="ann")
    assert "100%" not in refused
    empty = await chat.text(f"/challenge similar {challenge + 1}", who="ada", admin=True)
    assert "100%" not in empty
