"""Offline evaluation: the strict, leak-free protocol (default) and the old leave-last-out."""

from recommender.offline.evaluate import PROTOCOLS, Report, evaluate_files, evaluate_strict
from recommender.offline.protocol import STRICT_PROTOCOL, StrictSplit, strict_split

__all__ = [
    "PROTOCOLS",
    "STRICT_PROTOCOL",
    "Report",
    "StrictSplit",
    "evaluate_files",
    "evaluate_strict",
    "strict_split",
]
