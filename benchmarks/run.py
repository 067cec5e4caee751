"""Run every benchmark, then print one goal table and write ``benchmarks/results.json``.

    python benchmarks/run.py [--quick] [--database URL] [--only NAME ...]

``make bench`` runs full sizes; ``make bench-quick`` (``--quick``) runs reduced sizes, under
two minutes on the 2-core machine. Each script runs in its own process (the figures are
ratios measured inside one script, so one script's memory cannot skew another's) and
records its goals through :mod:`benchmarks.summary`. ``--database`` is handed to every
benchmark that touches storage, which then measures its raw baseline on that same database.
A script that fails, or records nothing, shows up in the table too, never silently.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.summary import ENV, Result, load, verdict  # noqa: E402 - needs the path above

# script: (full-size arguments, reduced-size arguments or None to skip in --quick,
#          whether it takes --database)
PLAN: dict[str, tuple[list[str], list[str] | None, bool]] = {
    "bench_logging.py": ([], ["--rows", "20000"], True),
    "bench_points.py": ([], ["--rows", "20000", "--members", "500", "--reps", "10"], True),
    "bench_outbox.py": ([], ["--seconds", "1", "--group-posts", "0"], True),
    "bench_hotpath.py": ([], ["--messages", "500", "--users", "50"], True),
    "bench_recommend.py": ([], ["--members", "2000", "--reps", "1"], False),
    "bench_judge.py": ([], ["6"], False),
    "bench_embed.py": ([], ["--texts", "32", "--reps", "1"], False),
    # G7 as re-posed (#14.3): the paced wave through both adapters; the old unpaced
    # bench_reminders.py (10,000 due within 10 s) runs at full size only.
    "bench_reminders_platforms.py": ([], ["--members", "100", "--setup", "6"], True),
    "bench_reminders.py": ([], None, True),
    # G12 quick: the same measure over a smaller community (segments scale with members).
    "bench_loop_lag.py": ([], ["--members", "1000"], True),
    # G9 quick: one generated community, TF-IDF standing in for the sentence model.
    "bench_eval.py": ([], ["--model", "tfidf", "--runs", "1"], False),
    # G13 quick: a tenth of the community, 1/20 of the ledger; the start-up phase (the
    # sentence model loading in the same process) is measured at both sizes (~30 s here).
    "bench_dashboard.py": ([], ["--members", "2000", "--events", "200", "--ledger", "50000",
                                "--reps", "10"], True),
}


def scripts(only: list[str]) -> list[Path]:
    """The benchmarks to run: the plan's order, then any other ``bench_*.py``."""
    found = {p.name: p for p in HERE.glob("bench_*.py")}
    ordered = [found[n] for n in PLAN if n in found] + [
        p for n, p in sorted(found.items()) if n not in PLAN]
    return [p for p in ordered if not only or any(o in p.name for o in only)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes (< 2 minutes)")
    parser.add_argument("--database", help="a database URL for the storage benchmarks")
    parser.add_argument("--only", nargs="*", default=[], help="run only scripts matching")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    console = Console(width=140)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "results.jsonl"
        extra: list[Result] = []
        for path in scripts(args.only):
            full, quick, takes_db = PLAN.get(path.name, ([], None, False))
            arguments = quick if args.quick else full
            if arguments is None:
                extra.append(Result("-", "full size only: skipped in --quick", "", "", "",
                                    None, path.name))
                continue
            if args.database and takes_db:
                arguments = [*arguments, "--database", args.database]
            console.rule(f"{path.name} {' '.join(arguments)}")
            before = len(load(log))
            env = {**os.environ, ENV: str(log), "COHORT_BENCH_SCRIPT": path.name,
                   "PYTHONPATH": str(HERE.parent)}
            began = time.perf_counter()
            code = subprocess.call([sys.executable, str(path), *arguments], env=env)
            console.print(f"[dim]{path.name}: {time.perf_counter() - began:.0f} s")
            if code != 0:
                extra.append(Result("-", f"script failed (exit {code})", "", "", "", False,
                                    path.name))
            elif len(load(log)) == before:
                extra.append(Result("-", "ran; records no goal figure", "", "", "", None,
                                    path.name))
        results = load(log) + extra
    table = Table(title=f"Cohort benchmarks{' (quick sizes)' if args.quick else ''}: "
                        f"ratios to raw baselines measured in the same run "
                        f"({time.perf_counter() - started:.0f} s)")
    for column in ("goal", "script", "measure", "figure", "ratio", "goal ratio", "result"):
        table.add_column(column, overflow="fold")
    for r in results:
        style = "green" if r.met else ("red" if r.met is False else "")
        table.add_row(r.goal, r.script, r.measure, r.figure, r.ratio, r.target,
                      f"[{style}]{verdict(r.met)}[/]" if style else verdict(r.met))
    console.print(table)
    missed = [r for r in results if r.met is False]
    console.print(f"{len(results) - len(missed)} of {len(results)} rows not failing; "
                  f"{len(missed)} not met" + (": " + ", ".join(
                      sorted({f'{r.goal} ({r.script})' for r in missed})) if missed else ""))
    args.out.write_text(json.dumps({
        "quick": args.quick, "database": args.database or "sqlite (temporary file)",
        "load_average": os.getloadavg(), "cpus": os.cpu_count(),
        "results": [asdict(r) for r in results]}, indent=2) + "\n")
    console.print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
