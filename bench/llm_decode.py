"""Decode benchmark of the local engine on the packaged SmolLM2-135M.

Run: `.venv/bin/python bench/llm_decode.py` (add `--quick` for one repeat).
Prints tables and writes bench/results/llm_decode.json.

Measures, per thread count, runtime (ONNX Runtime graph or torch) and, on
torch, weight precision:
- prefill tok/s over a ~400-token tool prompt (cold cache);
- decode tok/s of free generation (one token per forward pass);
- a typical tool request (the same kind of prompt with a different request
  each time, a JSON-schema constraint over 3 tools, ~30 output tokens):
  p50 latency, with the prefix cache, jump-forward and the grammar each
  switched off in turn;
- grammar compile time per tool, and agreement of the compact decode
  weights' greedy calls with float32's.

Timings on a shared machine are noisy: run it when the box is quiet, and
compare only figures from the same run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402

from hybridtools.llm.decode_weights import DecodeWeights  # noqa: E402
from hybridtools.llm.engine import EngineOptions, LlmRuntime, LocalEngine  # noqa: E402
from hybridtools.llm.packaged import ensure_model_dir  # noqa: E402
from hybridtools.llm.threads import available_cpus  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "llm_decode.json"

TOOLS = {
    "read_file": {
        "description": "Read the contents of a file in the workspace.",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string", "maxLength": 64}},
            "required": ["path"],
        },
    },
    "run_command": {
        "description": "Run a shell command in the project's terminal.",
        "parameters": {
            "type": "object",
            "properties": {
                "command": {"type": "string", "maxLength": 64},
                "is_background": {"type": "boolean"},
            },
            "required": ["command", "is_background"],
        },
    },
    "list_dir": {
        "description": "List the files and folders of a directory.",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string", "maxLength": 64}},
            "required": ["path"],
        },
    },
}

EXAMPLES = [
    "Request: print the Cargo manifest -> Call: "
    '{"name":"read_file","arguments":{"path":"Cargo.toml"}}',
    "Request: start the dev server -> Call: "
    '{"name":"run_command","arguments":{"command":"npm run dev","is_background":true}}',
    "Request: what is inside the docs folder -> Call: "
    '{"name":"list_dir","arguments":{"path":"docs"}}',
    "Request: type-check the package with mypy -> Call: "
    '{"name":"run_command","arguments":{"command":"mypy src","is_background":false}}',
]

REQUESTS = [
    "Show me what is in src/main.rs",
    "Run the tests with pytest -q",
    "What files are in the tests directory?",
    "Open the README.md file",
    "Build the project with cargo build --release",
    "List everything under scripts",
    "Display the contents of pyproject.toml",
]


def tool_schema() -> str:
    return json.dumps(
        {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {"name": {"const": name}, "arguments": tool["parameters"]},
                    "required": ["name", "arguments"],
                }
                for name, tool in TOOLS.items()
            ]
        }
    )


def tool_prompt(engine: LocalEngine, request: str) -> list[int]:
    tool_lines = "\n".join(
        f"- {name}: {tool['description']} Parameters: {json.dumps(tool['parameters'])}"
        for name, tool in TOOLS.items()
    )
    system = (
        "You are a coding assistant inside an IDE. When the request needs a tool, reply with "
        'exactly one JSON object {"name": ..., "arguments": {...}} and nothing else. Copy '
        "argument values from the request. If no tool fits, answer in plain text.\n"
        f"Tools:\n{tool_lines}\nExamples:\n" + "\n".join(EXAMPLES)
    )
    return engine.encode_chat(
        [{"role": "system", "content": system}, {"role": "user", "content": request}]
    )


@dataclass
class RunFigures:
    runtime: str
    threads: int
    dtype: str
    decode_weights: str
    prefill_tokens: int
    prefill_tokens_per_second: float
    decode_tokens: int
    decode_tokens_per_second: float
    tool_request_p50_ms: float
    tool_request_ms: list[float]
    tool_completion_tokens_mean: float
    tool_forced_tokens_mean: float
    tool_calls: list[str]


def measure_engine(
    model_dir: Path,
    threads: int,
    runtime: LlmRuntime,
    dtype: torch.dtype,
    decode_weights: DecodeWeights,
    repeats: int,
) -> RunFigures:
    engine = LocalEngine(
        model_dir,
        EngineOptions(threads=threads, runtime=runtime, dtype=dtype, decode_weights=decode_weights),
    )
    assert engine.runtime == runtime, f"asked for {runtime}, the engine runs {engine.runtime}"
    schema = tool_schema()
    engine.precompile(schema)
    # Warm-up: first calls pay one-off allocations.
    engine.generate(tool_prompt(engine, "warm up"), max_new_tokens=4)

    prefill_rates, decode_rates = [], []
    prompt_tokens = decode_tokens = 0
    for index in range(repeats):
        engine.clear_prefix_cache()
        prompt = tool_prompt(engine, f"Explain, in a few sentences, what test number {index} does.")
        result = engine.generate(prompt, max_new_tokens=32)
        prompt_tokens = result.prompt_tokens
        decode_tokens = result.completion_tokens
        prefill_rates.append(result.prompt_tokens / (result.prefill_ms / 1000))
        if result.completion_tokens > 1:
            decode_rates.append(result.decode_tokens_per_second)

    # The prefix cache holds the previous request's prompt, as in service:
    # the system message, tools and examples are reused, the request is new.
    latencies, completions, forced, calls = [], [], [], []
    for request in REQUESTS[: max(repeats, 3)]:
        prompt = tool_prompt(engine, request)
        started = time.perf_counter()
        result = engine.generate(prompt, max_new_tokens=64, json_schema=schema)
        latencies.append((time.perf_counter() - started) * 1000)
        completions.append(result.completion_tokens)
        forced.append(result.forced_tokens)
        calls.append(result.text)
    figures = RunFigures(
        runtime=runtime,
        threads=threads,
        dtype=str(dtype).removeprefix("torch."),
        decode_weights=decode_weights,
        prefill_tokens=prompt_tokens,
        prefill_tokens_per_second=statistics.median(prefill_rates),
        decode_tokens=decode_tokens,
        decode_tokens_per_second=statistics.median(decode_rates) if decode_rates else 0.0,
        tool_request_p50_ms=statistics.median(latencies),
        tool_request_ms=[round(value, 1) for value in latencies],
        tool_completion_tokens_mean=statistics.mean(completions),
        tool_forced_tokens_mean=statistics.mean(forced),
        tool_calls=calls,
    )
    del engine
    gc.collect()
    return figures


def measure_features(model_dir: Path, threads: int, repeats: int) -> dict[str, dict[str, float]]:
    """Tool-request latency with each optimisation switched off in turn."""
    variants: dict[str, EngineOptions] = {
        "all on": EngineOptions(threads=threads),
        "prefix cache off": EngineOptions(threads=threads, prefix_cache=False),
        "jump-forward off": EngineOptions(threads=threads, jump_forward=False),
        "torch runtime": EngineOptions(threads=threads, runtime="torch"),
    }
    schema = tool_schema()
    requests = REQUESTS[: max(repeats, 3)]
    figures: dict[str, dict[str, float]] = {}
    base_engine: LocalEngine | None = None
    for label, options in variants.items():
        engine = LocalEngine(model_dir, options)
        engine.precompile(schema)
        engine.generate(tool_prompt(engine, "warm up"), max_new_tokens=4)
        for constrained in (True, False):
            if not constrained and label != "all on":
                continue
            latencies, completions, prefill, decode = [], [], [], []
            for request in requests:
                prompt = tool_prompt(engine, request)
                started = time.perf_counter()
                result = engine.generate(
                    prompt, max_new_tokens=64, json_schema=schema if constrained else None
                )
                latencies.append((time.perf_counter() - started) * 1000)
                completions.append(result.completion_tokens)
                prefill.append(result.prefill_ms)
                decode.append(result.decode_ms)
            name = label if constrained else "all on, no grammar (free decoding)"
            figures[name] = {
                "p50_ms": statistics.median(latencies),
                "prefill_ms_p50": statistics.median(prefill),
                "decode_ms_p50": statistics.median(decode),
                "completion_tokens_mean": statistics.mean(completions),
            }
        if label == "all on":
            base_engine = engine
        else:
            del engine
            gc.collect()
    assert base_engine is not None
    del base_engine
    gc.collect()
    return figures


def measure_grammar(model_dir: Path) -> dict[str, float]:
    engine = LocalEngine(model_dir, EngineOptions(threads=1, runtime="torch"))  # no forward here
    figures: dict[str, float] = {}
    for max_length in (32, 64, 200):
        schema = {
            "type": "object",
            "properties": {
                "name": {"const": f"tool_{max_length}"},
                "arguments": {
                    "type": "object",
                    "properties": {"path": {"type": "string", "maxLength": max_length}},
                    "required": ["path"],
                },
            },
            "required": ["name", "arguments"],
        }
        figures[f"compile_ms_one_string_maxLength_{max_length}"] = engine.precompile(
            json.dumps(schema)
        )
    figures["compile_ms_3_tools_maxLength_64"] = engine.precompile(tool_schema())
    figures["fetch_ms_3_tools_cached"] = engine.precompile(tool_schema())

    # Per-token cost of masking: a constraint walked over a real call, no model.
    constraint = engine._grammars.new_constraint(tool_schema())
    logits = torch.zeros(1, engine.vocab_size)
    call = '{"name":"run_command","arguments":{"command":"pytest -q","is_background":false}}'
    token_ids = engine.encode(call)
    started = time.perf_counter()
    for token_id in token_ids:
        constraint.is_finished()
        constraint.mask_logits(logits)
        constraint.accept(token_id)
    figures["mask_and_accept_ms_per_token"] = (
        (time.perf_counter() - started) * 1000 / len(token_ids)
    )
    return figures


def agreement(runs: list[RunFigures]) -> dict[str, float]:
    """Share of tool calls identical to torch float32's (same threads)."""
    reference = {
        run.threads: run.tool_calls
        for run in runs
        if run.runtime == "torch" and run.dtype == "float32" and run.decode_weights == "float32"
    }
    shares: dict[str, float] = {}
    for run in runs:
        if run.threads not in reference:
            continue
        expected = reference[run.threads]
        same = sum(a == b for a, b in zip(run.tool_calls, expected, strict=False))
        label = "onnx" if run.runtime == "onnx" else f"{run.dtype}/{run.decode_weights}"
        shares[f"{label}@{run.threads}t"] = same / len(expected)
    return shares


