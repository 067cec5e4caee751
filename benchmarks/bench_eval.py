"""Issue 15's goal: the hybrid's NDCG@10 over the best plain baseline, strict protocol.

    python benchmarks/bench_eval.py [--model all-MiniLM-L6-v2] [--k 10]

Two generated communities with different seeds and shapes (`recommender.synthetic.SHAPES`),
scored with the real sentence model (offline) unless `--model tfidf`. Prints every method's
NDCG@k and the ratio hybrid / max(popularity, TF-IDF, embeddings); the goal is >= 1.2.
"""

from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.table import Table

from recommender.encoders import load_encoder
from recommender.offline import evaluate_strict
from recommender.synthetic import synthetic_community

RUNS = (("meetups", 1), ("campus", 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    console = Console()
    table = Table(title=f"strict protocol, NDCG@{args.k}")
    for column in ("data set", "users", "popularity", "tfidf", "embeddings", "hybrid", "ratio",
                   "seconds"):
        table.add_column(column)
    for shape, seed in RUNS:
        data = synthetic_community(shape=shape, seed=seed).dataset
        encoder = load_encoder(args.model, corpus=[i.text for i in data.items]).encoder
        start = time.perf_counter()
        report = evaluate_strict(data, encoder, k=args.k)
        took = time.perf_counter() - start
        table.add_row(
            f"{shape} seed {seed}", str(report.users),
            *(f"{report.ndcg(m):.3f}" for m in ("popularity", "tfidf", "embeddings", "hybrid")),
            f"{report.ratio:.2f}x", f"{took:.1f}",
        )
        console.print(f"{shape}: encoder {report.encoder}; {report.description[-1]}")
    console.print(table)


if __name__ == "__main__":
    main()
