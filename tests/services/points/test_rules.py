"""The chat rule's anti-spam: message fingerprints catch near-duplicates only."""

from __future__ import annotations

from bot.services.points import rules


def test_fingerprints_catch_near_duplicates_only():
    a = rules.fingerprint("Has anyone tried the new async generators in Python 3.13?")
    b = rules.fingerprint("has anyone tried the new async generators in python 3.13!!")
    c = rules.fingerprint("Has anyone tried the new async generators in Python 3.13? :)")
    other = rules.fingerprint("The workshop on Thursday covers pandas and polars")
    assert rules.similarity(a, b) == 1.0  # same normalised text
    assert rules.similarity(a, c) >= 0.8
    assert rules.similarity(a, other) < 0.3
    assert rules.normalise("  Héllo,   WORLD!! ") == "hello world"