def print_table(runs: list[RunFigures]) -> None:
    header = (
        f"{'runtime':>7} {'threads':>7} {'dtype':>9} {'decode w.':>9} {'prefill tok/s':>13} "
        f"{'decode tok/s':>12} {'tool p50 ms':>11} {'tokens':>6} {'forced':>6}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        weights = "int4/q8" if run.runtime == "onnx" else run.decode_weights
        print(
            f"{run.runtime:>7} {run.threads:>7} {run.dtype:>9} {weights:>9} "
            f"{run.prefill_tokens_per_second:>13.0f} {run.decode_tokens_per_second:>12.1f} "
            f"{run.tool_request_p50_ms:>11.0f} {run.tool_completion_tokens_mean:>6.1f} "
            f"{run.tool_forced_tokens_mean:>6.1f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated torch thread counts")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one repeat, fewer configurations")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    thread_counts = [int(value) for value in args.threads.split(",")]

    model_dir = ensure_model_dir()
    load_started = os.getloadavg()[0]
    configurations: list[tuple[LlmRuntime, torch.dtype, DecodeWeights]] = [
        ("onnx", torch.float32, "int4"),
        ("torch", torch.float32, "float32"),
        ("torch", torch.float32, "bfloat16"),
        ("torch", torch.float32, "int4"),
        ("torch", torch.bfloat16, "float32"),
    ]
    if args.quick:
        configurations = [
            ("onnx", torch.float32, "int4"),
            ("torch", torch.float32, "float32"),
            ("torch", torch.float32, "int4"),
        ]
    runs: list[RunFigures] = []
    for threads in thread_counts:
        for runtime, dtype, decode_weights in configurations:
            print(f"measuring threads={threads} runtime={runtime} dtype={dtype} ({decode_weights})")
            runs.append(measure_engine(model_dir, threads, runtime, dtype, decode_weights, repeats))
    print()
    print_table(runs)

    best_threads = min(runs, key=lambda run: run.tool_request_p50_ms).threads
    features = measure_features(model_dir, best_threads, repeats)
    print(f"\nTool request ({best_threads} thread(s)), each optimisation off in turn:")
    for label, values in features.items():
        print(
            f"  {label:<36} p50 {values['p50_ms']:7.0f} ms"
            f"  prefill {values['prefill_ms_p50']:6.0f}  decode {values['decode_ms_p50']:6.0f}"
            f"  tokens {values['completion_tokens_mean']:.1f}"
        )
    grammar = measure_grammar(model_dir)
    print("\nGrammar:")
    for label, value in grammar.items():
        print(f"  {label:<44} {value:9.2f}")
    shares = agreement(runs)
    print("\nTool calls identical to torch float32's:", shares)

    report = {
        "machine": {
            "cpus_available": available_cpus(),
            "processor": platform.processor() or platform.machine(),
            "torch": torch.__version__,
            "load_average_at_start": load_started,
            "load_average_at_end": os.getloadavg()[0],
        },
        "runs": [asdict(run) for run in runs],
        "tool_request_features": features,
        "grammar": grammar,
        "agreement_with_float32": shares,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
