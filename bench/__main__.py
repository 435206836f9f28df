"""Runs the benchmarks in sequence, each in its own process.

    python -m bench                      every default benchmark (`make bench`)
    python -m bench retrieval detection  the ones named, in that order
    python -m bench retrieval -- --examples 6000 --seconds 10
                                         one benchmark with its own options
    python -m bench --quick              short runs (each benchmark's quick options)
    python -m bench --list               names, what each measures, whether it runs by default

A benchmark runs in a process of its own (its torch threads, peak memory and
event loop are its own), from the repository root, with the Hub offline. Each
writes its JSON into bench/results/; a failure is reported and the sweep goes
on, and the exit status is non-zero if any failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence

from bench import BENCH_DIR, BENCHMARKS, RESULTS_DIR, Benchmark, by_name

ROOT = BENCH_DIR.parent


def command_for(benchmark: Benchmark, extra: Sequence[str], quick: bool) -> list[str]:
    args = [*benchmark.quick_args] if quick else []
    return [sys.executable, "-m", f"bench.{benchmark.name}", *args, *extra]


def run(benchmark: Benchmark, extra: Sequence[str], quick: bool) -> tuple[int, float]:
    command = command_for(benchmark, extra, quick)
    print(f"== {benchmark.name}: {' '.join(command[1:])}", flush=True)
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    started = time.perf_counter()
    code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    return code, time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1 :]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: every default one)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--quick", action="store_true", help="short runs")
    args = parser.parse_args(argv)

    if args.list:
        for benchmark in BENCHMARKS:
            flags = [] if benchmark.default else ["by name only"]
            if not benchmark.available:
                flags.append("not in this checkout")
            note = f" [{', '.join(flags)}]" if flags else ""
            print(f"{benchmark.name:<20} {benchmark.about}{note}")
        return 0
    try:
        chosen = (
            [by_name(name) for name in args.names]
            if args.names
            else [b for b in BENCHMARKS if b.default]
        )
    except KeyError as error:
        parser.error(str(error.args[0]))
    if extra and len(chosen) != 1:
        parser.error("options after '--' go to one benchmark: name exactly one")
    missing = [b.name for b in chosen if not b.available]
    if missing:
        parser.error(f"not in this checkout: {', '.join(missing)}")

    outcomes: list[tuple[str, int, float]] = []
    for benchmark in chosen:
        code, seconds = run(benchmark, extra, args.quick)
        outcomes.append((benchmark.name, code, seconds))
    print("\nbenchmark            status   seconds  results")
    for (name, code, seconds), benchmark in zip(outcomes, chosen, strict=True):
        status = "ok" if code == 0 else f"rc={code}"
        written = ", ".join(
            f"bench/results/{f}" for f in benchmark.results if (RESULTS_DIR / f).exists()
        )
        print(f"{name:<20} {status:<8} {seconds:7.0f}  {written or '-'}")
    return 0 if all(code == 0 for _, code, _ in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
