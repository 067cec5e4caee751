"""Repositories per feature, bound to one unit of work; they speak rows, never platform objects."""
