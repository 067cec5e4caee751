"""One name, one thing, one job a module: class names are unique and modules stay small (#11)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage", "recommender", "config")


MODULE_LINES = 420  # "no module over about 400 lines"


def _modules() -> list[Path]:
    return [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
            if "migrations" not in path.parts]


def _classes() -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path in _modules():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                found[node.name].append(str(path.relative_to(ROOT)))
    return found


def test_no_two_classes_share_a_name():
    classes = _classes()
    assert len(classes) > 100  # the scan really read the tree
    shared = {name: where for name, where in classes.items() if len(where) > 1}
    assert shared == {}


def test_no_module_is_over_about_400_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for p in _modules()}
    assert len(sizes) > 100
    assert {path: n for path, n in sizes.items() if n > MODULE_LINES} == {}
