"""`python -m bench.claims`: measure the seed's claims and write docs/claims.md.

    python -m bench.claims [--requests-per-ecosystem N] [--examples-per-ecosystem M]
                           [--old-approach-steps S] [--reduced]

Starts retrieval, inference and trainer as separate processes on free ports
over a fresh data directory (or uses a running system: --retrieval,
--inference, --trainer; it re-indexes every ecosystem it measures, so point
it at a test system), runs the seven conditions, writes the results JSON and
the report. `--reduced` is the CI size: Continue and Cursor, one tool request
and one no-tool request per ecosystem and condition, a few dozen indexed
examples, two training steps; it writes under .data/ unless told otherwise,
never over the committed report.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

import grpc

from bench.claims.runner import CONDITIONS, BenchError, Options, run_bench, write_results
from bench.claims.system import running_system, say, started_system
from hybridtools.ecosystems.catalog import BUILTIN_ECOSYSTEMS
from hybridtools.supervisor import ServiceFailedError

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RESULTS = ROOT / "bench" / "results" / "claims.json"
DEFAULT_REPORT_DIR = ROOT / "docs"
DEFAULT_DATA_DIR = ROOT / ".data" / "bench-claims"
# The full run's sizes, then the reduced (CI) run's.
FULL = {
    "ecosystems": ",".join(BUILTIN_ECOSYSTEMS),
    "max_new_tokens": 0,  # the service's default
    "generic_samples": 1000,
    "requests_per_ecosystem": 40,
    "no_tool_requests": 10,
    "examples_per_ecosystem": 10_000,
    "old_approach_steps": None,  # the generic adapter's own
    "batch_size": None,
    "sequence_length": None,
}
REDUCED = {
    # Continue and Cursor: the old approach's own IDE and another, and the swap.
    "ecosystems": "continue,cursor",
    "max_new_tokens": 24,
    "generic_samples": 50,
    "requests_per_ecosystem": 1,
    "no_tool_requests": 1,
    "examples_per_ecosystem": 40,
    "old_approach_steps": 2,
    "batch_size": 1,
    "sequence_length": 256,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.claims", description=__doc__.split("\n\n")[0]
    )
    sizes = parser.add_argument_group("sizes (defaults: the full run; --reduced: the CI run)")
    sizes.add_argument("--reduced", action="store_true", help="the CI size, a few minutes")
    sizes.add_argument(
        "--requests-per-ecosystem",
        type=int,
        help=f"held-out tool requests per ecosystem (full {FULL['requests_per_ecosystem']})",
    )
    sizes.add_argument(
        "--no-tool-requests",
        type=int,
        help="requests that need no tool, asked in each ecosystem "
        f"(full {FULL['no_tool_requests']})",
    )
    sizes.add_argument(
        "--examples-per-ecosystem",
        type=int,
        help="positive examples indexed per ecosystem, plus a fifth as many negatives "
        f"(full {FULL['examples_per_ecosystem']}, the seed's 10K + 2K)",
    )
    sizes.add_argument(
        "--old-approach-steps",
        type=int,
        help="optimizer steps of the old approach's adapter (full: the generic adapter's own, "
        "from its manifest)",
    )
    sizes.add_argument("--batch-size", type=int, help="training batch (full: the generic's)")
    sizes.add_argument("--sequence-length", type=int, help="packed length (full: the generic's)")
    sizes.add_argument(
        "--generic-samples",
        type=int,
        help="samples of each generic set, only when the bench must train the generic adapter "
        "itself (no tool-awareness adapter in the store; full 1000, as its recipe)",
    )
    sizes.add_argument(
        "--ecosystems", help="comma-separated (full: all four; reduced: continue,cursor)"
    )
    parser.add_argument(
        "--conditions",
        default=",".join(str(c.id) for c in CONDITIONS),
        help="comma-separated condition numbers (default: 1-7)",
    )
    sizes.add_argument(
        "--max-new-tokens", type=int, help="0 = the service's default (full 0, reduced 24)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--with-prompts",
        action="store_true",
        help="keep each request's built prompt in the results' evidence (to diagnose a miss)",
    )
    parser.add_argument(
        "--output", type=Path, help="results JSON (full: bench/results/claims.json)"
    )
    parser.add_argument(
        "--report-dir", type=Path, help="claims.md and claims/*.png go here (full: docs/)"
    )
    parser.add_argument("--no-report", action="store_true", help="write the JSON only")
    parser.add_argument(
        "--report-only", action="store_true", help="only regenerate the report from --output"
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument(
        "--keep-data", action="store_true", help="keep the services' state and logs after a run"
    )
    running = parser.add_argument_group("a running system instead of starting one")
    running.add_argument("--retrieval", help="address, e.g. 127.0.0.1:50051")
    running.add_argument("--inference", help="address, e.g. 127.0.0.1:50052")
    running.add_argument("--trainer", help="address, e.g. 127.0.0.1:50053")
    running.add_argument(
        "--system-data-dir",
        type=Path,
        help="its HYBRIDTOOLS_DATA_DIR (condition 6 writes its training set there)",
    )
    return parser.parse_args(argv)


def options_from(args: argparse.Namespace, command: str) -> Options:
    sizes = REDUCED if args.reduced else FULL
    picked = {
        key: getattr(args, key) if getattr(args, key) is not None else default
        for key, default in sizes.items()
    }
    ecosystems = picked.pop("ecosystems")
    return Options(
        ecosystems=tuple(e.strip() for e in ecosystems.split(",") if e.strip()),
        conditions=tuple(sorted({int(c) for c in args.conditions.split(",") if c.strip()})),
        seed=args.seed,
        reduced=args.reduced,
        with_prompts=args.with_prompts,
        command=command,
        **picked,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    reduced_dir = args.data_dir / "reduced"
    output = args.output or (reduced_dir / "claims.json" if args.reduced else DEFAULT_RESULTS)
    report_dir = args.report_dir or (reduced_dir if args.reduced else DEFAULT_REPORT_DIR)
    if args.report_only:
        return write_report(output, report_dir)
    command = "python -m bench.claims " + shlex.join(sys.argv[1:] if argv is None else argv)
    options = options_from(args, command.strip())
    addresses = {
        name: address
        for name, address in (
            ("retrieval", args.retrieval),
            ("inference", args.inference),
            ("trainer", args.trainer),
        )
        if address
    }
    started = time.perf_counter()
    # Written after every phase, so a run that stops half-way leaves its answers.
    checkpoint = output.with_name(f"{output.stem}.partial.json")
    try:
        if addresses:
            if set(addresses) != {"retrieval", "inference", "trainer"}:
                raise BenchError("give all three addresses (--retrieval, --inference, --trainer)")
            with running_system(addresses, args.system_data_dir) as system:
                results = run_bench(options, system, checkpoint)
        else:
            run_dir = args.data_dir / time.strftime("run-%Y%m%d-%H%M%S")
            with started_system(run_dir) as system:
                results = run_bench(options, system, checkpoint)
            if not args.keep_data:
                shutil.rmtree(run_dir, ignore_errors=True)
    except (BenchError, ServiceFailedError) as error:
        say(f"bench/claims: {error}")
        return 1
    except grpc.RpcError as error:
        say(f"bench/claims: {error.code().name}: {error.details()} (answers so far: {checkpoint})")
        return 1
    write_results(results, output)
    checkpoint.unlink(missing_ok=True)
    say(f"results: {output} ({time.perf_counter() - started:.0f} s)")
    if args.no_report:
        return 0
    return write_report(output, report_dir)


def write_report(results_path: Path, report_dir: Path) -> int:
    from bench.claims.report import render_report

    markdown = render_report(results_path, report_dir)
    say(f"report: {markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
