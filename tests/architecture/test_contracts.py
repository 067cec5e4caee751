"""The import contracts hold, and a contract broken on purpose in a copy of the tree fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT)], cwd=tree, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("bot", "handlers", "storage", "recommender", "config"):
        shutil.copytree(ROOT / name, tree / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    (tree / "tests").mkdir()
    (tree / "tests" / "__init__.py").write_text("")
    shutil.copy(ROOT / "tests" / "contracts.py", tree / "tests" / "contracts.py")
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_tree_keeps_every_contract() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_breaking_the_allow_lists_on_purpose_fails(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    with (tree / "bot" / "core" / "text.py").open("a") as core:
        core.write("\nimport pydantic  # noqa\n")  # not in the core's allow-list
    with (tree / "handlers" / "help.py").open("a") as handler:
        handler.write("\nimport sqlalchemy  # noqa\n")  # SQL outside storage
    result = lint(tree)
    assert result.returncode != 0
    assert "bot.core.text imports pydantic" in result.stdout
    assert "handlers.help -> sqlalchemy" in result.stdout
