"""Settings problems as one line a new user can act on, naming the closest known key.

Kept apart from the schema (:mod:`config.settings`), which passes itself in.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from pydantic import BaseModel, ValidationError


class SettingsError(ValueError):
    """A setting that cannot be used; the message is one line a new user can act on."""


ENV_PREFIX = "COHORT_"
TEST_PREFIX = "COHORT_TEST_"  # the test suite's own variables, not settings


def check_environment(environ: Mapping[str, str], schema: type[BaseModel]) -> None:
    """Refuse a ``COHORT_…`` variable that names no setting, suggesting the closest one.

    pydantic-settings reads only the variables it knows at the top level, so a typo such as
    ``COHORT_TIMEZNOE`` would otherwise be ignored silently.
    """
    for key in sorted(environ):
        upper = key.upper()
        if not upper.startswith(ENV_PREFIX) or upper.startswith(TEST_PREFIX):
            continue
        path = upper[len(ENV_PREFIX):].lower().split("__")
        unknown = _unknown(path, schema)
        if unknown is not None:
            depth, close = unknown
            known = "__".join(path[:depth]).upper()
            hint = (f"; did you mean {ENV_PREFIX}{known + '__' if known else ''}"
                    f"{close.upper()}?" if close else "")
            raise SettingsError(f"unknown setting {key}{hint} (see config/example.toml)")


def _unknown(path: list[str], schema: type[BaseModel]) -> tuple[int, str | None] | None:
    """Where ``path`` leaves the schema (depth, closest name there), or None if it is known."""
    model = schema
    for depth, part in enumerate(path):
        fields = model.model_fields
        if part not in fields:
            return depth, _closest(part, list(fields))
        annotation = fields[part].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None  # a value (or a dict such as level_roles): deeper keys are its own
        model = annotation
    return None


def _closest(name: str, names: list[str]) -> str | None:
    found = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return found[0] if found else None


def describe(exc: ValidationError, schema: type[BaseModel]) -> str:
    """The first problem of a validation error as one line naming the setting."""
    errors = exc.errors()
    first = errors[0]
    loc = [str(part) for part in first["loc"]]
    dotted = ".".join(loc) or "settings"
    env = ENV_PREFIX + "__".join(loc).upper()
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    if first["type"] == "extra_forbidden":
        unknown = _unknown(loc, schema)
        close = unknown[1] if unknown else None
        where = ".".join(loc[:-1])
        hint = f"; did you mean {where + '.' if where else ''}{close}?" if close else ""
        return f"unknown setting {dotted} in the settings file{hint}{more}"
    message = str(first["msg"]).removeprefix("Value error, ")
    if _unknown(loc, schema) is None and _is_section(loc, schema):
        return f"invalid [{dotted}] settings: {message}{more}"
    value = first.get("input")
    private = any(word in dotted for word in ("secret", "token", "database_url"))
    shown = (f" (got {value!r})" if isinstance(value, str | int | float) and not private
             and repr(value) not in message else "")
    return f"invalid setting {dotted} ({env}): {message}{shown}{more}"


def _is_section(loc: list[str], schema: type[BaseModel]) -> bool:
    """Whether ``loc`` names a whole section (a rule across its keys failed)."""
    if len(loc) != 1 or loc[0] not in schema.model_fields:
        return False
    annotation = schema.model_fields[loc[0]].annotation
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
