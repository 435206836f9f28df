"""The benchmark runner and the detection benchmark, on a handful of requests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench import BENCHMARKS
from bench.detection import run, scores

ROOT = Path(__file__).resolve().parent.parent


def test_runner_lists_every_benchmark() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "bench", "--list"], cwd=ROOT, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == [b.name for b in BENCHMARKS]
    assert all(b.available for b in BENCHMARKS if b.default)
    unknown = subprocess.run(
        [sys.executable, "-m", "bench", "nope"], cwd=ROOT, capture_output=True, text=True
    )
    assert unknown.returncode == 2 and "unknown benchmark 'nope'" in unknown.stderr


def test_scores() -> None:
    s = scores([(True, True), (True, False), (False, True), (False, False), (False, False)])
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (1, 1, 1, 2)
    assert s["precision"] == 0.5 and s["recall"] == 0.5 and s["false_positive_rate"] == 0.333


async def test_detection_bench_on_a_few_requests(tmp_path: Path) -> None:
    results = await run(tmp_path, positives=30, tool_requests=3, ecosystems=("cursor",))
    for detector in ("rules", "rules+retrieval"):
        overall = results[detector]["overall"]
        assert overall["requests"] == 10 and overall["tool_share"] == 0.3
        assert overall == results[detector]["cursor"]
    assert results["setup"]["indexed_per_ecosystem"] == {"cursor": 36}
    assert 0 < results["retrieval_consulted_share"] <= 1
