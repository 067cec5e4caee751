"""Languages the local sandbox can judge: how to check and how to run a source file."""

from __future__ import annotations

from dataclasses import dataclass

# The system interpreter: a pyenv shim or venv lives under a home directory that the
# sandbox does not expose, and costs ~50 ms more per start (JUDGE.md §2).
SYSTEM_PYTHON = "/usr/bin/python3"

# The supervisor's built-in check for Python: ``compile()`` in a forked child under the
# step's limits, not a new interpreter (~10 ms less for every submission). Must match
# ``supervisor.COMPILE_PYTHON`` (the supervisor imports nothing from here).
COMPILE_PYTHON = "supervisor:compile-python"


class UnsupportedLanguageError(ValueError):
    """The submission's language has no local runner."""


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """How one language is checked and run; both commands run inside the sandbox."""

    name: str
    aliases: tuple[str, ...]
    source_path: str
    compile_argv: tuple[str, ...] | None
    run_argv: tuple[str, ...]


PYTHON3 = LanguageSpec(
    name="python3",
    aliases=("python", "py", "py3", "python3"),
    source_path="/box/solution.py",
    compile_argv=(COMPILE_PYTHON, "/box/solution.py"),
    run_argv=(SYSTEM_PYTHON, "-I", "-B", "/box/solution.py"),
)

LANGUAGES: tuple[LanguageSpec, ...] = (PYTHON3,)


def find_language(name: str) -> LanguageSpec:
    """The spec for a language name or alias (case-insensitive)."""
    wanted = name.strip().lower()
    for spec in LANGUAGES:
        if wanted == spec.name or wanted in spec.aliases:
            return spec
    raise UnsupportedLanguageError(f"unsupported language: {name!r}")
