"""``cohort eval-recommender`` on a small generated dataset, and a malformed file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import cli
from recommender.dataset import write_dataset
from recommender.synthetic import synthetic_community


def _files(tmp_path: Path) -> tuple[Path, Path]:
    items, interactions = tmp_path / "items.csv", tmp_path / "interactions.csv"
    write_dataset(synthetic_community(users=40, weeks=8).dataset, items, interactions)
    return items, interactions


def test_scores_every_method(tmp_path: Path):
    items, interactions = _files(tmp_path)
    result = CliRunner().invoke(cli, [
        "eval-recommender", "--items", str(items), "--interactions", str(interactions),
        "--k", "5", "--model", "tfidf", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    scores = {m["method"]: m["ndcg@5"] for m in report["methods"]}
    assert set(scores) == {"popularity", "tfidf", "embeddings", "hybrid"}
    assert scores["hybrid"] > scores["popularity"]
    assert report["users"] > 0
    assert report["protocol"] == "strict" and report["description"]
    best = max(scores[m] for m in ("popularity", "tfidf", "embeddings"))
    assert abs(report["ratio"] - scores["hybrid"] / best) < 1e-9


def test_table_output(tmp_path: Path):
    items, interactions = _files(tmp_path)
    result = CliRunner().invoke(cli, [
        "eval-recommender", "--items", str(items), "--interactions", str(interactions),
        "--model", "tfidf"])
    assert result.exit_code == 0, result.output
    assert "hybrid" in result.stdout and "ndcg@10" in result.stdout
    assert "protocol: strict" in result.stdout and "created by the cut-off" in result.stdout
    assert "hybrid / best baseline" in result.stdout


def test_the_old_protocol_only_on_request_and_with_its_caveat(tmp_path: Path):
    items, interactions = _files(tmp_path)
    result = CliRunner().invoke(cli, [
        "eval-recommender", "--items", str(items), "--interactions", str(interactions),
        "--model", "tfidf", "--protocol", "leave-last-out"])
    assert result.exit_code == 0, result.output
    assert "protocol: leave-last-out" in result.stdout and "leaks the future" in result.stdout


def test_malformed_file_names_the_line(tmp_path: Path):
    items, interactions = _files(tmp_path)
    with interactions.open("a") as handle:
        handle.write("u1,some-item,not-a-time\n")
    result = CliRunner().invoke(cli, [
        "eval-recommender", "--items", str(items), "--interactions", str(interactions),
        "--model", "tfidf"])
    assert result.exit_code == 2
    last = len(interactions.read_text().splitlines())
    assert f"interactions.csv:{last}: unknown item_id 'some-item'" in result.output
