"""One summary of every benchmark's goals: each script records, the runner prints one table.

A benchmark calls :func:`record` once per goal figure it measured. When the runner
(``benchmarks/run.py``, what ``make bench`` calls) set ``COHORT_BENCH_RESULTS`` to a file,
each record is appended there as one JSON line, so scripts in separate processes add to
one summary; run alone, a script only prints its own table. Ratios, not absolute figures,
are the gate (PERFORMANCE.md): ``figure`` is for scale, ``ratio`` is compared to the goal.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

ENV = "COHORT_BENCH_RESULTS"


@dataclass(frozen=True)
class Result:
    """One goal figure: ``met`` is None when the script could not judge it."""

    goal: str
    measure: str
    figure: str
    ratio: str
    target: str
    met: bool | None
    script: str = ""


def record(goal: str, measure: str, figure: str, ratio: str, target: str,
           met: bool | None) -> Result:
    """Add one figure to the run's summary (no-op outside the runner); returns it."""
    script = Path(os.environ.get("COHORT_BENCH_SCRIPT", "")).name
    result = Result(goal, measure, figure, ratio, target, met, script)
    path = os.environ.get(ENV)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(result)) + "\n")
    return result


def load(path: Path) -> list[Result]:
    """Every result a run recorded, in order."""
    if not path.exists():
        return []
    return [Result(**json.loads(line)) for line in path.read_text().splitlines() if line]


def verdict(met: bool | None) -> str:
    """How a result reads in the table."""
    return "met" if met else ("NOT MET" if met is False else "n/a")
