"""Persistence: SQLAlchemy 2 rows, the database and its units of work, Alembic migrations."""

from storage.db import Database
from storage.unit import Unit

__all__ = ["Database", "Unit"]
