"""Execution options storage sets on its own connections (a leaf: imported by db and repos)."""

READ_ONLY = "cohort_read_only"  # a connection that only reads: SQLite begins it deferred
