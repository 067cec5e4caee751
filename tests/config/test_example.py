"""config/example.toml documents every setting: a key added to the schema must appear there."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel

from config.settings import Settings

EXAMPLE = Path(__file__).parents[2] / "config" / "example.toml"
# A commented-out key (a secret or an optional value) still documents it: "# token = ...".
COMMENTED = re.compile(r"^#\s*([a-z_][a-z0-9_]*)\s*=", re.M)


def _schema(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _schema(annotation, f"{prefix}{name}.")
        else:
            keys.add(prefix + name)
    return keys


def _documented() -> set[str]:
    """Every key the example sets or shows commented out, with its section."""
    keys: set[str] = set()
    section = ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        header = re.match(r"^\[([a-z_.]+)\]", line)
        if header:
            if "." in header.group(1):  # a dict setting's own table, e.g. [points.level_roles]
                keys.add(header.group(1))
            section = header.group(1) + "."
            continue
        found = re.match(r"^([a-z_][a-z0-9_]*)\s*=", line) or COMMENTED.match(line)
        if found:
            keys.add(section + found.group(1))
    return keys


def test_the_example_lists_every_setting_and_nothing_else():
    schema = _schema(Settings)
    documented = _documented()
    # A dict setting is a table of its own in TOML: its header documents it.
    documented = {k for k in documented if not k.startswith("points.level_roles.")}
    assert sorted(schema - documented) == [], "settings missing from config/example.toml"
    assert sorted(documented - schema) == [], "config/example.toml names unknown settings"


def test_the_example_parses_and_sets_only_known_keys():
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    Settings.model_validate(data)  # extra="forbid": an unknown key would raise
