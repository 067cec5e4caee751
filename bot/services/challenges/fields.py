"""What an admin may set on a challenge, validated and copied onto its row."""

from __future__ import annotations

from datetime import datetime

from bot.core import values
from bot.core.errors import UserError
from bot.services.challenges.views import ChallengeFields
from storage.rows.challenges import ChallengeRow

LANGUAGES = ("python3",)
DIFFICULTIES = ("easy", "medium", "hard")
MAX_TITLE = 200
MAX_STATEMENT = 4000
MAX_TAGS = 10


def assign(row: ChallengeRow, fields: ChallengeFields, now: datetime) -> None:
    """Validate and copy the given fields onto a row."""
    if fields.title is not None:
        title = " ".join(fields.title.split())
        if not 1 <= len(title) <= MAX_TITLE:
            raise UserError(f"A title has 1-{MAX_TITLE} characters.")
        row.title = title
    if fields.statement is not None:
        statement = fields.statement.strip()
        if not 1 <= len(statement) <= MAX_STATEMENT:
            raise UserError(f"A statement has 1-{MAX_STATEMENT} characters.")
        row.statement = statement
    if fields.language is not None:
        if fields.language not in LANGUAGES:
            raise UserError(f"Supported languages: {', '.join(LANGUAGES)}.")
        row.language = fields.language
    if fields.difficulty is not None:
        row.difficulty = values.parse_choice(fields.difficulty, DIFFICULTIES)
    if fields.tags is not None:
        tags = values.split_tags(fields.tags)
        if len(tags) > MAX_TAGS or any(len(t) > 30 for t in tags):
            raise UserError(f"At most {MAX_TAGS} tags of up to 30 characters each.")
        row.tags = ",".join(tags)
    for name, value, lo, hi in (("points", fields.points, 0, 1000),
                                ("bonus", fields.bonus, 0, 1000),
                                ("cpu", fields.cpu_s, 1, 10),
                                ("memory", fields.memory_mib, 32, 1024)):
        if value is not None and not lo <= value <= hi:
            raise UserError(f"`{name}` must be between {lo} and {hi}.")
    if fields.points is not None:
        row.points = fields.points
    if fields.bonus is not None:
        row.first_solve_bonus = fields.bonus
    if fields.cpu_s is not None:
        row.cpu_ms = fields.cpu_s * 1000
    if fields.memory_mib is not None:
        row.memory_mib = fields.memory_mib
    if fields.opens_at is not None:
        row.opens_at = fields.opens_at
    if fields.closes_at is not None:
        if fields.closes_at <= now:
            raise UserError("`closes` must be in the future.")
        row.closes_at = fields.closes_at
        if row.status == "closed":
            row.status = "open"  # a new closing time reopens a closed challenge
    if row.closes_at is not None and row.closes_at <= row.opens_at:
        raise UserError("`closes` must be after `opens`.")
    if fields.event_id is not None:
        row.event_id = fields.event_id

