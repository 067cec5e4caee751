"""Coding challenges: problems, tests files, submissions, judging, solves and scoring.

Private modules by job (service, uploads, submissions, judging, grading, similarity,
rotation, views, texts, data); they may import ``bot.core``, ``bot.sandbox``, the outbox and
interaction services and ``storage``, never handlers or adapters.
"""

from bot.services.challenges.data import SubmissionData
from bot.services.challenges.fields import DIFFICULTIES, LANGUAGES, MAX_STATEMENT
from bot.services.challenges.grading import Grader, PointsAwarder
from bot.services.challenges.judging import (
    JudgeBusyError,
    JudgeGate,
    JudgeUnavailableError,
    JudgingQueue,
    neutralise_block,
    neutralise_line,
)
from bot.services.challenges.service import ChallengeService
from bot.services.challenges.similarity import CodeSample, SimilarPair, similar_pairs
from bot.services.challenges.submissions import MAX_SOURCE_BYTES, extract_code
from bot.services.challenges.uploads import parse_tests_file
from bot.services.challenges.views import (
    ChallengeFields,
    ChallengeRules,
    ChallengeStats,
    ChallengeView,
    Example,
    LeaderboardRow,
    SubmissionEntry,
    SubmissionOutcome,
    SubmissionPlace,
    SubmissionView,
    SubmitReceipt,
)

__all__ = [
    "DIFFICULTIES",
    "LANGUAGES",
    "MAX_SOURCE_BYTES",
    "MAX_STATEMENT",
    "ChallengeFields",
    "ChallengeRules",
    "ChallengeService",
    "ChallengeStats",
    "ChallengeView",
    "CodeSample",
    "Example",
    "Grader",
    "JudgeBusyError",
    "JudgeGate",
    "JudgeUnavailableError",
    "JudgingQueue",
    "LeaderboardRow",
    "PointsAwarder",
    "SimilarPair",
    "SubmissionData",
    "SubmissionEntry",
    "SubmissionOutcome",
    "SubmissionPlace",
    "SubmissionView",
    "SubmitReceipt",
    "extract_code",
    "neutralise_block",
    "neutralise_line",
    "parse_tests_file",
    "similar_pairs",
]
