"""What the adapters themselves say (not a feature's answer), shared by every platform."""

from __future__ import annotations

SETUP_HINT = (
    "I don't serve a community here yet. This {place}'s id is {place_id}: add it to "
    "{setting} (or {toml} in cohort.toml) and restart me to make it part of the community."
)


def setup_hint(place: str, place_id: int | str, setting: str, toml: str) -> str:
    """The one answer an administrator gets where no community is configured."""
    return SETUP_HINT.format(place=place, place_id=place_id, setting=setting, toml=toml)
