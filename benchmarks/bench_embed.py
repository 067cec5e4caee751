"""G5: encoding session descriptions through Cohort's API vs raw `model.encode`, same run.

    HF_HUB_OFFLINE=1 python benchmarks/bench_embed.py [--texts 256] [--reps 3]

Both paths use the same loaded all-MiniLM-L6-v2 and the same ~100-word texts, fp32, batch
32. Also shows that a warm embedding cache encodes nothing, and the cache's memory.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from rich.console import Console
from rich.progress import Progress

from benchmarks.summary import record
from recommender import SentenceTransformerEncoder, embed_with_cache
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    console = Console()
    start = time.perf_counter()
    encoder = SentenceTransformerEncoder.bundled(batch_size=32)
    console.print(f"model load (import + digest + weights): {time.perf_counter() - start:.2f} s")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(bundled_model_path()), device="cpu")  # raw baseline
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
        ("Cohort encoder.encode", api),
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
    record("G5", "encode through Cohort's encoder vs raw model.encode",
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


if __name__ == "__main__":
    main()
