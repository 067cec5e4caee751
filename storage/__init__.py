"""Persistence: SQLAlchemy 2 rows, the database and its units of work, Alembic migrations."""

from storage.db import Database
from storage.errors import UNAVAILABLE, Duplicate, Rejected
from storage.unit import Unit

__all__ = ["UNAVAILABLE", "Database", "Duplicate", "Rejected", "Unit"]
