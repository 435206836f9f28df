"""The project's benchmarks; `python -m bench` runs them (docs/benchmarks.md has the figures).

Each benchmark is a module of this package that runs on its own
(`python -m bench.<name>` or `python bench/<name>.py`) and writes its JSON
into bench/results/. This module only names them: importing it loads nothing
heavy, so `python -m bench --list` is instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"


@dataclass(frozen=True)
class Benchmark:
    name: str  # the module under bench/ (a file or a package)
    about: str
    # Run by a plain `python -m bench`; the others only when named.
    default: bool = True
    # Arguments that make a short run (`python -m bench --quick`).
    quick_args: tuple[str, ...] = ("--quick",)
    results: tuple[str, ...] = field(default_factory=tuple)

    @property
    def available(self) -> bool:
        return (BENCH_DIR / f"{self.name}.py").exists() or (
            BENCH_DIR / self.name / "__main__.py"
        ).exists()


# In the order a sweep runs them: quick ones first, the long ones last.
BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "detection",
        "tool-need detection precision/recall, rules vs rules+retrieval",
        results=("detection.json",),
    ),
    Benchmark(
        "inference_overhead",
        "prompt tokens and detect/retrieve/build latency of injection over gRPC",
        results=("inference_overhead.json",),
    ),
    Benchmark(
        "retrieval",
        "ecosystem swap, rollback, search p50/p99 and QPS on ~12K examples",
        quick_args=("--examples", "2000", "--seconds", "5"),
        results=("retrieval.json",),
    ),
    Benchmark(
        "llm_decode",
        "local engine prefill/decode tok/s and tool-request latency",
        results=("llm_decode.json",),
    ),
    Benchmark(
        "trainer_cpu",
        "LoRA / QLoRA training throughput on the CPU",
        results=("trainer_cpu.json",),
    ),
    Benchmark(
        "trainer_gpu",
        "QLoRA throughput and memory on a GPU (skipped without CUDA)",
        quick_args=("--steps", "5"),
        results=("trainer_gpu.json",),
    ),
    Benchmark(
        "claims",
        "the seed's claims checked end to end (long: run it by name)",
        default=False,
        quick_args=(),
    ),
)


def by_name(name: str) -> Benchmark:
    for benchmark in BENCHMARKS:
        if benchmark.name == name:
            return benchmark
    known = ", ".join(b.name for b in BENCHMARKS)
    raise KeyError(f"unknown benchmark {name!r} (known: {known})")
