"""A bot or CLI process starts without the numeric libraries it may never use.

scikit-learn and SciPy took a second of a process's four-second start; the load tests start
bot processes by the dozen and a member waits for every restart. They load on first use.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
HEAVY = ("sklearn", "scipy", "torch", "sentence_transformers")


def test_starting_the_bot_imports_no_numeric_library_until_one_is_used() -> None:
    probe = (
        "import json, sys\n"
        "import bot.cli, bot.app\n"
        f"before = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "import recommender\n"
        "recommender.Catalog  # a name of the package, loaded on first use\n"
        "from recommender import segments\n"
        "segments.segment  # a module's function, its imports still deferred\n"
        f"after = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print(json.dumps([before, after]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=120)
    before, after = json.loads(out.stdout.strip().splitlines()[-1])
    assert before == []
    assert after == ["scipy", "sklearn"]  # the catalogue's TF-IDF needs them; torch never
