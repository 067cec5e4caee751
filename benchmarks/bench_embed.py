"""G5/G6: session descriptions through the bot's encoder vs raw `model.encode`, same run.

    HF_HUB_OFFLINE=1 python benchmarks/bench_embed.py [--texts 256] [--reps 3]

The bot runs all-MiniLM-L6-v2 in a child process (:mod:`recommender.remote`, started as the
recommendation service starts it); the raw baseline loads the same model in this process.
G6: the child's start (a fresh interpreter's import + load) against this process's own cold
import + load. G5: the same ~100-word texts, fp32, batch 32, through the child's pipes and
the embedding cache against raw ``model.encode``. Also shows that a warm embedding cache
encodes nothing, and the cache's memory.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np
from rich.console import Console
from rich.progress import Progress

from benchmarks.summary import record
from config.settings import RecommenderSettings
from recommender import embed_with_cache, remote
from recommender.sentence_encoder import bundled_model_path
from recommender.synthetic import TOPICS


def descriptions(count: int, seed: int = 0) -> list[str]:
    """~100-word community-event descriptions, all distinct."""
    rng = np.random.default_rng(seed)
    phrases = [p for group in TOPICS.values() for p in group]
    texts = []
    for n in range(count):
        picked = rng.choice(phrases, size=12)
        texts.append(f"Session {n}: " + ". ".join(picked) + ".")
    return texts


RAW_START = (
    "import sys\n"
    "from sentence_transformers import SentenceTransformer\n"
    "SentenceTransformer(sys.argv[1], device='cpu')\n"
    "print('ready', flush=True)\n"
    "sys.stdin.read()\n"
)


def raw_cold_start() -> float:
    """Seconds from spawning a fresh interpreter until it has imported and loaded the model
    (the same work the bot's model process does, minus its pipes and digest check)."""
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", RAW_START, str(bundled_model_path())],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
    assert child.stdout is not None
    assert child.stdin is not None
    line = child.stdout.readline()
    elapsed = time.perf_counter() - began
    child.stdin.close()
    child.wait()
    assert line.strip() == b"ready", line
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    console = Console()
    began = time.perf_counter()
    loaded = remote.start(RecommenderSettings().model, batch_size=32)  # the bot's path
    child_start = time.perf_counter() - began
    encoder = loaded.encoder
    assert loaded.fallback_reason is None, loaded.fallback_reason
    raw_start = raw_cold_start()
    ratio = child_start / raw_start
    console.print(f"G6 model start: the bot's child process {child_start:.2f} s, a fresh "
                  f"interpreter's raw import + load {raw_start:.2f} s: {ratio:.2f}x "
                  "(goal <= 1.2x)")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(bundled_model_path()), device="cpu")  # raw baseline
    record("G6", "model start in its process vs raw cold import + load", f"{child_start:.2f} s",
           f"{ratio:.2f}", "<= 1.2", ratio <= 1.2)
    texts = descriptions(args.texts)
    words = statistics.mean(len(t.split()) for t in texts)
    encoder.encode(texts[:32])  # warm-up
    model.encode(texts[:32], batch_size=32)

    def raw() -> None:
        model.encode(texts, batch_size=32, convert_to_numpy=True, show_progress_bar=False)

    def api() -> None:
        encoder.encode(texts)

    def cached_cold() -> None:
        embed_with_cache(encoder, texts, {})

    cases = [
        ("raw model.encode, batch 32", raw),
        ("Cohort encoder.encode (child process)", api),
        ("Cohort embed_with_cache (cold)", cached_cold),
    ]
    timings: dict[str, list[float]] = {name: [] for name, _ in cases}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("encoding", total=args.reps * len(cases))
        for _ in range(args.reps):
            for name, fn in cases:  # interleaved so drift hits every path alike
                t0 = time.perf_counter()
                fn()
                timings[name].append(time.perf_counter() - t0)
                progress.advance(task)
    base = len(texts) / statistics.median(timings[cases[0][0]])
    api_rate = len(texts) / statistics.median(timings[cases[1][0]])
    record("G5", "encode through the bot's model process vs raw model.encode",
           f"{api_rate:.1f} texts/s", f"{api_rate / base:.2f}", ">= 0.80", api_rate / base >= 0.8)
    console.print(f"\n[bold]G5 {len(texts)} texts, {words:.0f} words each[/] (goal >= 80%)")
    for name, seconds in timings.items():
        rate = len(texts) / statistics.median(seconds)
        console.print(f"  {name:34s} {rate:7.1f} texts/s  {rate / base:6.1%} of raw")
    cache: dict[tuple[str, str], np.ndarray] = {}
    embed_with_cache(encoder, texts, cache)
    t0 = time.perf_counter()
    embed_with_cache(encoder, texts, cache)
    warm = time.perf_counter() - t0
    size = sum(v.nbytes for v in cache.values())
    console.print(
        f"  warm cache: {warm * 1000:.1f} ms for {len(texts)} texts (nothing encoded); "
        f"{size / 2**10:.0f} KiB of vectors = {size / len(cache):.0f} B per session"
    )
    encoder.close()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
